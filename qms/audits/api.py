"""Audits through the API: programme, audits, checklist results, findings."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from marshmallow import Schema, fields
from sqlalchemy import select

from qms.api import Blueprint, authorize_first
from qms.api.fields import StrictInt
from qms.audits import programme, services
from qms.audits.enums import (
    AuditStatus,
    AuditType,
    FindingType,
    ItemResult,
)
from qms.audits.models import Audit, AuditChecklistItem
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.text import Text
from qms.core.time import today_local
from qms.core.uow import write_first
from qms.extensions import db
from qms.processes.models import Process

blp = Blueprint("audits_api", __name__, url_prefix="/audits",
                description="Internal and external audits [ISO 9001:2015 9.2]")


class MemberSchema(Schema):
    user_id = fields.Int()
    username = Text(attribute="user.username")
    role = Text(attribute="role.value")


class AuditSchema(Schema):
    id = fields.Int()
    code = Text()
    year = fields.Int()
    audit_type = fields.Enum(AuditType, by_value=True)
    title = Text()
    scope = Text()
    objectives = Text()
    status = fields.Enum(AuditStatus, by_value=True)
    criteria_clauses = fields.List(Text())
    criteria_documents = fields.List(fields.Dict())
    certification_body = Text(allow_none=True)
    process_codes = fields.Method("_processes")
    members = fields.List(fields.Nested(MemberSchema))
    planned_start = fields.Date()
    planned_end = fields.Date()
    actual_start = fields.Date(allow_none=True)
    actual_end = fields.Date(allow_none=True)
    conclusion = Text(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)
    report_sha256 = Text(allow_none=True)
    version = fields.Int()

    def _processes(self, audit):
        return [p.code for p in audit.processes]


class ItemSchema(Schema):
    id = fields.Int(dump_only=True)
    position = fields.Int(dump_only=True)
    clause = Text(dump_only=True)
    question = Text(dump_only=True)
    result = fields.Enum(ItemResult, by_value=True, allow_none=True)
    notes = Text()
    source = Text(attribute="source.value", dump_only=True, allow_none=True)
    version = fields.Int(metadata={"description": "The version you read; a stale version "
                                                  "gets 409 Conflict."})


class ItemUpdateSchema(Schema):
    version = StrictInt(required=True)
    result = fields.Enum(ItemResult, by_value=True, allow_none=True, required=True)
    notes = Text(load_default="", max_length=5000)


class FindingSchema(Schema):
    id = StrictInt(dump_only=True)
    number = StrictInt(dump_only=True)
    finding_type = fields.Enum(FindingType, by_value=True, required=True)
    clause = Text(required=True)
    process_id = StrictInt(required=True)
    description = Text(required=True, max_length=5000, min_length=1)
    evidence = Text(load_default="", max_length=5000)
    nc_id = StrictInt(dump_only=True, allow_none=True)
    auditee_response = Text(dump_only=True, allow_none=True)


class RankedSchema(Schema):
    process_code = Text(attribute="process.code")
    score = fields.Int()
    reasons = fields.List(Text())
    last_audit_on = fields.Date(allow_none=True)


class ProgrammeSchema(Schema):
    year = fields.Int()
    objectives = Text()
    audits = fields.List(fields.Nested(AuditSchema))
    proposal = fields.List(fields.Nested(RankedSchema))
    uncovered_processes = fields.List(Text())


@blp.route("/programme/<int:year>")
class ProgrammeItem(MethodView):
    @blp.response(200, ProgrammeSchema)
    def get(self, year):
        """The year's programme, its audits and the risk-based proposal"""
        authorize("audit.view")
        prog = services.programme_for(year)
        if prog is None:
            from flask_smorest import abort

            abort(404, message="no programme for that year")
        return {"year": prog.year, "objectives": prog.objectives, "audits": prog.audits,
                "proposal": programme.risk_proposal(prog, today_local()),
                "uncovered_processes": [r.process.code for r in programme.process_coverage(prog)
                                        if r.gap]}


@blp.route("/")
class Audits(MethodView):
    @blp.response(200, AuditSchema(many=True))
    def get(self):
        """List audits, newest first"""
        authorize("audit.view")
        return db.session.scalars(select(Audit).order_by(Audit.planned_start.desc())).all()


@blp.route("/<int:audit_id>")
class AuditItem(MethodView):
    @blp.response(200, AuditSchema)
    def get(self, audit_id):
        """Read an audit"""
        return get_or_404_authorized(Audit, audit_id, "audit.view")


@blp.route("/<int:audit_id>/checklist")
class Checklist(MethodView):
    @blp.response(200, ItemSchema(many=True))
    def get(self, audit_id):
        """The audit's checklist with its results"""
        return get_or_404_authorized(Audit, audit_id, "audit.view").items


@blp.route("/<int:audit_id>/checklist/<int:item_id>")
class ChecklistItem(MethodView):
    @authorize_first("audit.perform", Audit, "audit_id")
    @blp.arguments(ItemUpdateSchema)
    @blp.response(200, ItemSchema)
    def patch(self, data, audit_id, item_id):
        """Answer one checklist question (send back the version you read)"""
        item = db.session.get(AuditChecklistItem, item_id)
        if item is None or item.audit_id != audit_id:
            from flask_smorest import abort

            abort(404)
        return services.answer_item(item, expected_version=data["version"],
                                    result=data["result"], notes=data["notes"],
                                    actor=current_user)


@blp.route("/<int:audit_id>/findings")
class Findings(MethodView):
    @blp.response(200, FindingSchema(many=True))
    def get(self, audit_id):
        """The audit's findings (an NC finding carries the id of the NC it raised)"""
        return get_or_404_authorized(Audit, audit_id, "audit.view").findings

    @authorize_first("audit.perform", Audit, "audit_id")
    @blp.arguments(FindingSchema)
    @blp.response(201, FindingSchema)
    def post(self, data, audit_id):
        """Record a finding; a major or minor NC raises a linked Nonconformity"""
        def work():
            return services.record_finding(
                db.session.get(Audit, audit_id), finding_type=data["finding_type"],
                clause=data["clause"], process=db.session.get(Process, data["process_id"]),
                description=data["description"], evidence=data["evidence"], actor=current_user)

        return write_first(work)
