"""Nonconformities and corrective actions through the API [ISO 9001:2015 10.2].

State changes go through ``POST /nonconformities/{id}/transitions``: a move the current
state does not allow answers 409 Conflict with a message, as does a stale ``version``.
"""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user

from qms.api import Blueprint, authorize_first
from qms.auth.models import User
from qms.core.permissions import authorize, get_or_404_authorized, readable_processes
from qms.core.storage import send_stored_file
from qms.core.uow import write_first
from qms.extensions import db
from qms.nonconformities import register, services
from qms.nonconformities.enums import NCStatus
from qms.nonconformities.models import CorrectiveAction, NCAttachment, Nonconformity
from qms.nonconformities.schemas import (
    ActionCreateSchema,
    ActionSchema,
    ActionUpdateSchema,
    AnalysisInputSchema,
    AttachmentSchema,
    CorrectionSchema,
    NCCreateSchema,
    NCDetailSchema,
    NCPageSchema,
    NCQuerySchema,
    NCUpdateSchema,
    TransitionSchema,
    UploadFileSchema,
    UploadFormSchema,
    VerificationResultSchema,
)
from qms.processes.models import Process

blp = Blueprint("nonconformities_api", __name__, url_prefix="/nonconformities",
                description="Nonconformities and corrective actions [ISO 9001:2015 10.2]")


@blp.route("/")
class NCCollection(MethodView):
    @blp.arguments(NCQuerySchema, location="query")
    @blp.response(200, NCPageSchema)
    def get(self, args):
        """List nonconformities (filters, sorting, pages)"""
        authorize("nc.view")
        filters = register.Filters(**{k: args[k] for k in (
            "status", "process_id", "source", "severity", "overdue", "detected_from",
            "detected_to", "q", "sort")}, processes=readable_processes(current_user))
        page = register.register_page(filters, page=args["page"], per_page=args["per_page"],
                                      error_out=False)
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

        return write_first(work)


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
        return services.update_nonconformity(
            nc, expected_version=data["version"], title=data["title"],
            description=data["description"], source=data["source"],
            process=db.session.get(Process, data["process_id"]), severity=data["severity"],
            severity_reason=data["severity_reason"], detected_on=data["detected_on"],
            department_code=data["department_code"],
            municipality_code=data["municipality_code"])


@blp.route("/<int:nc_id>/correction")
class NCCorrection(MethodView):
    @authorize_first("nc.manage", Nonconformity, "nc_id")
    @blp.arguments(CorrectionSchema)
    @blp.response(200, NCDetailSchema)
    def post(self, data, nc_id):
        """Record the correction / containment"""
        nc = db.session.get(Nonconformity, nc_id)
        return services.record_correction(
            nc, expected_version=data["version"], correction=data["correction"],
            correction_on=data["correction_on"])


@blp.route("/<int:nc_id>/analysis")
class NCAnalysisItem(MethodView):
    @authorize_first("nc.manage", Nonconformity, "nc_id")
    @blp.arguments(AnalysisInputSchema)
    @blp.response(200, NCDetailSchema)
    def put(self, data, nc_id):
        """Save the root-cause analysis of the current round (5 whys, Ishikawa 6M)"""
        nc = db.session.get(Nonconformity, nc_id)
        services.save_analysis(
            nc, expected_version=data["version"], whys=data["whys"],
            ishikawa=data["ishikawa"], root_cause=data["root_cause"])
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
        return services.transition(
            nc, data["target"], expected_version=data["version"], actor=current_user,
            reason=data["reason"], planned_on=data["planned_on"], verifier=verifier,
            password=data["password"])


@blp.route("/<int:nc_id>/verification-result")
class NCVerificationResult(MethodView):
    @authorize_first("nc.verify", Nonconformity, "nc_id")
    @blp.arguments(VerificationResultSchema)
    @blp.response(200, NCDetailSchema)
    def post(self, data, nc_id):
        """Record the effectiveness result; "not_effective" sends the NC back to analysis"""
        nc = db.session.get(Nonconformity, nc_id)
        services.record_verification(
            nc, expected_version=data["version"], result=data["result"],
            evidence=data["evidence"], actor=current_user,
            confirm_early=data["confirm_early"], early_reason=data["early_reason"])
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
        return services.add_action(
            nc, expected_version=data["version"], description=data["description"],
            owner=db.session.get(User, data["owner_id"]), due_on=data["due_on"])


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
        return services.update_action(
            action, expected_version=data["version"], status=data["status"],
            evidence=data["evidence"], actor=current_user,
            on_behalf_reason=data["on_behalf_reason"])


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
        return services.attach_file(nc, upload.stream, upload.filename or "",
                                    uploader=current_user, action=action)


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
