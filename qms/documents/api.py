"""Controlled documents through the API (read-only): register, revisions, what was in force."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from qms.api import Blueprint
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.text import Text
from qms.documents import master_list, services
from qms.documents.models import (
    Confidentiality,
    Document,
    DocumentType,
    Revision,
    RevisionStatus,
)
from qms.documents.rendering import render_markdown

blp = Blueprint("documents_api", __name__, url_prefix="/documents",
                description="Controlled documents and their revisions [ISO 9001:2015 7.5]")


class RevisionSummarySchema(Schema):
    id = fields.Int()
    number = fields.Int()
    status = fields.Enum(RevisionStatus, by_value=True)
    change_summary = Text()
    author_username = Text(attribute="author.username", allow_none=True)
    approved_by_username = Text(attribute="approved_by.username", allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    approval_meaning = Text(allow_none=True)
    effective_from = fields.Date(allow_none=True)
    effective_until = fields.Date(allow_none=True, metadata={
        "description": "First day the revision is no longer in force"})
    has_file = fields.Function(lambda r: r.file_id is not None)


class RevisionSchema(RevisionSummarySchema):
    document_id = fields.Int()
    content_md = Text(metadata={"description": "The content as Markdown"})
    content_html = fields.Function(lambda r: str(render_markdown(r.content_md)),
                                   metadata={"description": "Sanitised HTML rendering"})
    file_sha256 = Text(attribute="file.sha256", allow_none=True)
    file_name = Text(attribute="file.original_name", allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class DocumentSchema(Schema):
    id = fields.Int()
    code = Text()
    title = Text()
    doc_type = fields.Enum(DocumentType, by_value=True)
    process_code = Text(attribute="process.code", allow_none=True)
    owner_username = Text(attribute="owner.username", allow_none=True)
    owner_role = Text(attribute="owner_role.value", allow_none=True)
    confidentiality = fields.Enum(Confidentiality, by_value=True)
    review_interval_months = fields.Int()
    status = fields.Function(lambda d: services.document_status(d),
                             metadata={"description": "effective, obsolete or in_preparation"})
    current_revision = fields.Function(
        lambda d: (r.number if (r := services.current_revision(d)) else None), allow_none=True)
    next_review_on = fields.Function(
        lambda d: (n.isoformat() if (n := services.next_review_on(d)) else None), allow_none=True)
    review_state = fields.Function(lambda d: services.review_state(d), allow_none=True,
                                   metadata={"description": "overdue, due or null"})
    version = fields.Int()


class DocumentDetailSchema(DocumentSchema):
    revisions = fields.List(fields.Nested(RevisionSummarySchema))


class DocumentQuerySchema(Schema):
    q = Text(load_default=None, metadata={"description": "Text in the code or title"})
    type = fields.Enum(DocumentType, by_value=True, load_default=None)
    process_id = fields.Int(load_default=None)
    status = Text(load_default=None, validate=validate.OneOf(
        ["effective", "obsolete", "in_preparation"]))
    review = Text(load_default=None, validate=validate.OneOf(["due", "overdue"]),
                        metadata={"description": "due includes overdue"})


class InForceQuerySchema(Schema):
    date = fields.Date(required=True, metadata={"description": "Local date (YYYY-MM-DD)"})


@blp.route("/")
class Documents(MethodView):
    @blp.arguments(DocumentQuerySchema, location="query")
    @blp.response(200, DocumentSchema(many=True))
    def get(self, args):
        """The master list of documents"""
        authorize("document.view")
        rows = master_list.master_rows(
            search=args["q"], doc_type=args["type"].value if args["type"] else None,
            process_id=args["process_id"], status=args["status"], review=args["review"])
        return [row.document for row in rows]


@blp.route("/<int:document_id>")
class DocumentItem(MethodView):
    @blp.response(200, DocumentDetailSchema)
    def get(self, document_id):
        """Read a document with the list of its revisions"""
        return get_or_404_authorized(Document, document_id, "document.view")


@blp.route("/<int:document_id>/revisions/")
class Revisions(MethodView):
    @blp.response(200, RevisionSummarySchema(many=True))
    def get(self, document_id):
        """The revisions of a document, newest first, with approvals and periods in force"""
        document = get_or_404_authorized(Document, document_id, "document.view")
        return list(reversed(document.revisions))


@blp.route("/<int:document_id>/revisions/<int:number>")
class RevisionItem(MethodView):
    @blp.response(200, RevisionSchema)
    def get(self, document_id, number):
        """Read one revision (by its number) with its content"""
        document = get_or_404_authorized(Document, document_id, "document.view")
        revision = next((r for r in document.revisions if r.number == number), None)
        if revision is None:
            abort(404)
        return revision


@blp.route("/<int:document_id>/in-force")
class InForce(MethodView):
    @blp.arguments(InForceQuerySchema, location="query")
    @blp.response(200, RevisionSchema)
    def get(self, args, document_id):
        """The revision that was in force on a date (404 when none was)"""
        document = get_or_404_authorized(Document, document_id, "document.view")
        revision: Revision | None = services.in_force_on(document, args["date"])
        if revision is None:
            abort(404)
        return revision
