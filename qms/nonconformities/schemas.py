"""The API's schemas for nonconformities: what a client reads and what it sends.

Every body that changes an NC carries the ``version`` the client read (a stale one is
409 Conflict); enums travel by value (``"action_plan"``), as the OpenAPI document says.
"""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from qms.nonconformities import register
from qms.nonconformities.enums import (
    ActionStatus,
    NCSeverity,
    NCSource,
    NCStatus,
    VerificationResult,
)

VERSION_DOC = {"description": "The version you read; a stale version gets 409 Conflict."}


class ActionSchema(Schema):
    id = fields.Int(dump_only=True)
    nc_id = fields.Int(dump_only=True)
    label = fields.Str(dump_only=True)
    round = fields.Int(dump_only=True)
    description = fields.Str()
    owner_id = fields.Int()
    owner_username = fields.Str(attribute="owner.username", dump_only=True)
    due_on = fields.Date()
    status = fields.Enum(ActionStatus, by_value=True)
    overdue = fields.Bool(dump_only=True)
    evidence = fields.Str(allow_none=True)
    started_on = fields.Date(dump_only=True, allow_none=True)
    completed_at = fields.DateTime(dump_only=True, allow_none=True)
    completed_by_username = fields.Str(attribute="completed_by.username", dump_only=True,
                                       allow_none=True)
    previous_due_on = fields.Date(dump_only=True, allow_none=True)
    version = fields.Int(dump_only=True)


class AnalysisSchema(Schema):
    round = fields.Int()
    whys = fields.List(fields.Str())
    ishikawa = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()))
    root_cause = fields.Str(allow_none=True)


class VerificationSchema(Schema):
    id = fields.Int()
    round = fields.Int()
    planned_on = fields.Date()
    verifier_id = fields.Int()
    result = fields.Enum(VerificationResult, by_value=True, allow_none=True)
    evidence = fields.Str(allow_none=True)
    verified_at = fields.DateTime(allow_none=True)


class AttachmentSchema(Schema):
    id = fields.Int()
    action_id = fields.Int(allow_none=True)
    verification_id = fields.Int(allow_none=True)
    name = fields.Str(attribute="stored.original_name")
    sha256 = fields.Str(attribute="stored.sha256")
    size = fields.Int(attribute="stored.size")


class NCSchema(Schema):
    id = fields.Int(dump_only=True)
    code = fields.Str(dump_only=True)
    title = fields.Str()
    description = fields.Str()
    source = fields.Enum(NCSource, by_value=True)
    process_id = fields.Int()
    process_code = fields.Str(attribute="process.code", dump_only=True)
    severity = fields.Enum(NCSeverity, by_value=True)
    status = fields.Enum(NCStatus, by_value=True, dump_only=True)
    last_result = fields.Enum(VerificationResult, by_value=True, dump_only=True,
                              allow_none=True,
                              metadata={"description": "Result of the last verification "
                                                       "(kept apart from status)."})
    overdue = fields.Bool(dump_only=True)
    department_code = fields.Str(allow_none=True)
    municipality_code = fields.Str(allow_none=True)
    detected_on = fields.Date()
    detected_by_id = fields.Int()
    origin_type = fields.Str(allow_none=True)
    origin_id = fields.Str(allow_none=True)
    origin_label = fields.Str(allow_none=True)
    correction = fields.Str(allow_none=True, dump_only=True)
    correction_on = fields.Date(allow_none=True, dump_only=True)
    analysis_round = fields.Int(dump_only=True)
    cancel_reason = fields.Str(allow_none=True, dump_only=True)
    closed_at = fields.DateTime(allow_none=True, dump_only=True)
    closed_by_id = fields.Int(allow_none=True, dump_only=True)
    close_meaning = fields.Str(allow_none=True, dump_only=True)
    version = fields.Int(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class NCDetailSchema(NCSchema):
    analyses = fields.List(fields.Nested(AnalysisSchema), dump_only=True)
    actions = fields.List(fields.Nested(ActionSchema), dump_only=True)
    verifications = fields.List(fields.Nested(VerificationSchema), dump_only=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), dump_only=True)


class NCPageSchema(Schema):
    items = fields.List(fields.Nested(NCSchema))
    total = fields.Int()
    page = fields.Int()
    pages = fields.Int()


class NCCreateSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    description = fields.Str(required=True, validate=validate.Length(min=1, max=10000))
    source = fields.Enum(NCSource, by_value=True, required=True)
    process_id = fields.Int(required=True)
    severity = fields.Enum(NCSeverity, by_value=True, required=True)
    detected_on = fields.Date(required=True)
    detected_by_id = fields.Int(load_default=None, metadata={
        "description": "Defaults to the caller."})
    department_code = fields.Str(load_default=None, allow_none=True)
    municipality_code = fields.Str(load_default=None, allow_none=True)
    origin_type = fields.Str(load_default=None, allow_none=True, metadata={
        "description": "Kind of record that raised it, e.g. survey_wave, audit_finding."})
    origin_id = fields.Str(load_default=None, allow_none=True)
    origin_label = fields.Str(load_default=None, allow_none=True)


class NCUpdateSchema(Schema):
    version = fields.Int(required=True, metadata=VERSION_DOC)
    title = fields.Str(required=True)
    description = fields.Str(required=True)
    source = fields.Enum(NCSource, by_value=True, required=True)
    process_id = fields.Int(required=True)
    severity = fields.Enum(NCSeverity, by_value=True, required=True)
    detected_on = fields.Date(required=True)
    department_code = fields.Str(load_default=None, allow_none=True)
    municipality_code = fields.Str(load_default=None, allow_none=True)


class NCQuerySchema(Schema):
    status = fields.Enum(NCStatus, by_value=True, load_default=None)
    process_id = fields.Int(load_default=None)
    source = fields.Enum(NCSource, by_value=True, load_default=None)
    severity = fields.Enum(NCSeverity, by_value=True, load_default=None)
    overdue = fields.Bool(load_default=None)
    detected_from = fields.Date(load_default=None)
    detected_to = fields.Date(load_default=None)
    q = fields.Str(load_default=None)
    sort = fields.Str(load_default=register.DEFAULT_SORT, validate=validate.OneOf(
        [k for key in register.SORTS for k in (key, f"-{key}")]))
    page = fields.Int(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Int(load_default=50, validate=validate.Range(min=1, max=500))


class CorrectionSchema(Schema):
    version = fields.Int(required=True, metadata=VERSION_DOC)
    correction = fields.Str(required=True)
    correction_on = fields.Date(load_default=None)


class AnalysisInputSchema(Schema):
    version = fields.Int(required=True, metadata=VERSION_DOC)
    whys = fields.List(fields.Str(), load_default=list, metadata={
        "description": "The 5 whys, in order."})
    ishikawa = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()),
                           load_default=dict, metadata={
                               "description": "6M category (method, manpower, machine, material,"
                                              " measurement, environment) → causes."})
    root_cause = fields.Str(load_default=None, allow_none=True)


class TransitionSchema(Schema):
    target = fields.Enum(NCStatus, by_value=True, required=True)
    version = fields.Int(required=True, metadata=VERSION_DOC)
    reason = fields.Str(load_default=None, metadata={"description": "Required to cancel."})
    planned_on = fields.Date(load_default=None, metadata={
        "description": "For target=verification: planned date of the effectiveness check."})
    verifier_id = fields.Int(load_default=None)
    password = fields.Str(load_default=None, load_only=True, metadata={
        "description": "For target=closed: the caller's password (electronic signature)."})


class VerificationResultSchema(Schema):
    version = fields.Int(required=True, metadata=VERSION_DOC)
    result = fields.Enum(VerificationResult, by_value=True, required=True)
    evidence = fields.Str(required=True)
    confirm_early = fields.Bool(load_default=False, metadata={
        "description": "Required (true) to record before the planned verification date."})
    early_reason = fields.Str(load_default=None, metadata={
        "description": "Why the result is recorded before the planned date."})


class ActionCreateSchema(Schema):
    version = fields.Int(required=True, metadata={"description": "The NC's version."})
    description = fields.Str(required=True)
    owner_id = fields.Int(required=True)
    due_on = fields.Date(required=True)


class ActionUpdateSchema(Schema):
    version = fields.Int(required=True, metadata={"description": "The action's version."})
    status = fields.Enum(ActionStatus, by_value=True, load_default=None)
    evidence = fields.Str(load_default=None)
    on_behalf_reason = fields.Str(load_default=None, metadata={
        "description": "Required when a quality officer marks someone else's action done."})


class UploadFileSchema(Schema):
    file = Upload(required=True)


class UploadFormSchema(Schema):
    action_id = fields.Int(load_default=None, metadata={
        "description": "Attach as evidence of this corrective action."})
