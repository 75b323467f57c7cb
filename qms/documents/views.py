"""Register of controlled documents: master list, documents, exports, reading list."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from qms.auth.models import User
from qms.auth.services import people_choices
from qms.core import audit, formats
from qms.core.permissions import authorize, get_or_404_authorized, readable_processes
from qms.core.spreadsheets import export_filename, send_export
from qms.core.storage import store
from qms.core.time import today_local
from qms.core.uow import attempt
from qms.documents import lifecycle, master_list, reading, register, services
from qms.documents.forms import ActionForm, DocumentForm, NewDocumentForm, ReviewUnchangedForm
from qms.documents.models import Document, DocumentType
from qms.extensions import db
from qms.processes.facts import process_choices
from qms.processes.models import Process

bp = Blueprint("documents", __name__, url_prefix="/documentos")


def _fill_choices(form: DocumentForm, document: Document | None = None) -> None:
    form.process_id.choices = process_choices(
        keep=document.process_id if document is not None else None)
    # a former owner stays selectable until replaced
    people = people_choices(keep=document.owner if document is not None else None)
    form.owner_id.choices = [SelectChoice(0, _("— Según el rol o el dueño del proceso —")),
                             *people]
    form.distribution_users.choices = people


def upload_from(field) -> object | None:
    """The StoredFile for an uploaded file field, or None when nothing was chosen."""
    data = field.data
    if data is None or not getattr(data, "filename", ""):
        return None
    return store(data.stream, data.filename, field="file")


def _filters() -> dict:
    args = request.args
    process_id = args.get("proceso", type=int)
    doc_type = args.get("tipo") if args.get("tipo") in {t.value for t in DocumentType} else None
    status = args.get("estado") if args.get("estado") in services.DOCUMENT_STATUS_LABELS else None
    review = args.get("revision") if args.get("revision") in ("due", "overdue") else None
    queue = args.get("cola") if args.get("cola") in master_list.QUEUES else None
    return {"search": args.get("q", "").strip() or None, "doc_type": doc_type,
            "process_id": process_id, "status": status, "review": review, "queue": queue}


@bp.get("/", endpoint="list")
@login_required
def list_documents():
    authorize("document.view")
    filters = _filters()
    sort = register.parse_sort(request.args.get("orden"))
    page = register.register_page(page=request.args.get("page", 1, type=int), sort=sort,
                                  processes=readable_processes(current_user), **filters)
    processes = db.session.scalars(select(Process).order_by(Process.code)).all()
    return render_template("documents/list.html", page=page, sort=sort, filters=filters,
                           processes=processes, types=DocumentType,
                           statuses=services.DOCUMENT_STATUS_LABELS)


def _export_name(extension: str) -> str:
    return export_filename(_("lista maestra"), ext=extension)


@bp.get("/lista-maestra.csv")
@login_required
def export_csv():
    authorize("document.export")
    return send_export(master_list.to_csv(master_list.master_rows(
        processes=readable_processes(current_user), **_filters())),
                       _export_name("csv"))


@bp.get("/lista-maestra.xlsx")
@login_required
def export_xlsx():
    authorize("document.export")
    title = _("Lista maestra de documentos · %(d)s", d=formats.local_date(today_local()))
    return send_export(master_list.to_xlsx(master_list.master_rows(
        processes=readable_processes(current_user), **_filters()), title),
                       _export_name("xlsx"))


@bp.get("/por-leer")
@login_required
def reading_list():
    authorize("document.reading_list")
    return render_template("documents/reading_list.html",
                           pending=reading.documents_to_read(current_user), form=ActionForm())


@bp.route("/nuevo", methods=["GET", "POST"])
@login_required
def new():
    authorize("document.create")
    form = NewDocumentForm()
    _fill_choices(form)
    if form.validate_on_submit() and (done := attempt(lambda: _create(form), form)):
        flash(_("Documento %(code)s registrado con la revisión 1 en borrador.",
                code=done.value.code), "success")
        return redirect(url_for("documents.detail", document_id=done.value.id))
    return render_template("documents/form.html", form=form, document=None)


def _create(form: NewDocumentForm) -> Document:
    """The register entry, its distribution and its first draft revision, as one unit."""
    document = services.create_document(
        code=form.code.data, title=form.title.data, doc_type=form.doc_type.data,
        process=db.session.get(Process, form.process_id.data),
        owner=db.session.get(User, form.owner_id.data) if form.owner_id.data else None,
        confidentiality=form.confidentiality.data,
        review_interval_months=form.review_interval_months.data)
    services.set_distribution(
        document, roles=form.distribution_roles.data or [],
        users=[db.session.get(User, i) for i in form.distribution_users.data or []])
    lifecycle.new_revision(document, author=current_user, content_md=form.content_md.data,
                          change_summary=form.change_summary.data, file=upload_from(form.file))
    return document


def _update(document: Document, form: DocumentForm) -> None:
    services.update_document(
        document, expected_version=form.version.data, title=form.title.data,
        doc_type=form.doc_type.data, process=db.session.get(Process, form.process_id.data),
        owner=db.session.get(User, form.owner_id.data) if form.owner_id.data else None,
        confidentiality=form.confidentiality.data,
        review_interval_months=form.review_interval_months.data)
    services.set_distribution(
        document, roles=form.distribution_roles.data or [],
        users=[db.session.get(User, i) for i in form.distribution_users.data or []])


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/<int:document_id>")
@login_required
def detail(document_id: int):
    document = get_or_404_authorized(Document, document_id, "document.view")
    return _render_detail(document)


@bp.post("/<int:document_id>/revision-periodica")
@login_required
def close_review(document_id: int):
    """Close the periodic review as "reviewed, no changes" (no new revision)."""
    document = get_or_404_authorized(Document, document_id, "document.edit")
    form = ReviewUnchangedForm(prefix="review")
    if form.validate_on_submit() and (done := attempt(lambda: services.close_review_unchanged(
            document, expected_version=form.version.data, note=form.note.data,
            actor=current_user), form)):
        flash(_("Revisión periódica cerrada sin cambios; la próxima es el %(d)s.",
                d=format_date(done.value)), "success")
        return redirect(url_for("documents.detail", document_id=document.id))
    return _render_detail(document, review_form=form, status=422)


def _render_detail(document: Document, review_form: ReviewUnchangedForm | None = None,
                   status: int = 200):
    if review_form is None:
        review_form = ReviewUnchangedForm(prefix="review", formdata=None)
        review_form.version.data = document.version
    asked = request.args.get("fecha")
    day = _parse_day(asked)
    if asked and day is None:
        flash(_("Fecha no válida: use el formato AAAA-MM-DD."), "danger")
    current = services.current_revision(document)
    must_read = (current is not None and reading.is_recipient(current_user, document)
                 and reading.acknowledgement(current, current_user) is None)
    return render_template(
        "documents/detail.html", document=document, current=current,
        scheduled=services.scheduled_revision(document),
        pending_revision=services.open_revision(document),
        next_review=services.next_review_on(document),
        review_state=services.review_state(document),
        status_label=services.DOCUMENT_STATUS_LABELS[services.document_status(document)],
        day=day, in_force=services.in_force_on(document, day) if day else None,
        reading=reading.reading_status(document), must_read=must_read,
        events=audit.history(db.session, document), form=ActionForm(),
        review_form=review_form), status


@bp.route("/<int:document_id>/editar", methods=["GET", "POST"])
@login_required
def edit(document_id: int):
    document = get_or_404_authorized(Document, document_id, "document.edit")
    form = DocumentForm(obj=document)
    _fill_choices(form, document)
    form.code.render_kw = {"readonly": True}
    form.code.data = document.code
    if request.method == "GET":
        form.version.data = document.version
        form.doc_type.data = document.doc_type.value
        form.confidentiality.data = document.confidentiality.value
        form.owner_id.data = document.owner_id or 0
        form.process_id.data = document.process_id
        form.distribution_roles.data = [e.role.value for e in document.distribution if e.role]
        form.distribution_users.data = [e.user_id for e in document.distribution if e.user_id]
    if form.validate_on_submit() and attempt(lambda: _update(document, form), form):
        flash(_("Documento %(code)s actualizado.", code=document.code), "success")
        return redirect(url_for("documents.detail", document_id=document.id))
    return render_template("documents/form.html", form=form, document=document)


@bp.get("/<int:document_id>/comparar")
@login_required
def compare(document_id: int):
    from qms.documents.rendering import side_by_side

    document = get_or_404_authorized(Document, document_id, "document.view")
    by_number = {r.number: r for r in document.revisions}
    if not by_number:
        flash(_("El documento no tiene revisiones."), "warning")
        return redirect(url_for("documents.detail", document_id=document.id))
    newest = max(by_number)
    b = by_number.get(request.args.get("b", type=int) or newest) or by_number[newest]
    a = by_number.get(request.args.get("a", type=int) or max(b.number - 1, 1)) or by_number[newest]
    full = request.args.get("completo") == "1"
    rows = side_by_side(a.content_md, b.content_md, context=None if full else 3)
    return render_template("documents/compare.html", document=document, a=a, b=b, rows=rows,
                           full=full, numbers=sorted(by_number))
