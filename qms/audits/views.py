"""Audit pages: the yearly programme, planning, the audit with its team, checklist,
findings and report, and one small POST per step."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from qms.audits import checklists, offline, programme, report, services
from qms.audits.forms import (
    AnswerForm,
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
from qms.audits.models import (
    Audit,
    AuditChecklistItem,
    AuditEvidence,
    AuditMember,
    AuditStatus,
    AuditType,
    ChecklistTemplate,
    Finding,
    MemberRole,
)
from qms.auth.models import User
from qms.core import audit as trail
from qms.core.checklists import auditable_clauses, clause_titles
from qms.core.forms import EmptyForm
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.storage import send_stored_file
from qms.core.time import today_local
from qms.core.uow import attempt, write_first
from qms.documents import facts as document_facts
from qms.extensions import db
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
    context = {"year": year, "prog": prog, "form": form}
    if prog is not None:
        audits, clause_rows = programme.clause_coverage(prog)
        context.update(coverage=programme.process_coverage(prog), clause_audits=audits,
                       clause_rows=clause_rows, auditors=programme.auditors_view(prog),
                       proposal=programme.risk_proposal(prog, today_local()))
    return render_template("audits/programme.html", **context)


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

    if form.validate_on_submit() and (done := attempt(work, form)):
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


# ------------------------------------------------------------------------ checklist


@bp.post("/<int:audit_id>/lista/<int:item_id>")
@login_required
def answer(audit_id: int, item_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.perform")
    item = next((i for i in audit.items if i.id == item_id), None)
    if item is None:
        abort(404)
    form = AnswerForm(prefix=f"i{item.id}")
    if form.validate_on_submit():
        done = attempt(lambda: services.answer_item(
            item, expected_version=form.version.data, result=form.result.data,
            notes=form.notes.data, actor=current_user))
        if done:
            flash(_("Pregunta %(n)s guardada.", n=item.position), "success")
            return _back(audit, f"p{item.position}")
        # A conflict or refusal: show the list with what this auditor typed kept.
        db.session.refresh(audit)
        errors = {item.id: {"result": form.result.data, "notes": form.notes.data,
                            "message": str(done.error.message)}}
        return render_template("audits/detail.html",
                               **_detail_context(audit, answer_errors=errors)), 409
    flash(_("El formulario caducó; vuelva a enviarlo."), "danger")
    return _back(audit, f"p{item.position}")


@bp.post("/<int:audit_id>/evidencia")
@login_required
def add_evidence(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.perform")
    form = _evidence_form(audit)
    if not form.validate_on_submit():
        flash(_("Elija la pregunta, el archivo y la fecha que representa."), "danger")
        return _back(audit, "evidencia")
    item = next(i for i in audit.items if i.id == form.item_id.data)
    if attempt(lambda: services.add_evidence(
            item, form.file.data.stream, form.file.data.filename,
            represents_on=form.represents_on.data, description=form.description.data,
            actor=current_user)):
        flash(_("Evidencia agregada a la pregunta %(n)s.", n=item.position), "success")
    return _back(audit, item.field_name)


def _evidence_form(audit: Audit) -> EvidenceForm:
    form = EvidenceForm(prefix="e")
    form.item_id.choices = [(i.id, f"{i.position}. {i.question[:90]}") for i in audit.items]
    return form


@bp.get("/<int:audit_id>/evidencia/<int:evidence_id>")
@login_required
def evidence(audit_id: int, evidence_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.view")
    found = db.session.get(AuditEvidence, evidence_id)
    if found is None or found.item.audit_id != audit.id:
        abort(404)
    return send_stored_file(found.stored)


@bp.get("/<int:audit_id>/formulario.xlsx")
@login_required
def xlsform(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.view")
    if not audit.items:
        abort(404)
    return Response(offline.xlsform(audit), headers={
        "Content-Disposition": f'attachment; filename="{offline.form_id(audit)}.xlsx"'},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/<int:audit_id>/envio")
@login_required
def import_submission(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.perform")
    form = SubmissionForm(prefix="o")
    if not form.validate_on_submit():
        flash(_("Elija el archivo exportado de KoboToolbox u ODK."), "danger")
        return _back(audit, "sin-conexion")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "envio"
        form.file.data.save(path)
        done = attempt(lambda: offline.import_submission(audit, path, actor=current_user))
    if done:
        result = done.value
        if result.submissions:
            flash(_("%(s)s envío(s) importado(s): %(a)s respuestas.", s=result.submissions,
                    a=result.answers), "success")
        if result.already:
            flash(_("%(n)s envío(s) ya se habían importado: no se agregó nada.",
                    n=result.already), "info")
    return _back(audit, "lista")


# ------------------------------------------------------------------------ findings


@bp.post("/<int:audit_id>/hallazgos")
@login_required
def add_finding(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.perform")
    form = FindingForm(prefix="f")
    context = _detail_context(audit, finding_form=form)  # sets the choices
    if not form.validate_on_submit():
        return render_template("audits/detail.html", **context), 422
    effective = {"yes": True, "no": False}.get(form.follow_up_effective.data or "")

    def work():
        fresh = db.session.get(Audit, audit_id)
        return services.record_finding(
            fresh, finding_type=form.finding_type.data, clause=form.clause.data,
            process=db.session.get(Process, form.process_id.data),
            description=form.description.data, evidence=form.evidence.data, actor=current_user,
            item=db.session.get(AuditChecklistItem, form.item_id.data)
            if form.item_id.data else None,
            follows_up=db.session.get(Finding, form.follows_up_id.data)
            if form.follows_up_id.data else None, follow_up_effective=effective)

    done = attempt(lambda: write_first(work), form)
    if done:
        finding = done.value
        if finding.nc_id:
            flash(_("Hallazgo %(f)s registrado; se levantó la no conformidad vinculada.",
                    f=finding.label), "success")
        else:
            flash(_("Hallazgo %(f)s registrado.", f=finding.label), "success")
        return _back(audit, "hallazgos")
    audit = db.session.get(Audit, audit_id)
    return render_template("audits/detail.html", **_detail_context(audit, finding_form=form)), 422


@bp.post("/<int:audit_id>/hallazgos/<int:finding_id>/respuesta")
@login_required
def respond(audit_id: int, finding_id: int):
    finding = get_or_404_authorized(Finding, finding_id, "audit.finding.respond")
    if finding.audit_id != audit_id:
        abort(404)
    form = ResponseForm(prefix="r")
    if not form.validate_on_submit():
        flash(_("Escriba la respuesta."), "danger")
    elif attempt(lambda: services.respond_finding(
            finding, expected_version=form.version.data, response=form.response.data,
            actor=current_user)):
        flash(_("Respuesta al hallazgo %(f)s guardada.", f=finding.label), "success")
    return _back(finding.audit, "hallazgos")


# ------------------------------------------------------------------------ report


@bp.post("/<int:audit_id>/firmar")
@login_required
def sign(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.sign")
    form = SignForm(prefix="s")
    if form.validate_on_submit() and attempt(lambda: report.sign_report(
            audit, expected_version=form.version.data, actor=current_user,
            password=form.password.data, conclusion=form.conclusion.data,
            actual_end=form.actual_end.data), form):
        flash(_("Informe de la auditoría %(code)s firmado.", code=audit.code), "success")
        return _back(audit, "informe")
    audit = db.session.get(Audit, audit_id)
    return render_template("audits/detail.html", **_detail_context(audit, sign_form=form)), 422


@bp.get("/<int:audit_id>/informe")
@login_required
def report_page(audit_id: int):
    audit = get_or_404_authorized(Audit, audit_id, "audit.view")
    return render_template("audits/report.html", audit=audit, report=report.gather(audit))


@bp.get("/<int:audit_id>/informe.pdf")
@login_required
def report_pdf(audit_id: int):
    """The signed, stored report; before signing, a draft rendered on the fly."""
    audit = get_or_404_authorized(Audit, audit_id, "audit.view")
    if audit.report_file is not None:
        return send_stored_file(audit.report_file)
    if audit.status == AuditStatus.CANCELLED:
        abort(404)
    rendered = report.render(report.gather(audit))
    return Response(rendered.content, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="borrador-informe-{audit.code}.pdf"'})


@bp.get("/hallazgos/<int:finding_id>")
@login_required
def finding(finding_id: int):
    """Where an NC's "raised by audit finding" link lands: the finding in its audit."""
    found = get_or_404_authorized(Finding, finding_id, "audit.view")
    return redirect(url_for("audits.detail", audit_id=found.audit_id) + f"#hallazgo-{found.id}")
