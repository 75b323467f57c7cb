"""Audit pages, performing the audit: checklist answers and evidence, findings, the
signed report. Same blueprint as :mod:`qms.audits.views`."""


from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from qms.audits import offline, report, services
from qms.audits.enums import AuditStatus
from qms.audits.forms import (
    AnswerForm,
    FindingForm,
    ResponseForm,
    SignForm,
    SubmissionForm,
)
from qms.audits.models import (
    Audit,
    AuditChecklistItem,
    AuditEvidence,
    Finding,
)
from qms.audits.views import (
    _back,
    _detail_context,
    _evidence_form,
    bp,
)
from qms.core.permissions import get_or_404_authorized
from qms.core.storage import send_stored_file
from qms.core.uow import attempt, write_first
from qms.extensions import db
from qms.processes.models import Process

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
