"""Nonconformities and corrective actions through the API [ISO 9001:2015 10.2].

State changes go through ``POST /nonconformities/{id}/transitions``: a move the current
state does not allow answers 409 Conflict with a message, as does a stale ``version``.
"""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from qms.api import Blueprint, authorize_first, service_error
from qms.auth.models import User
from qms.core.errors import ServiceError
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.storage import send_stored_file
from qms.extensions import db
from qms.nonconformities import register, services
from qms.nonconformities.models import (
    ActionStatus,
    CorrectiveAction,
    NCAttachment,
    NCSeverity,
    NCSource,
    NCStatus,
    Nonconformity,
    VerificationResult,
)
from qms.nonconformities.transactions import commit_creation
from qms.processes.models import Process

blp = Blueprint("nonconformities_api", __name__, url_prefix="/nonconformities",
                description="Nonconformities and corrective actions [ISO 9001:2015 10.2]")

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


class ActionCreateSchema(Schema):
    version = fields.Int(required=True, metadata={"description": "The NC's version."})
    description = fields.Str(required=True)
    owner_id = fields.Int(required=True)
    due_on = fields.Date(required=True)


class ActionUpdateSchema(Schema):
    version = fields.Int(required=True, metadata={"description": "The action's version."})
    status = fields.Enum(ActionStatus, by_value=True, load_default=None)
    evidence = fields.Str(load_default=None)


def _run(work):
    try:
        result = work()
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        service_error(exc)
    return result


@blp.route("/")
class NCCollection(MethodView):
    @blp.arguments(NCQuerySchema, location="query")
    @blp.response(200, NCPageSchema)
    def get(self, args):
        """List nonconformities (filters, sorting, pages)"""
        authorize("nc.view")
        filters = register.Filters(**{k: args[k] for k in (
            "status", "process_id", "source", "severity", "overdue", "detected_from",
            "detected_to", "q", "sort")})
        page = db.paginate(register.register_query(filters), page=args["page"],
                           per_page=args["per_page"], error_out=False)
        return {"items": page.items, "total": page.total, "page": page.page,
                "pages": page.pages}

    @authorize_first("nc.create")
    @blp.arguments(NCCreateSchema)
    @blp.response(201, NCDetailSchema)
    def post(self, data):
        """Report a nonconformity (gets the next code of the year)"""
        user_id = current_user.id

        def work():
            return services.report_nonconformity(
                **{k: data[k] for k in ("title", "description", "source", "severity",
                                        "detected_on", "department_code", "municipality_code",
                                        "origin_type", "origin_id", "origin_label")},
                process=db.session.get(Process, data["process_id"]),
                detected_by=db.session.get(User, data["detected_by_id"] or user_id))

        try:
            return commit_creation(work)
        except ServiceError as exc:
            service_error(exc)


@blp.route("/<int:nc_id>")
class NCItem(MethodView):
    @blp.response(200, NCDetailSchema)
    def get(self, nc_id):
        """Read a nonconformity with its analyses, actions and verifications"""
        return get_or_404_authorized(Nonconformity, nc_id, "nc.view")

    @authorize_first("nc.manage", Nonconformity, "nc_id")
    @blp.arguments(NCUpdateSchema)
    @blp.response(200, NCDetailSchema)
    def patch(self, data, nc_id):
        """Update the data of a nonconformity (reported or in analysis)"""
        nc = db.session.get(Nonconformity, nc_id)
        if data["process_id"] != nc.process_id:
            authorize("nc.reassign", nc)
        return _run(lambda: services.update_nonconformity(
            nc, expected_version=data["version"], title=data["title"],
            description=data["description"], source=data["source"],
            process=db.session.get(Process, data["process_id"]), severity=data["severity"],
            detected_on=data["detected_on"], department_code=data["department_code"],
            municipality_code=data["municipality_code"]))


@blp.route("/<int:nc_id>/correction")
class NCCorrection(MethodView):
    @authorize_first("nc.manage", Nonconformity, "nc_id")
    @blp.arguments(CorrectionSchema)
    @blp.response(200, NCDetailSchema)
    def post(self, data, nc_id):
        """Record the correction / containment"""
        nc = db.session.get(Nonconformity, nc_id)
        return _run(lambda: services.record_correction(
            nc, expected_version=data["version"], correction=data["correction"],
            correction_on=data["correction_on"]))


@blp.route("/<int:nc_id>/analysis")
class NCAnalysisItem(MethodView):
    @authorize_first("nc.manage", Nonconformity, "nc_id")
    @blp.arguments(AnalysisInputSchema)
    @blp.response(200, NCDetailSchema)
    def put(self, data, nc_id):
        """Save the root-cause analysis of the current round (5 whys, Ishikawa 6M)"""
        nc = db.session.get(Nonconformity, nc_id)
        _run(lambda: services.save_analysis(
            nc, expected_version=data["version"], whys=data["whys"],
            ishikawa=data["ishikawa"], root_cause=data["root_cause"]))
        return nc


