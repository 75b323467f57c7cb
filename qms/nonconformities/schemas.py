"""The API's schemas for nonconformities: what a client reads and what it sends.

Every body that changes an NC carries the ``version`` the client read (a stale one is
409 Conflict); enums travel by value (``"action_plan"``), as the OpenAPI document says.
"""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from qms.api.fields import StrictBool, StrictInt
from qms.core.text import Text
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
    label = Text(dump_only=True)
    round = fields.Int(dump_only=True)
    description = Text()
    owner_id = fields.Int()
    owner_username = Text(attribute="owner.username", dump_only=True)
    due_on = fields.Date()
    status = fields.Enum(ActionStatus, by_value=True)
    overdue = fields.Bool(dump_only=True)
    evidence = Text(allow_none=True)
    started_on = fields.Date(dump_only=True, allow_none=True)
    completed_at = fields.DateTime(dump_only=True, allow_none=True)
    completed_by_username = Text(attribute="completed_by.username", dump_only=True,
                                       allow_none=True)
    previous_due_on = fields.Date(dump_only=True, allow_none=True)
    version = fields.Int(dump_only=True)


class AnalysisSchema(Schema):
    round = fields.Int()
    whys = fields.List(Text())
    ishikawa = fields.Dict(keys=Text(), values=fields.List(Text()))
    root_cause = Text(allow_none=True)


class VerificationSchema(Schema):
    id = fields.Int()
    round = fields.Int()
    planned_on = fields.Date()
    verifier_id = fields.Int()
    result = fields.Enum(VerificationResult, by_value=True, allow_none=True)
    evidence = Text(allow_none=True)
    verified_at = fields.DateTime(allow_none=True)


class AttachmentSchema(Schema):
    id = fields.Int()
    action_id = fields.Int(allow_none=True)
    verification_id = fields.Int(allow_none=True)
    name = Text(attribute="stored.original_name")
    sha256 = Text(attribute="stored.sha256")
    size = fields.Int(attribute="stored.size")


class NCSchema(Schema):
    id = fields.Int(dump_only=True)
    code = Text(dump_only=True)
    title = Text()
    description = Text()
    source = fields.Enum(NCSource, by_value=True)
    process_id = fields.Int()
    process_code = Text(attribute="process.code", dump_only=True)
    severity = fields.Enum(NCSeverity, by_value=True)
    status = fields.Enum(NCStatus, by_value=True, dump_only=True)
    last_result = fields.Enum(VerificationResult, by_value=True, dump_only=True,
                              allow_none=True,
                              metadata={"description": "Result of the last verification "
                                                       "(kept apart from status)."})
    overdue = fields.Bool(dump_only=True)
    department_code = Text(allow_none=True)
    municipality_code = Text(allow_none=True)
    detected_on = fields.Date()
    detected_by_id = fields.Int()
    origin_type = Text(allow_none=True)
    origin_id = Text(allow_none=True)
    origin_label = Text(allow_none=True)
    correction = Text(allow_none=True, dump_only=True)
    correction_on = fields.Date(allow_none=True, dump_only=True)
    analysis_round = fields.Int(dump_only=True)
    cancel_reason = Text(allow_none=True, dump_only=True)
    closed_at = fields.DateTime(allow_none=True, dump_only=True)
    closed_by_id = fields.Int(allow_none=True, dump_only=True)
    close_meaning = Text(allow_none=True, dump_only=True)
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
    title = Text(required=True, max_length=200, min_length=1)
    description = Text(required=True, min_length=1)
    source = fields.Enum(NCSource, by_value=True, required=True)
    process_id = StrictInt(required=True)
    severity = fields.Enum(NCSeverity, by_value=True, required=True)
    detected_on = fields.Date(required=True)
    detected_by_id = StrictInt(load_default=None, metadata={
        "description": "Defaults to the caller."})
    department_code = Text(load_default=None, allow_none=True)
    municipality_code = Text(load_default=None, allow_none=True)
    origin_type = Text(load_default=None, allow_none=True, metadata={
        "description": "Kind of record that raised it, e.g. survey_wave, audit_finding."})
    origin_id = Text(load_default=None, allow_none=True)
    origin_label = Text(load_default=None, allow_none=True)


