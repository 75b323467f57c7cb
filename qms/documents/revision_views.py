"""Revision pages and their transitions (each a POST with CSRF): the document lifecycle."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from qms.core import audit
from qms.core.errors import ConflictError
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.storage import send_stored_file
from qms.core.time import today_local
from qms.core.uow import attempt
from qms.documents import lifecycle, reading, services
from qms.documents.forms import ActionForm, ApproveForm, EffectiveForm, ReasonForm, RevisionForm
from qms.documents.models import OPEN_STATUSES, Document, Revision, RevisionStatus
from qms.documents.permissions import approver_roles_for
from qms.documents.rendering import side_by_side
from qms.documents.views import bp, upload_from
from qms.extensions import db


def _to_revision(revision: Revision):
    return redirect(url_for("documents.revision", revision_id=revision.id))


def _forms(revision: Revision) -> dict:
    approve = ApproveForm(prefix="approve")
    approve.version.data = revision.version
    effective = EffectiveForm(prefix="effective")
    if effective.effective_from.data is None and not effective.effective_from.errors:
        effective.effective_from.data = today_local()
    return {"action_form": ActionForm(), "approve_form": approve, "effective_form": effective,
            "return_form": ReasonForm(prefix="return"), "obsolete_form": ReasonForm(prefix="obsolete")}


def _render_revision(revision: Revision, status: int = 200, **forms):
    context = {**_forms(revision), **forms}
    approvers = (lifecycle.possible_approvers(revision, current_user)
                 if revision.status == RevisionStatus.DRAFT else [])
    return render_template("documents/revision.html", revision=revision,
                           document=revision.document, approvers=approvers,
                           approver_roles=[r.label for r in approver_roles_for(revision.document)],
                           events=audit.history(db.session, revision), **context), status


@bp.get("/revisiones/<int:revision_id>")
@login_required
def revision(revision_id: int):
    revision = get_or_404_authorized(Revision, revision_id, "document.view")
    return _render_revision(revision)


@bp.route("/<int:document_id>/revisiones/nueva", methods=["GET", "POST"])
@login_required
def new_revision(document_id: int):
    """The draft form, filled with the text in force; nothing is created until it is
    saved, so leaving the page (or "Cancelar") leaves no orphan draft behind."""
    document = get_or_404_authorized(Document, document_id, "document.draft")
    pending = services.open_revision(document)
    if pending is not None:
        flash(_("La revisión %(n)s de este documento aún está en preparación (%(s)s): "
                "termínela o descártela antes de iniciar otra.", n=pending.number,
                s=pending.status.label), "warning")
        return redirect(url_for("documents.detail", document_id=document.id))
    base = services.current_revision(document) or (document.revisions[-1]
                                                     if document.revisions else None)
    form = RevisionForm()
    if request.method == "GET":
        form.content_md.data = base.content_md if base else ""
    base_file = base.file if base is not None else None

    def create():
        upload = upload_from(form.file)
        keep = None if form.remove_file.data else base_file
        return lifecycle.new_revision(
            document, author=current_user, content_md=form.content_md.data,
            change_summary=form.change_summary.data, file=upload or keep)

    if form.validate_on_submit() and (done := attempt(create, form)):
        flash(_("Revisión %(n)s guardada en borrador.", n=done.value.number), "success")
        return _to_revision(done.value)
    return render_template("documents/revision_form.html", form=form, revision=None,
                           document=document, conflict=None, base_file=base_file)


@bp.route("/revisiones/<int:revision_id>/editar", methods=["GET", "POST"])
@login_required
def edit_revision(revision_id: int):
    revision = db.session.get(Revision, revision_id) or abort(404)
    authorize("document.draft", revision.document)
    if revision.status != RevisionStatus.DRAFT:
        flash(_("Solo se puede editar una revisión en borrador."), "warning")
        return _to_revision(revision)
    form = RevisionForm(obj=revision)
    if request.method == "GET":
        form.version.data = revision.version
    conflict = None
    if form.validate_on_submit():
        done = attempt(lambda: lifecycle.update_draft(
            revision, expected_version=form.version.data, content_md=form.content_md.data,
            change_summary=form.change_summary.data, file=upload_from(form.file),
            remove_file=form.remove_file.data), form)
        if done:
            flash(_("Borrador guardado."), "success")
            return _to_revision(revision)
        if isinstance(done.error, ConflictError):
            # Keep what this person typed, show what the other person saved (the rollback
            # reloads it), and let them decide: the next save is made against the version
            # they have now seen.
            conflict = side_by_side(revision.content_md, form.content_md.data or "")
            form.version.data = revision.version
    return render_template("documents/revision_form.html", form=form, revision=revision,
                           document=revision.document, conflict=conflict)


def _transition(revision: Revision, action, success: str, form=None):
    """Run ``action`` (a service call) and go back to the revision page; a refusal about
    one of ``form``'s fields shows the page again with the message on that field (422),
    any other is flashed."""
    done = attempt(action, form)
    if done:
        flash(success, "success")
    elif form is not None and _on_field(form, done.error):
        status = 429 if done.error.http_status == 429 else 422
        return _render_revision(revision, status, **{_form_key(form): form})
    return _to_revision(revision)


def _on_field(form, error) -> bool:
    return bool(error.field) and getattr(form, error.field, None) is not None \
        and not isinstance(error, ConflictError)


def _form_key(form) -> str:
    return {"approve": "approve_form", "effective": "effective_form", "return": "return_form",
            "obsolete": "obsolete_form"}[form._prefix.rstrip("-")]


@bp.post("/revisiones/<int:revision_id>/enviar")
@login_required
def submit(revision_id: int):
    revision = db.session.get(Revision, revision_id) or abort(404)
    authorize("document.draft", revision.document)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    version = form.version.data or None
    return _transition(revision, lambda: lifecycle.submit_for_review(
        revision, current_user, expected_version=version),
        _("Revisión enviada a aprobación."))


@bp.post("/revisiones/<int:revision_id>/devolver")
@login_required
def return_to_draft(revision_id: int):
    revision = get_or_404_authorized(Revision, revision_id, "revision.return")
    form = ReasonForm(prefix="return")
    if not form.validate_on_submit():
        return _render_revision(revision, 422, return_form=form)
    return _transition(revision, lambda: lifecycle.return_to_draft(
        revision, current_user, form.reason.data), _("Revisión devuelta al autor."), form)


@bp.post("/revisiones/<int:revision_id>/aprobar")
@login_required
def approve(revision_id: int):
    """Sign. Wrong passwords count against the signature limit (verify_signature)."""
    revision = get_or_404_authorized(Revision, revision_id, "revision.approve")
    form = ApproveForm(prefix="approve")
    if not form.validate_on_submit():
        return _render_revision(revision, 422, approve_form=form)
    return _transition(revision, lambda: lifecycle.approve(
        revision, current_user, form.password.data,
        expected_version=form.version.data or None),
        _("Revisión aprobada con su firma electrónica."), form)


@bp.post("/revisiones/<int:revision_id>/publicar")
@login_required
def publish(revision_id: int):
    revision = get_or_404_authorized(Revision, revision_id, "document.publish")
    form = EffectiveForm(prefix="effective")
    if not form.validate_on_submit():
        return _render_revision(revision, 422, effective_form=form)
    return _transition(revision, lambda: lifecycle.make_effective(
        revision, current_user, form.effective_from.data),
        _("Revisión publicada: vigente desde el %(d)s.", d=form.effective_from.data.isoformat()),
        form)


@bp.post("/revisiones/<int:revision_id>/obsoleta")
@login_required
def obsolete(revision_id: int):
    revision = db.session.get(Revision, revision_id) or abort(404)
    if revision.status in OPEN_STATUSES:
        authorize("document.draft", revision.document)
    else:
        authorize("document.withdraw", revision.document)
    form = ReasonForm(prefix="obsolete")
    if not form.validate_on_submit():
        return _render_revision(revision, 422, obsolete_form=form)
    message = (_("Revisión descartada.") if revision.status in OPEN_STATUSES
               else _("Documento retirado: la revisión quedó obsoleta."))
    return _transition(revision, lambda: lifecycle.make_obsolete(
        revision, current_user, form.reason.data), message, form)


@bp.get("/revisiones/<int:revision_id>/archivo")
@login_required
def download(revision_id: int):
    revision = get_or_404_authorized(Revision, revision_id, "document.view")
    if revision.file is None:
        abort(404)
    return send_stored_file(revision.file, inline=request.args.get("ver") == "1"
                            and revision.file.mime_type == "application/pdf")


@bp.post("/revisiones/<int:revision_id>/confirmar-lectura")
@login_required
def acknowledge(revision_id: int):
    revision = get_or_404_authorized(Revision, revision_id, "document.reading_list")
    if not ActionForm().validate_on_submit():
        abort(400)
    if attempt(lambda: reading.acknowledge(revision, current_user)):
        flash(_("Lectura de %(label)s confirmada.", label=revision.label), "success")
    target = request.form.get("next")
    if target == "reading_list":
        return redirect(url_for("documents.reading_list"))
    return redirect(url_for("documents.detail", document_id=revision.document_id))
