"""NC register: list with filters and charts, export, report, detail with its whole story,
and one small POST per step of the workflow."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from qms.auth.models import User
from qms.auth.services import people_choices
from qms.core import export_jobs, geo
from qms.core.permissions import authorize, can, get_or_404_authorized, readable_processes
from qms.core.spreadsheets import export_filename, send_export
from qms.core.storage import send_stored_file
from qms.core.time import today_local
from qms.core.uow import attempt, checkpoint, write_first
from qms.extensions import db
from qms.nonconformities import export, register, services
from qms.nonconformities.enums import (
    IshikawaCategory,
    NCSeverity,
    NCSource,
    NCStatus,
)
from qms.nonconformities.forms import (
    ActionForm,
    ActionUpdateForm,
    AnalysisForm,
    AttachmentForm,
    CancelForm,
    CloseForm,
    CorrectionForm,
    NCForm,
    ReassignVerifierForm,
    ReplanForm,
    TransitionForm,
    VerificationPlanForm,
    VerificationResultForm,
)
from qms.nonconformities.models import (
    CorrectiveAction,
    EffectivenessVerification,
    NCAttachment,
    Nonconformity,
)
from qms.nonconformities.timeline import timeline
from qms.processes.facts import active_processes, process_choices
from qms.processes.models import Process

bp = Blueprint("nonconformities", __name__, url_prefix="/no-conformidades")
PER_PAGE = 25


# ------------------------------------------------------------------------ register


def _filters() -> register.Filters:
    """The register's filters from the query string; "assigned to me" is the current user."""
    filters = register.Filters.from_args(request.args)
    if filters.mine:
        filters.assigned_to = current_user.id
    filters.processes = readable_processes(current_user)
    return filters


@bp.get("/", endpoint="list")
@login_required
def list_ncs():
    authorize("nc.view")
    filters = _filters()
    page = register.register_page(filters, per_page=PER_PAGE)
    return render_template(
        "nonconformities/list.html", page=page, filters=filters, processes=active_processes(),
        statuses=NCStatus, sources=NCSource, severities=NCSeverity,
        charts=register.charts_svg(register.chart_figures(filters.processes)),
        today=today_local())


def _export_name(ext: str) -> str:
    return export_filename(_("no conformidades"), ext=ext)


def _export(fmt: str):
    """Stream a register export, or, above the format's threshold
    (``EXPORT_BACKGROUND_ROWS_XLSX`` / ``_CSV``), build it in the background and show
    its progress: no request comes near the worker timeout, whatever the register's size."""
    authorize("nc.view")
    filters = _filters()
    limit = current_app.config[f"EXPORT_BACKGROUND_ROWS_{fmt.upper()}"]
    total = export.export_count(filters)
    if total > limit:
        params = {**export.filters_params(filters, request.args.to_dict()), "format": fmt}
        token = export_jobs.start("nc_register", params=params, filename=_export_name(fmt),
                                  total=total,
                                  back=url_for("nonconformities.list", **request.args.to_dict()))
        return redirect(url_for("exports.progress", token=token))
    body = export.export_csv(filters) if fmt == "csv" else export.export_xlsx(filters)
    return send_export(body, _export_name(fmt))


@bp.get("/exportar.csv")
@login_required
def export_csv():
    return _export("csv")


@bp.get("/exportar.xlsx")
@login_required
def export_xlsx():
    return _export("xlsx")


# ------------------------------------------------------------------- report / edit


def _nc_form(nc: Nonconformity | None = None) -> NCForm:
    form = NCForm(obj=nc)
    form.process_id.choices = process_choices(keep=nc.process_id if nc else None)
    form.detected_by_id.choices = people_choices(keep=nc.detected_by if nc else None)
    form.set_place_choices()
    return form


@bp.route("/nueva", methods=["GET", "POST"])
@login_required
def new():
    authorize("nc.create")
    form = _nc_form()
    if request.method == "GET":
        form.detected_on.data = today_local()
        form.detected_by_id.data = current_user.id
        if request.args.get("process_id", "").isdigit():
            form.process_id.data = int(request.args["process_id"])
    if form.validate_on_submit():
        data = {k: form[k].data for k in ("title", "description", "source", "severity",
                                          "detected_on", "origin_type", "origin_id",
                                          "origin_label", "department_code",
                                          "municipality_code")}

        def work() -> Nonconformity:
            return services.report_nonconformity(
                **data, process=db.session.get(Process, form.process_id.data),
                detected_by=db.session.get(User, form.detected_by_id.data))

        if done := attempt(lambda: write_first(work), form):
            flash(_("No conformidad %(code)s registrada.", code=done.value.code), "success")
            return redirect(url_for("nonconformities.detail", nc_id=done.value.id))
    return render_template("nonconformities/form.html", form=form, nc=None)