class NCUpdateSchema(Schema):
    version = StrictInt(required=True, metadata=VERSION_DOC)
    title = Text(required=True)
    description = Text(required=True)
    source = fields.Enum(NCSource, by_value=True, required=True)
    process_id = StrictInt(required=True)
    severity = fields.Enum(NCSeverity, by_value=True, required=True)
    severity_reason = Text(load_default=None, allow_none=True,
                                 max_length=500, metadata={
                                     "description": "Required when the severity changes; "
                                                    "kept in the audit trail."})
    detected_on = fields.Date(required=True)
    department_code = Text(load_default=None, allow_none=True)
    municipality_code = Text(load_default=None, allow_none=True)


class NCQuerySchema(Schema):
    status = fields.Enum(NCStatus, by_value=True, load_default=None)
    process_id = fields.Int(load_default=None)
    source = fields.Enum(NCSource, by_value=True, load_default=None)
    severity = fields.Enum(NCSeverity, by_value=True, load_default=None)
    overdue = fields.Bool(load_default=None)
    detected_from = fields.Date(load_default=None)
    detected_to = fields.Date(load_default=None)
    q = Text(load_default=None)
    sort = Text(load_default=register.DEFAULT_SORT, validate=validate.OneOf(
        [k for key in register.SORTS for k in (key, f"-{key}")]))
    page = fields.Int(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Int(load_default=50, validate=validate.Range(min=1, max=500))


class CorrectionSchema(Schema):
    version = StrictInt(required=True, metadata=VERSION_DOC)
    correction = Text(required=True)
    correction_on = fields.Date(load_default=None)


class AnalysisInputSchema(Schema):
    version = StrictInt(required=True, metadata=VERSION_DOC)
    whys = fields.List(Text(), load_default=list, metadata={
        "description": "The 5 whys, in order."})
    ishikawa = fields.Dict(keys=Text(), values=fields.List(Text()),
                           load_default=dict, metadata={
                               "description": "6M category (method, manpower, machine, material,"
                                              " measurement, environment) → causes."})
    root_cause = Text(load_default=None, allow_none=True)


class TransitionSchema(Schema):
    target = fields.Enum(NCStatus, by_value=True, required=True)
    version = StrictInt(required=True, metadata=VERSION_DOC)
    reason = Text(load_default=None, metadata={"description": "Required to cancel."})
    planned_on = fields.Date(load_default=None, metadata={
        "description": "For target=verification: planned date of the effectiveness check."})
    verifier_id = StrictInt(load_default=None)
    password = Text(load_default=None, load_only=True, metadata={
        "description": "For target=closed: the caller's password (electronic signature)."})


class VerificationResultSchema(Schema):
    version = StrictInt(required=True, metadata=VERSION_DOC)
    result = fields.Enum(VerificationResult, by_value=True, required=True)
    evidence = Text(required=True)
    confirm_early = StrictBool(load_default=False, metadata={
        "description": "Required (true) to record before the planned verification date."})
    early_reason = Text(load_default=None, metadata={
        "description": "Why the result is recorded before the planned date."})


class ActionCreateSchema(Schema):
    version = StrictInt(required=True, metadata={"description": "The NC's version."})
    description = Text(required=True)
    owner_id = StrictInt(required=True)
    due_on = fields.Date(required=True)


class ActionUpdateSchema(Schema):
    version = StrictInt(required=True, metadata={"description": "The action's version."})
    status = fields.Enum(ActionStatus, by_value=True, load_default=None)
    evidence = Text(load_default=None)
    on_behalf_reason = Text(load_default=None, metadata={
        "description": "Required when a quality officer marks someone else's action done."})


class UploadFileSchema(Schema):
    file = Upload(required=True)


class UploadFormSchema(Schema):
    action_id = fields.Int(load_default=None, metadata={
        "description": "Attach as evidence of this corrective action."})
