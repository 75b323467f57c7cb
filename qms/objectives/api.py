"""Objectives and their KPI values through the API."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from marshmallow import Schema, fields
from sqlalchemy import select

from qms.api import Blueprint, authorize_first
from qms.auth.models import User
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.text import Text
from qms.extensions import db
from qms.objectives import services
from qms.objectives.enums import Direction, Frequency, MeasureMethod, ValueSource
from qms.objectives.models import KPIValue, Objective
from qms.processes.models import Process

blp = Blueprint("objectives_api", __name__, url_prefix="/objectives",
                description="Quality objectives and their KPI values [ISO 9001:2015 6.2]")


class KPIValueSchema(Schema):
    id = fields.Int(dump_only=True)
    period = Text(metadata={"description": '"2026-03", "2026-T3", "2026-S1" or "2026", '
                                                "as the objective's frequency requires"})
    period_start = fields.Date(dump_only=True)
    period_end = fields.Date(dump_only=True)
    value = fields.Float()
    source = fields.Enum(ValueSource, by_value=True, dump_only=True)
    computation = Text(dump_only=True, allow_none=True)
    parameters = fields.Dict(dump_only=True, allow_none=True)
    recomputed_value = fields.Float(dump_only=True, allow_none=True)
    note = Text()
    recorded_at = fields.DateTime(dump_only=True)


class KPIValueCreateSchema(Schema):
    period = Text(required=True, min_length=4, max_length=10)
    #: A string is accepted too ("93,5"): the service says what is wrong with it.
    value = fields.Raw(required=True, metadata={"description": "A number"})
    note = Text(load_default="", max_length=2000)


class ObjectiveSchema(Schema):
    id = fields.Int(dump_only=True)
    code = Text(dump_only=True)
    name = Text()
    process_code = Text(attribute="process.code", dump_only=True, allow_none=True)
    owner_username = Text(attribute="owner.username", dump_only=True)
    unit = Text()
    direction = fields.Enum(Direction, by_value=True)
    target = fields.Float()
    frequency = fields.Enum(Frequency, by_value=True)
    method = fields.Enum(MeasureMethod, by_value=True)
    computation = Text(allow_none=True)
    computation_params = fields.Dict()
    plan_what = Text()
    plan_resources = Text()
    plan_who = Text()
    plan_due_on = fields.Date(allow_none=True)
    plan_evaluation = Text()
    active = fields.Bool()
    version = fields.Int(dump_only=True)


class ObjectiveWriteSchema(Schema):
    name = Text(required=True, min_length=1, max_length=250)
    process_id = fields.Int(load_default=None, allow_none=True)
    owner_id = fields.Int(required=True)
    unit = Text(required=True, min_length=1, max_length=30)
    direction = fields.Enum(Direction, by_value=True, required=True)
    target = fields.Float(required=True, allow_nan=False)
    method = fields.Enum(MeasureMethod, by_value=True, load_default=MeasureMethod.MANUAL)
    computation = Text(load_default=None, allow_none=True)
    computation_params = fields.Dict(load_default=dict)
    plan_what = Text(load_default="", max_length=5000)
    plan_resources = Text(load_default="", max_length=5000)
    plan_who = Text(load_default="", max_length=5000)
    plan_due_on = fields.Date(load_default=None, allow_none=True)
    plan_evaluation = Text(load_default="", max_length=5000)


class ObjectiveCreateSchema(ObjectiveWriteSchema):
    code = Text(required=True, min_length=2, max_length=30)
    frequency = fields.Enum(Frequency, by_value=True, required=True)


class ObjectiveUpdateSchema(ObjectiveWriteSchema):
    version = fields.Int(required=True, metadata={"description": "The version you read; "
                                                  "a stale version gets 409 Conflict."})
    #: Left out, these keep what the objective has (never reset to a default).
    active = fields.Bool()
    process_id = fields.Int(allow_none=True)
    method = fields.Enum(MeasureMethod, by_value=True)
    computation = Text(allow_none=True)
    computation_params = fields.Dict()
    plan_what = Text(max_length=5000)
    plan_resources = Text(max_length=5000)
    plan_who = Text(max_length=5000)
    plan_due_on = fields.Date(allow_none=True)
    plan_evaluation = Text(max_length=5000)

    #: The attributes a PATCH may leave out.
    KEPT = ("active", "process_id", "method", "computation", "computation_params",
            "plan_what", "plan_resources", "plan_who", "plan_due_on", "plan_evaluation")


def _fields(data: dict) -> dict:
    data = dict(data)
    process_id = data.pop("process_id", None)
    data["process"] = db.session.get(Process, process_id) if process_id else None
    data["owner"] = db.session.get(User, data.pop("owner_id"))
    return data


@blp.route("/")
class Objectives(MethodView):
    @blp.response(200, ObjectiveSchema(many=True))
    def get(self):
        """List the active objectives"""
        authorize("objective.view")
        return db.session.scalars(services.list_objectives()).all()

    @authorize_first("objective.manage")
    @blp.arguments(ObjectiveCreateSchema)
    @blp.response(201, ObjectiveSchema)
    def post(self, data):
        """Create an objective"""
        code, frequency = data.pop("code"), data.pop("frequency")
        return services.create_objective(code=code, frequency=frequency, **_fields(data))


@blp.route("/<int:objective_id>")
class ObjectiveItem(MethodView):
    @blp.response(200, ObjectiveSchema)
    def get(self, objective_id):
        """Read an objective"""
        return get_or_404_authorized(Objective, objective_id, "objective.view")

    @authorize_first("objective.manage", Objective, "objective_id")
    @blp.arguments(ObjectiveUpdateSchema)
    @blp.response(200, ObjectiveSchema)
    def patch(self, data, objective_id):
        """Update an objective (send back the version you read)"""
        objective = get_or_404_authorized(Objective, objective_id, "objective.manage")
        for name in ObjectiveUpdateSchema.KEPT:
            data.setdefault(name, getattr(objective, name))
        version, active = data.pop("version"), data.pop("active")
        return services.update_objective(objective, expected_version=version, active=active,
                                         **_fields(data))


@blp.route("/<int:objective_id>/values")
class ObjectiveValues(MethodView):
    @blp.response(200, KPIValueSchema(many=True))
    def get(self, objective_id):
        """The objective's KPI values, oldest first"""
        objective = get_or_404_authorized(Objective, objective_id, "objective.view")
        return db.session.scalars(select(KPIValue).where(KPIValue.objective_id == objective.id)
                                  .order_by(KPIValue.period_start)).all()

    @authorize_first("objective.record", Objective, "objective_id")
    @blp.arguments(KPIValueCreateSchema)
    @blp.response(201, KPIValueSchema)
    def post(self, data, objective_id):
        """Record a value for one period (refused off the frequency, twice, or not a number)"""
        objective = get_or_404_authorized(Objective, objective_id, "objective.record")
        return services.record_value(objective, period=data["period"], value=data["value"],
                                     actor=current_user, note=data["note"])