@bp.route("/<int:nc_id>/editar", methods=["GET", "POST"])
@login_required
def edit(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.manage")
    form = _nc_form(nc)
    if not can(current_user, "nc.reassign", nc):
        form.process_id.render_kw = {"disabled": True}  # not posted: the stored one stays
    if request.method == "GET":
        form.version.data = nc.version
        form.source.data, form.severity.data = nc.source.value, nc.severity.value
    if form.validate_on_submit():
        if form.process_id.data != nc.process_id:
            authorize("nc.reassign", nc)
        if attempt(lambda: services.update_nonconformity(
                nc, expected_version=form.version.data, title=form.title.data,
                description=form.description.data, source=form.source.data,
                process=db.session.get(Process, form.process_id.data),
                severity=form.severity.data, severity_reason=form.severity_reason.data,
                detected_on=form.detected_on.data, department_code=form.department_code.data,
                municipality_code=form.municipality_code.data), form):
            flash(_("No conformidad %(code)s actualizada.", code=nc.code), "success")
            return redirect(url_for("nonconformities.detail", nc_id=nc.id))
    return render_template("nonconformities/form.html", form=form, nc=nc)


# ------------------------------------------------------------------------ detail


def _forms(nc: Nonconformity, **given) -> dict:
    """Every form the detail page may show, pre-filled; ``given`` replaces one that failed."""
    forms = {
        "correction": CorrectionForm(formdata=None, obj=nc),
        "analysis": AnalysisForm(formdata=None),
        "transition": TransitionForm(formdata=None),
        "action": ActionForm(formdata=None),
        "action_update": ActionUpdateForm(formdata=None),
        "replan": ReplanForm(formdata=None),
        "verification_plan": VerificationPlanForm(formdata=None),
        "verification_result": VerificationResultForm(formdata=None),
        "verifier_reassign": ReassignVerifierForm(formdata=None),
        "close": CloseForm(formdata=None),
        "cancel": CancelForm(formdata=None),
        "attachment": AttachmentForm(formdata=None),
    }
    forms["analysis"].fill(nc.current_analysis)
    people = people_choices()
    forms["action"].owner_id.choices = people
    forms["replan"].owner_id.choices = people
    forms["verification_plan"].verifier_id.choices = [
        choice for choice in people if choice.value != nc.process.owner_id]
    forms["verifier_reassign"].verifier_id.choices = forms["verification_plan"].verifier_id.choices
    for name, form in forms.items():
        if name not in ("action_update", "replan") and hasattr(form, "version"):
            form.version.data = nc.version
    forms.update(given)
    return forms


def _render_detail(nc: Nonconformity, status: int = 200, **given):
    return render_template(
        "nonconformities/detail.html", nc=nc, forms=_forms(nc, **given),
        timeline=timeline(nc), ishikawa_categories=list(IshikawaCategory),
        department=geo.department(nc.department_code),
        municipality=geo.municipality(nc.municipality_code), today=today_local(),
        statuses=NCStatus, close_meaning=services.CLOSE_MEANING), status


#: Everything the detail page shows, loaded up front: one query per kind of part
#: (actions, verifications, attachments…) whatever the NC holds, none per part.
_DETAIL_OPTIONS = (
    joinedload(Nonconformity.process), joinedload(Nonconformity.detected_by),
    joinedload(Nonconformity.reported_by), joinedload(Nonconformity.closed_by),
    selectinload(Nonconformity.analyses),
    selectinload(Nonconformity.actions).options(
        joinedload(CorrectiveAction.owner), joinedload(CorrectiveAction.completed_by),
        selectinload(CorrectiveAction.attachments).joinedload(NCAttachment.stored)),
    selectinload(Nonconformity.verifications).options(
        joinedload(EffectivenessVerification.verifier),
        joinedload(EffectivenessVerification.recorded_by),
        selectinload(EffectivenessVerification.attachments).joinedload(NCAttachment.stored)),
    selectinload(Nonconformity.attachments).options(
        joinedload(NCAttachment.stored), joinedload(NCAttachment.uploaded_by)),
)


@bp.get("/<int:nc_id>")
@login_required
def detail(nc_id: int):
    nc = db.session.get(Nonconformity, nc_id, options=_DETAIL_OPTIONS)
    if nc is None:
        abort(404)
    authorize("nc.view", nc)
    return _render_detail(nc)


def _step(nc: Nonconformity, form_name: str, form, action, success: str | None,
          validate: bool = True):
    """Validate ``form`` and :func:`attempt` ``action()``, then back to the detail page;
    on a refusal show the page again, with the error's status and the message on the
    form that failed (and at the top, since that form may sit far down the page)."""
    if validate and not form.validate_on_submit():
        flash(_("Revise los datos del formulario."), "danger")
        return _render_detail(nc, 422, **{form_name: form})
    done = attempt(action, form)
    if not done:
        if done.error.field and getattr(form, done.error.field, None) is not None:
            flash(str(done.error.message), "danger")
        return _render_detail(nc, done.error.http_status, **{form_name: form})
    if success:
        flash(success, "success")
    return redirect(url_for("nonconformities.detail", nc_id=nc.id))


def _redirected(response) -> bool:
    """Whether a :func:`_step` succeeded (a refusal re-renders the page: a tuple)."""
    return getattr(response, "status_code", None) == 302


@bp.post("/<int:nc_id>/correccion")
@login_required
def correction(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.manage")
    form = CorrectionForm()
    advance = "advance" in request.form
    response = _step(nc, "correction", form, lambda: services.record_correction(
        nc, expected_version=form.version.data, correction=form.correction.data,
        correction_on=form.correction_on.data), None if advance else _("Corrección registrada."))
    if not advance or not _redirected(response):
        return response
    # "Save and start the analysis": the correction stands even if the move is refused.
    checkpoint()
    return _step(nc, "correction", form, lambda: services.start_analysis(
        nc, expected_version=nc.version),
        _("Corrección registrada; comienza el análisis de causas."), validate=False)


@bp.post("/<int:nc_id>/analisis")
@login_required
def analysis(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.manage")
    form = AnalysisForm()
    advance = "advance" in request.form
    response = _step(nc, "analysis", form, lambda: services.save_analysis(
        nc, expected_version=form.version.data, whys=[f.data for f in form.whys()],
        ishikawa={c.value: form[f"ishikawa_{c.value}"].data for c in IshikawaCategory},
        root_cause=form.root_cause.data), None if advance else _("Análisis de causas guardado."))
    if not advance or not _redirected(response):
        return response
    # "Save and go on": the analysis is saved either way; the move has its own guard.
    checkpoint()
    form = TransitionForm(formdata=None)
    return _step(nc, "transition", form, lambda: services.submit_analysis(
        nc, expected_version=nc.version), _("Análisis guardado; pasa al plan de acción."),
        validate=False)


SIMPLE_TARGETS = {
    NCStatus.ANALYSIS.value: lambda nc, v: services.transition(
        nc, NCStatus.ANALYSIS, expected_version=v, actor=current_user),
    NCStatus.ACTION_PLAN.value: lambda nc, v: services.submit_analysis(nc, expected_version=v),
    NCStatus.IMPLEMENTATION.value: lambda nc, v: services.start_implementation(
        nc, expected_version=v),
}


@bp.post("/<int:nc_id>/estado")
@login_required
def transition(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.manage")
    form = TransitionForm()
    move = SIMPLE_TARGETS.get(form.target.data or "")
    if move is None:
        abort(400)
    return _step(nc, "transition", form, lambda: move(nc, form.version.data),
                 _("Estado actualizado."))


@bp.post("/<int:nc_id>/acciones")
@login_required
def add_action(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.manage")
    form = ActionForm()
    form.owner_id.choices = people_choices()
    return _step(nc, "action", form, lambda: services.add_action(
        nc, expected_version=form.version.data, description=form.description.data,
        owner=db.session.get(User, form.owner_id.data), due_on=form.due_on.data),
        _("Acción correctiva planificada."))


@bp.post("/<int:nc_id>/acciones/<int:action_id>")
@login_required
def update_action(nc_id: int, action_id: int):
    action = get_or_404_authorized(CorrectiveAction, action_id, "nc.action.update")
    if action.nc_id != nc_id:
        abort(404)
    form = ActionUpdateForm()
    form.action_id = action.id

    upload = form.file.data if form.file.data and form.file.data.filename else None
    success = _("Acción %(a)s actualizada.", a=action.label)
    # The typed evidence is saved first and stands even when the upload or the step
    # after it is refused; the page then shows the refusal with the text in its place.
    response = _step(action.nc, "action_update", form, lambda: services.update_action(
        action, expected_version=form.version.data, evidence=form.evidence.data,
        actor=current_user), success if not (upload or form.status.data) else None)
    if not _redirected(response) or not (upload or form.status.data):
        return response
    checkpoint()
    form.version.data = action.version

    def run():
        if upload is not None:
            services.attach_file(action.nc, upload.stream, upload.filename,
                                 uploader=current_user, action=action)
        if form.status.data:
            services.update_action(action, expected_version=action.version,
                                   status=form.status.data, actor=current_user,
                                   on_behalf_reason=form.on_behalf_reason.data)

    return _step(action.nc, "action_update", form, run, success, validate=False)


@bp.post("/<int:nc_id>/acciones/<int:action_id>/replanificar")
@login_required
def replan_action(nc_id: int, action_id: int):
    action = db.session.get(CorrectiveAction, action_id)
    if action is None or action.nc_id != nc_id:
        abort(404)
    authorize("nc.manage", action.nc)
    form = ReplanForm()
    form.action_id = action.id
    form.owner_id.choices = [(0, "—"), *people_choices()]

    def run():
        owner = db.session.get(User, form.owner_id.data) if form.owner_id.data else None
        services.replan_action(action, expected_version=form.version.data, actor=current_user,
                               reason=form.reason.data, due_on=form.due_on.data, owner=owner)

    return _step(action.nc, "replan", form, run,
                 _("Acción %(a)s replanificada.", a=action.label))


@bp.post("/<int:nc_id>/verificacion")
@login_required
def plan_verification(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.manage")
    form = VerificationPlanForm()
    form.verifier_id.choices = people_choices()
    return _step(nc, "verification_plan", form, lambda: services.send_to_verification(
        nc, expected_version=form.version.data, planned_on=form.planned_on.data,
        verifier=db.session.get(User, form.verifier_id.data)),
        _("Enviada a verificación de eficacia."))


@bp.post("/<int:nc_id>/verificacion/resultado")
@login_required
def record_verification(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.verify")
    form = VerificationResultForm()

    def run():
        verification = services.record_verification(
            nc, expected_version=form.version.data, result=form.result.data,
            evidence=form.evidence.data, actor=current_user,
            confirm_early=bool(form.confirm_early.data), early_reason=form.early_reason.data)
        upload = form.file.data
        if upload and upload.filename:
            services.attach_file(nc, upload.stream, upload.filename, uploader=current_user,
                                 verification=verification)

    return _step(nc, "verification_result", form, run,
                 _("Resultado de la verificación registrado."))


@bp.post("/<int:nc_id>/verificacion/reasignar")
@login_required
def reassign_verifier(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.verifier.reassign")
    form = ReassignVerifierForm()
    form.verifier_id.choices = people_choices()
    return _step(nc, "verifier_reassign", form, lambda: services.reassign_verifier(
        nc, expected_version=form.version.data,
        verifier=db.session.get(User, form.verifier_id.data), reason=form.reason.data,
        actor=current_user), _("Verificación reasignada."))


@bp.post("/<int:nc_id>/cerrar")
@login_required
def close(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.close")
    form = CloseForm()
    return _step(nc, "close", form, lambda: services.close_nonconformity(
        nc, expected_version=form.version.data, actor=current_user,
        password=form.password.data), _("No conformidad cerrada y firmada."))


@bp.post("/<int:nc_id>/anular")
@login_required
def cancel(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.manage")
    form = CancelForm()
    return _step(nc, "cancel", form, lambda: services.cancel_nonconformity(
        nc, expected_version=form.version.data, reason=form.reason.data),
        _("No conformidad anulada."))


@bp.post("/<int:nc_id>/adjuntos")
@login_required
def upload(nc_id: int):
    nc = get_or_404_authorized(Nonconformity, nc_id, "nc.attach")
    form = AttachmentForm()
    return _step(nc, "attachment", form, lambda: services.attach_file(
        nc, form.file.data.stream, form.file.data.filename, uploader=current_user),
        _("Archivo adjuntado."))


@bp.get("/<int:nc_id>/adjuntos/<int:attachment_id>")
@login_required
def download(nc_id: int, attachment_id: int):
    attachment = db.session.get(NCAttachment, attachment_id)
    if attachment is None or attachment.nc_id != nc_id:
        abort(404)
    authorize("nc.view", attachment.nc)
    return send_stored_file(attachment.stored)
