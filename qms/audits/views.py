"""Audit pages: the yearly programme, planning, the audit with its team, checklist,
findings and report, and one small POST per step."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from qms.audits import checklists, programme, services
from qms.audits.enums import AuditType, MemberRole
from qms.audits.forms import (
    CancelForm,
    CorrectionForm,
    EvidenceForm,
    FindingForm,
    LeadForm,
    MemberForm,
    PlanForm,
    ProgrammeForm,
    ResponseForm,
    SignForm,
    StartForm,
    SubmissionForm,
    TemplateForm,
)
from qms.audits.models import Audit, AuditMember, ChecklistTemplate
from qms.auth.models import User
from qms.core import audit as trail
from qms.core.checklists import auditable_clauses, clause_titles
from qms.core.forms import EmptyForm
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.time import today_local
from qms.core.uow import attempt, write_first
from qms.documents import facts as document_facts
from qms.extensions import db
from qms.processes import facts as process_facts
from qms.processes.models import Process

bp = Blueprint("audits", __name__, url_prefix="/auditorias")


def _processes() -> list[Process]:
    return list(db.session.scalars(select(Process).where(Process.active.is_(True))
                                   .order_by(Process.code)))


def _clause_choices() -> list[tuple[str, str]]:
    titles = clause_titles()
    keep = auditable_clauses()
    return [(c, f"{c} {titles[c]}") for c in titles if c in keep and c.count(".") <= 1]


def _back(audit: Audit, anchor: str = ""):
    return redirect(url_for("audits.detail", audit_id=audit.id) + (f"#{anchor}" if anchor else ""))


# ------------------------------------------------------------------------ programme


@bp.get("/", endpoint="index")
@login_required
def index():
    authorize("audit.view")
    return redirect(url_for("audits.programme", year=today_local().year))


@bp.route("/programa/<int:year>", methods=["GET", "POST"], endpoint="programme")
@login_required
def programme_page(year: int):
    authorize("audit.view")
    if not 2000 <= year <= 2100:
        abort(404)
    prog = services.programme_for(year)
    form = ProgrammeForm(obj=prog)
    if request.method == "POST":
        authorize("audit.programme.edit")
        if form.validate_on_submit() and attempt(lambda: _save_programme(year, prog, form), form):
            flash(_("Programa %(y)s guardado.", y=year), "success")
            return redirect(url_for("audits.programme", year=year))
    if prog is not None and request.method == "GET":
        form.version.data = prog.version
    today = today_local()
    context = {"year": year, "prog": prog, "form": form, "today_year": today.year,
               "today_month": today.month}
    if prog is not None:
        # every part of the page from one read of each fact: a fixed number of queries
        programme.load_programme_audits(prog)
        audits, clause_rows = programme.clause_coverage(prog)
        processes = process_facts.active_processes()
        attribution = programme.complaint_attribution()
        coverage = programme.process_coverage(prog, processes)
        context.update(attribution=attribution, active_processes=processes,
                       coverage=coverage, clause_audits=audits,
                       clause_rows=clause_rows, auditors=programme.auditors_view(prog),
                       proposal=programme.risk_proposal(prog, today, processes=processes,
                                                        coverage=coverage,
                                                        attribution=attribution))
    return render_template("audits/programme.html", **context)


@bp.post("/programa/<int:year>/quejas", endpoint="complaint_attribution")
@login_required
def complaint_attribution(year: int):
    """Which process the complaints of each category count for in the risk ranking."""
    authorize("audit.programme.edit")
    if not EmptyForm().validate_on_submit():
        abort(400)
    programme.set_complaint_attribution(
        {a.category: request.form.get(f"c-{a.category}", "")
         for a in programme.complaint_attribution()})
    flash(_("Atribución de las quejas guardada."), "success")
    return redirect(url_for("audits.programme", year=year) + "#propuesta")


def _save_programme(year: int, prog, form: ProgrammeForm):
    if prog is None:
        prog = services.programme_for(year, create=True)
        prog.objectives = (form.objectives.data or "").strip()
        return prog
    return services.update_programme(prog, expected_version=form.version.data,
                                     objectives=form.objectives.data)


# ------------------------------------------------------------------------ planning


def _plan_form(audit: Audit | None = None) -> PlanForm:
    form = PlanForm(obj=audit)
    external = audit.audit_type.is_external if audit else True
    form.process_ids.choices = [(p.id, f"{p.code} · {p.name}") for p in _processes()]
    form.criteria_clauses.choices = _clause_choices()
    on = audit.planned_start if audit else today_local()
    form.document_ids.choices = [(d.document_id, f"{d.code} rev. {d.revision} · {d.title}")
                                 for d in document_facts.procedures_in_force(on)]
    form.template_id.choices = [(0, "—")] + [(t.id, f"{t.code} v{t.version_no} · {t.title}")
                                             for t in checklists.templates()]
    form.lead_id.choices = [(0, "—")] + [(u.id, f"{u.full_name} ({u.role.label})")
                                         for u in services.auditor_candidates(external)]
    return form


@bp.route("/nueva", methods=["GET", "POST"])
@login_required
def new():
    authorize("audit.plan")
    form = _plan_form()
    if request.method == "GET":
        form.planned_start.data = form.planned_end.data = today_local()
        form.lead_id.data = current_user.id
        if request.args.get("proceso", "").isdigit():
            form.process_ids.data = [int(request.args["proceso"])]

    def work():
        prog = services.programme_for(form.planned_start.data.year, create=True)
        return services.plan_audit(
            prog, audit_type=form.audit_type.data, title=form.title.data,
            scope=form.scope.data, objectives=form.objectives.data,
            processes=[db.session.get(Process, i) for i in form.process_ids.data],
            clauses=form.criteria_clauses.data, document_ids=form.document_ids.data,
            template=db.session.get(ChecklistTemplate, form.template_id.data or 0),
            lead=db.session.get(User, form.lead_id.data or 0), location=form.location.data,
            certification_body=form.certification_body.data,
            planned_start=form.planned_start.data, planned_end=form.planned_end.data)

    # The yearly counter is contended: take the write lock first (SQLite queues writers).
    if form.validate_on_submit() and (done := attempt(lambda: write_first(work), form)):
        flash(_("Auditoría %(code)s planificada.", code=done.value.code), "success")
        return redirect(url_for("audits.detail", audit_id=done.value.id))
    return render_template("audits/form.html", form=form, audit=None)


@bp.route("/<int:audit_id>/editar", methods=["GET", "POST"])
@login_required
def edit(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.edit")
    if not audit.is_editable:
        flash(_("La auditoría %(code)s está «%(s)s»: ya no se modifica.", code=audit.code,
                s=audit.status.label), "warning")
        return _back(audit)
    form = _plan_form(audit)
    for name in ("audit_type", "template_id", "lead_id", "document_ids"):
        getattr(form, name).render_kw = {"disabled": True}
    if request.method == "GET":
        form.version.data = audit.version
        form.audit_type.data = audit.audit_type.value
        form.process_ids.data = [p.id for p in audit.processes]
        form.criteria_clauses.data = list(audit.criteria_clauses)
    form.audit_type.data = audit.audit_type.value
    form.template_id.data = audit.template_id or 0
    form.lead_id.data = audit.lead.id if audit.lead else 0
    form.document_ids.data = []
    if form.validate_on_submit() and attempt(lambda: services.update_plan(
            audit, expected_version=form.version.data, title=form.title.data,
            scope=form.scope.data, objectives=form.objectives.data,
            processes=[db.session.get(Process, i) for i in form.process_ids.data],
            clauses=form.criteria_clauses.data, location=form.location.data,
            certification_body=form.certification_body.data,
            planned_start=form.planned_start.data, planned_end=form.planned_end.data), form):
        flash(_("Plan de la auditoría %(code)s actualizado.", code=audit.code), "success")
        return _back(audit)
    return render_template("audits/form.html", form=form, audit=audit)


# ------------------------------------------------------------------------ detail


def _detail_context(audit: Audit, **forms) -> dict:
    member_form = forms.get("member_form") or MemberForm(prefix="m")
    member_form.user_id.choices = [(u.id, f"{u.full_name} ({u.role.label})")
                                   for u in services.people()
                                   if all(m.user_id != u.id for m in audit.members)]
    finding_form = forms.get("finding_form") or FindingForm(prefix="f")
    finding_form.clause.choices = _clause_choices()
    finding_form.process_id.choices = [(p.id, f"{p.code} · {p.name}") for p in audit.processes]
    finding_form.item_id.choices = [(0, "—")] + [(i.id, f"{i.position}. {i.question[:80]}")
                                                 for i in audit.items]
    to_follow = services.open_findings_to_follow(audit) \
        if audit.audit_type == AuditType.FOLLOW_UP else []
    finding_form.follows_up_id.choices = [(0, "—")] + [
        (f.id, f"{f.audit.code} {f.label} · {f.description[:60]}") for f in to_follow]
    lead_form = LeadForm(prefix="l")
    lead_form.lead_id.choices = [(u.id, f"{u.full_name} ({u.role.label})") for u in
                                 services.auditor_candidates(audit.audit_type.is_external)]
    lead_form.version.data = audit.version
    template_form = TemplateForm(prefix="t")
    template_form.template_id.choices = [(t.id, f"{t.code} v{t.version_no} · {t.title}")
                                         for t in checklists.templates()]
    template_form.version.data = audit.version
    # Who could not join the team, and why (the same rule the service applies).
    refused = []
    for person in services.auditor_candidates(audit.audit_type.is_external):
        if any(m.user_id == person.id for m in audit.members):
            continue
        problem = services.impartiality_problem(audit, person, MemberRole.AUDITOR)
        if problem:
            refused.append(problem)
    sign_form = forms.get("sign_form") or SignForm(prefix="s")
    sign_form.version.data = audit.version
    if not sign_form.conclusion.data and audit.conclusion:
        sign_form.conclusion.data = audit.conclusion
    return {
        "audit": audit, "member_form": member_form, "finding_form": finding_form,
        "lead_form": lead_form, "template_form": template_form, "refused": refused,
        "start_form": StartForm(prefix="st", version=audit.version),
        "cancel_form": CancelForm(prefix="c", version=audit.version),
        "correction_form": CorrectionForm(prefix="co"), "sign_form": sign_form,
        "submission_form": SubmissionForm(prefix="o"), "evidence_form": _evidence_form(audit),
        "response_form": ResponseForm(prefix="r"), "button": EmptyForm(),
        "answer_errors": forms.get("answer_errors", {}), "to_follow": to_follow,
        "ncs": services.nc_facts_for(audit.findings), "events": trail.history(db.session, audit),
        "clause_titles": clause_titles(),
    }


@bp.get("/<int:audit_id>")
@login_required
def detail(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.view")
    return render_template("audits/detail.html", **_detail_context(audit))


@bp.post("/<int:audit_id>/equipo")
@login_required
def add_member(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.edit")
    form = MemberForm(prefix="m")
    form.user_id.choices = [(u.id, u.full_name) for u in services.people()]
    if form.validate_on_submit() and (done := attempt(lambda: services.add_member(
            audit, user=db.session.get(User, form.user_id.data), role=form.role.data), form)):
        flash(_("%(name)s se agregó como %(role)s.", name=done.value.user.full_name,
                role=done.value.role.label), "success")
        return _back(audit, "equipo")
    return render_template("audits/detail.html", **_detail_context(audit, member_form=form)), 422


@bp.post("/<int:audit_id>/equipo/<int:member_id>/quitar")
@login_required
def remove_member(audit_id: int, member_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.edit")
    member = db.session.get(AuditMember, member_id)
    if member is None or member.audit_id != audit.id:
        abort(404)
    if EmptyForm().validate_on_submit():
        services.remove_member(member)
        flash(_("Integrante retirado de la auditoría."), "success")
    return _back(audit, "equipo")


@bp.post("/<int:audit_id>/lider")
@login_required
def change_lead(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.edit")
    form = LeadForm(prefix="l")
    form.lead_id.choices = [(u.id, u.full_name) for u in
                            services.auditor_candidates(audit.audit_type.is_external)]
    if form.validate_on_submit() and attempt(lambda: services.change_lead(
            audit, expected_version=form.version.data,
            lead=db.session.get(User, form.lead_id.data))):
        flash(_("Auditor líder cambiado."), "success")
    return _back(audit, "equipo")


@bp.post("/<int:audit_id>/plantilla")
@login_required
def set_template(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.edit")
    form = TemplateForm(prefix="t")
    form.template_id.choices = [(t.id, t.code) for t in checklists.templates()]
    if form.validate_on_submit() and attempt(lambda: services.set_template(
            audit, expected_version=form.version.data,
            template=db.session.get(ChecklistTemplate, form.template_id.data))):
        flash(_("Lista de verificación copiada en la auditoría."), "success")
    return _back(audit, "lista")


@bp.post("/<int:audit_id>/iniciar")
@login_required
def start(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.edit")
    form = StartForm(prefix="st")
    if form.validate_on_submit() and attempt(lambda: services.start_audit(
            audit, expected_version=form.version.data, actual_start=form.actual_start.data)):
        flash(_("Auditoría %(code)s en ejecución.", code=audit.code), "success")
    return _back(audit)


@bp.post("/<int:audit_id>/anular")
@login_required
def cancel(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.edit")
    form = CancelForm(prefix="c")
    if not form.validate_on_submit():
        flash(_("Indique el motivo de la anulación."), "danger")
    elif attempt(lambda: services.cancel_audit(audit, expected_version=form.version.data,
                                               reason=form.reason.data)):
        flash(_("Auditoría %(code)s anulada.", code=audit.code), "success")
    return _back(audit)


@bp.post("/<int:audit_id>/cerrar")
@login_required
def close(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.edit")
    form = StartForm(prefix="st")
    if form.validate_on_submit() and attempt(lambda: services.close_audit(
            audit, expected_version=form.version.data)):
        flash(_("Auditoría %(code)s cerrada.", code=audit.code), "success")
    return _back(audit)


@bp.post("/<int:audit_id>/correccion")
@login_required
def correction(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.correct")
    form = CorrectionForm(prefix="co")
    if form.validate_on_submit() and attempt(lambda: services.record_correction(
            audit, text=form.text.data)):
        flash(_("Corrección registrada en la pista de auditoría."), "success")
    return _back(audit, "historial")


def _evidence_form(audit: Audit) -> EvidenceForm:
    form = EvidenceForm(prefix="e")
    form.item_id.choices = [(i.id, f"{i.position}. {i.question[:90]}") for i in audit.items]
    return form
