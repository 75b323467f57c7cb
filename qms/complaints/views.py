"""Staff side: the complaints register, a complaint's page and its handling steps."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from qms.auth.models import User
from qms.complaints import services
from qms.complaints.forms import AnswerForm, RaiseNCForm
from qms.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from qms.core import audit, formats, geo
from qms.core.charts import bar_chart
from qms.core.forms import EmptyForm
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.spreadsheets import Column, send_table
from qms.core.storage import send_stored_file
from qms.core.time import to_local, today_local
from qms.core.uow import attempt, write_first
from qms.extensions import db

bp = Blueprint("complaints", __name__, url_prefix="/quejas")


def _filters() -> dict:
    return {"status": request.args.get("estado") or None,
            "category": request.args.get("tipo") or None,
            "department": request.args.get("departamento") or None,
            "overdue_only": request.args.get("atrasadas") == "1",
            "open_only": request.args.get("abiertas") == "1"}


def _rows(filters: dict) -> list[tuple[Complaint, list[str]]]:
    rows = [(c, services.overdue(c)) for c in db.session.scalars(
        services.register_query(**filters))]
    if filters["overdue_only"]:
        rows = [(c, late) for c, late in rows if late]
    return rows


@bp.get("/", endpoint="list")
@login_required
def list_complaints():
    """The register, 50 a page, newest first; the charts counted in SQL over the filter."""
    authorize("complaint.view")
    filters = _filters()
    query = services.register_query(**filters)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=50,
                       max_per_page=50, error_out=False)
    cutoffs = services.late_cutoffs()
    rows = [(c, services.late_under(c, cutoffs)) for c in page.items]
    matching = query.order_by(None).subquery()
    by_status = dict(db.session.execute(
        select(matching.c.status, func.count()).group_by(matching.c.status)).all())
    by_category = dict(db.session.execute(
        select(matching.c.category, func.count()).group_by(matching.c.category)).all())
    charts = [
        bar_chart([(s.label, by_status.get(s, 0)) for s in ComplaintStatus],
                  title=_("Quejas por estado")),
        bar_chart([(c.label, by_category.get(c, 0)) for c in ComplaintCategory],
                  title=_("Quejas por tipo"), color="#e07b00"),
    ]
    return render_template("complaints/list.html", rows=rows, page=page, total=page.total,
                           filters=filters, charts=charts, statuses=ComplaintStatus,
                           categories=ComplaintCategory, departments=geo.departments())


EXPORT_FORMATS = ("csv", "xlsx")


@bp.get("/exportar.<fmt>")
@login_required
def export(fmt: str):
    """The register as the page filters it; never the citizen's contact or own words
    beyond what the register shows."""
    authorize("complaint.view")
    if fmt not in EXPORT_FORMATS:
        abort(404)
    columns = [Column(_("Código"), 16), Column(_("Recibida"), 17), Column(_("Tipo"), 20),
               Column(_("Departamento"), 16), Column(_("Municipio"), 18), Column(_("Estado"), 16),
               Column(_("Acusada"), 12), Column(_("Respondida"), 12), Column(_("Atrasada"), 22),
               Column(_("No conformidad"), 14), Column(_("Qué pasó"), 60)]

    def rows():
        for c, late in _rows(_filters()):
            muni = geo.municipality(c.municipality_code)
            yield [c.display_code, c.received_at, c.category.label,
                   geo.department(c.department_code).name, muni.name if muni else "",
                   c.status.label,
                   to_local(c.acknowledged_at).date() if c.acknowledged_at else None,
                   to_local(c.answered_at).date() if c.answered_at else None,
                   ", ".join(late), c.nc_code or "", c.description]

    title = _("Registro de quejas y denuncias · %(d)s", d=formats.local_date(today_local()))
    return send_table(fmt, [_("quejas")], title, _("Quejas"), columns, rows())


def _detail(complaint: Complaint, *, contact=None, answer_form=None, nc_form=None, status=200):
    from qms.nonconformities.enums import NCSeverity
    from qms.processes.facts import active_processes

    answer_form = answer_form or AnswerForm(formdata=None, public_answer=complaint.public_answer,
                                            internal_note=complaint.internal_note)
    answer_form.version.data = complaint.version
    nc_form = nc_form or RaiseNCForm(formdata=None)
    nc_form.process_id.choices = [(p.id, f"{p.code} · {p.name}") for p in active_processes()]
    nc_form.severity.choices = NCSeverity.choices()
    return render_template(
        "complaints/detail.html", complaint=complaint, late=services.overdue(complaint),
        acknowledge_due=services.acknowledge_due(complaint),
        answer_due=services.answer_due(complaint), contact=contact, answer_form=answer_form,
        nc_form=nc_form, button=EmptyForm(), events=audit.history(db.session, complaint),
        department=geo.department(complaint.department_code),
        municipality=geo.municipality(complaint.municipality_code)), status


@bp.get("/<int:complaint_id>")
@login_required
def detail(complaint_id: int):
    return _detail(get_or_404_authorized(Complaint, complaint_id, "complaint.view"))


@bp.post("/<int:complaint_id>/contacto")
@login_required
def contact(complaint_id: int):
    complaint = get_or_404_authorized(Complaint, complaint_id, "complaint.contact")
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _detail(complaint, contact=services.reveal_contact(complaint))


@bp.post("/<int:complaint_id>/acuse")
@login_required
def acknowledge(complaint_id: int):
    complaint = get_or_404_authorized(Complaint, complaint_id, "complaint.handle")
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.acknowledge(complaint, current_user)
    flash(_("Acuse de recibo registrado: la queja está en revisión."), "success")
    return redirect(url_for("complaints.detail", complaint_id=complaint.id))


@bp.post("/<int:complaint_id>/responder")
@login_required
def answer(complaint_id: int):
    complaint = get_or_404_authorized(Complaint, complaint_id, "complaint.handle")
    form = AnswerForm()
    if form.validate_on_submit() and attempt(lambda: services.answer(
            complaint, current_user, public_answer=form.public_answer.data,
            internal_note=form.internal_note.data,
            expected_version=form.version.data), form):
        flash(_("Respuesta publicada: la persona la verá con su código."), "success")
        return redirect(url_for("complaints.detail", complaint_id=complaint.id))
    return _detail(complaint, answer_form=form, status=422)


@bp.post("/<int:complaint_id>/cerrar")
@login_required
def close(complaint_id: int):
    complaint = get_or_404_authorized(Complaint, complaint_id, "complaint.handle")
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.close(complaint, current_user)
    flash(_("Queja cerrada."), "success")
    return redirect(url_for("complaints.detail", complaint_id=complaint.id))


@bp.post("/<int:complaint_id>/no-conformidad")
@login_required
def raise_nc(complaint_id: int):
    from qms.nonconformities.enums import NCSeverity
    from qms.processes.facts import active_processes
    from qms.processes.models import Process

    complaint = get_or_404_authorized(Complaint, complaint_id, "complaint.handle")
    form = RaiseNCForm()
    form.process_id.choices = [(p.id, p.code) for p in active_processes()]
    form.severity.choices = NCSeverity.choices()
    if form.validate_on_submit():
        actor_id, process_id = current_user.id, form.process_id.data
        done = attempt(lambda: write_first(lambda: services.raise_nonconformity(
            complaint_id, db.session.get(User, actor_id),
            process=db.session.get(Process, process_id), severity=form.severity.data,
            title=form.title.data)), form)
        if done:
            _complaint, nc = done.value
            flash(_("No conformidad %(code)s levantada desde la queja.", code=nc.code),
                  "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint_id))
    complaint = db.session.get(Complaint, complaint_id)
    return _detail(complaint, nc_form=form, status=422)


@bp.get("/<int:complaint_id>/foto")
@login_required
def photo(complaint_id: int):
    complaint = get_or_404_authorized(Complaint, complaint_id, "complaint.handle")
    if complaint.photo is None:
        abort(404)
    return send_stored_file(complaint.photo, inline=True)
