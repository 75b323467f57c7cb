"""Processes through the API: list, read, create, update."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from qms.api import Blueprint, authorize_first
from qms.api.fields import StrictBool, StrictInt
from qms.auth.models import User
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.text import Text
from qms.extensions import db
from qms.processes import services
from qms.processes.models import Process, ProcessCategory

blp = Blueprint("processes_api", __name__, url_prefix="/processes",
                description="Processes of the SGC [ISO 9001:2015 4.4]")


class ProcessSchema(Schema):
    id = fields.Int(dump_only=True)
    code = Text(dump_only=True)
    name = Text()
    category = fields.Enum(ProcessCategory, by_value=True)
    owner_id = fields.Int()
    owner_username = Text(attribute="owner.username", dump_only=True)
    description = Text()
    active = fields.Bool()
    version = fields.Int(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class ProcessCreateSchema(Schema):
    code = Text(required=True, max_length=20, min_length=2)
    name = Text(required=True, max_length=200, min_length=1)
    category = fields.Enum(ProcessCategory, by_value=True, required=True)
    owner_id = StrictInt(required=True)
    description = Text(load_default="", max_length=5000)


class ProcessUpdateSchema(Schema):
    version = StrictInt(required=True, metadata={"description": "The version you read; "
                                                  "a stale version gets 409 Conflict."})
    name = Text(required=True, max_length=200, min_length=1)
    category = fields.Enum(ProcessCategory, by_value=True, required=True)
    description = Text(load_default="", max_length=5000)
    owner_id = StrictInt()
    active = StrictBool()


class ProcessQuerySchema(Schema):
    include_inactive = fields.Bool(load_default=False)
    q = Text(load_default=None, metadata={"description": "Text in the code or name"})


@blp.route("/")
class Processes(MethodView):
    @blp.arguments(ProcessQuerySchema, location="query")
    @blp.response(200, ProcessSchema(many=True))
    def get(self, args):
        """List processes"""
        authorize("process.view")
        return db.session.scalars(
            services.list_processes(include_inactive=args["include_inactive"], search=args["q"])
        ).all()

    @authorize_first("process.create")
    @blp.arguments(ProcessCreateSchema)
    @blp.response(201, ProcessSchema)
    def post(self, data):
        """Create a process"""
        return services.create_process(
            code=data["code"], name=data["name"], category=data["category"],
            owner=db.session.get(User, data["owner_id"]), description=data["description"],
        )


@blp.route("/<int:process_id>")
class ProcessItem(MethodView):
    @blp.response(200, ProcessSchema)
    def get(self, process_id):
        """Read a process"""
        return get_or_404_authorized(Process, process_id, "process.view")

    @authorize_first("process.edit", Process, "process_id")
    @blp.arguments(ProcessUpdateSchema)
    @blp.response(200, ProcessSchema)
    def patch(self, data, process_id):
        """Update a process (send back the version you read)"""
        process = get_or_404_authorized(Process, process_id, "process.edit")
        reassign = "owner_id" in data or "active" in data
        if reassign:
            authorize("process.reassign", process)
        services.update_process(
            process, expected_version=data["version"], name=data["name"],
            category=data["category"], description=data["description"],
            owner=db.session.get(User, data["owner_id"]) if "owner_id" in data else None,
            active=data.get("active"),
        )
        return process