@blp.route("/<int:nc_id>/transitions")
class NCTransitions(MethodView):
    @authorize_first("nc.manage", Nonconformity, "nc_id")
    @blp.arguments(TransitionSchema)
    @blp.response(200, NCDetailSchema)
    @blp.alt_response(409, description="The state does not allow it, or the version is stale")
    def post(self, data, nc_id):
        """Move a nonconformity to another state (409 if the state does not allow it)"""
        nc = db.session.get(Nonconformity, nc_id)
        if data["target"] == NCStatus.CLOSED:
            authorize("nc.close", nc)
        verifier = db.session.get(User, data["verifier_id"]) if data["verifier_id"] else None
        return _run(lambda: services.transition(
            nc, data["target"], expected_version=data["version"], actor=current_user,
            reason=data["reason"], planned_on=data["planned_on"], verifier=verifier,
            password=data["password"]))


@blp.route("/<int:nc_id>/verification-result")
class NCVerificationResult(MethodView):
    @authorize_first("nc.verify", Nonconformity, "nc_id")
    @blp.arguments(VerificationResultSchema)
    @blp.response(200, NCDetailSchema)
    def post(self, data, nc_id):
        """Record the effectiveness result; "not_effective" sends the NC back to analysis"""
        nc = db.session.get(Nonconformity, nc_id)
        _run(lambda: services.record_verification(
            nc, expected_version=data["version"], result=data["result"],
            evidence=data["evidence"], actor=current_user))
        return nc


@blp.route("/<int:nc_id>/actions")
class NCActions(MethodView):
    @blp.response(200, ActionSchema(many=True))
    def get(self, nc_id):
        """List the corrective actions of a nonconformity"""
        return get_or_404_authorized(Nonconformity, nc_id, "nc.view").actions

    @authorize_first("nc.manage", Nonconformity, "nc_id")
    @blp.arguments(ActionCreateSchema)
    @blp.response(201, ActionSchema)
    def post(self, data, nc_id):
        """Plan a corrective action"""
        nc = db.session.get(Nonconformity, nc_id)
        return _run(lambda: services.add_action(
            nc, expected_version=data["version"], description=data["description"],
            owner=db.session.get(User, data["owner_id"]), due_on=data["due_on"]))


@blp.route("/<int:nc_id>/actions/<int:action_id>")
class NCActionItem(MethodView):
    @authorize_first("nc.action.update", CorrectiveAction, "action_id")
    @blp.arguments(ActionUpdateSchema)
    @blp.response(200, ActionSchema)
    def patch(self, data, nc_id, action_id):
        """Start or complete a corrective action, or record its evidence"""
        action = db.session.get(CorrectiveAction, action_id)
        if action.nc_id != nc_id:
            abort(404)
        return _run(lambda: services.update_action(
            action, expected_version=data["version"], status=data["status"],
            evidence=data["evidence"]))


class UploadFileSchema(Schema):
    file = Upload(required=True)


class UploadFormSchema(Schema):
    action_id = fields.Int(load_default=None, metadata={
        "description": "Attach as evidence of this corrective action."})


@blp.route("/<int:nc_id>/attachments")
class NCAttachments(MethodView):
    @blp.response(200, AttachmentSchema(many=True))
    def get(self, nc_id):
        """List the files attached to a nonconformity and its actions"""
        return get_or_404_authorized(Nonconformity, nc_id, "nc.view").attachments

    @authorize_first("nc.attach", Nonconformity, "nc_id")
    @blp.arguments(UploadFormSchema, location="form")
    @blp.arguments(UploadFileSchema, location="files")
    @blp.response(201, AttachmentSchema)
    def post(self, form, files, nc_id):
        """Attach a file (type checked by content; PDF, office documents, images)"""
        nc = db.session.get(Nonconformity, nc_id)
        action = None
        if form["action_id"] is not None:
            action = db.session.get(CorrectiveAction, form["action_id"])
            if action is None or action.nc_id != nc.id:
                abort(404)
            authorize("nc.action.update", action)
        upload = files["file"]
        return _run(lambda: services.attach_file(nc, upload.stream, upload.filename or "",
                                                 uploader=current_user, action=action))


@blp.route("/<int:nc_id>/attachments/<int:attachment_id>")
class NCAttachmentFile(MethodView):
    @blp.response(200, description="The file's bytes, with its detected content type.")
    def get(self, nc_id, attachment_id):
        """Download an attached file"""
        attachment = db.session.get(NCAttachment, attachment_id)
        if attachment is None or attachment.nc_id != nc_id:
            abort(404)
        authorize("nc.view", attachment.nc)
        return send_stored_file(attachment.stored)
