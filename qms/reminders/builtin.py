"""The reminder rules of the documents, nonconformities, surveys, accounts and audits.

Each rule reads one domain's ``facts`` module only. Management reviews and complaints
add theirs the same way (see the README).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from qms.audits import facts as audit_facts
from qms.auth import facts as auth_facts
from qms.core.roles import Role
from qms.core.settings import get_setting, register_setting
from qms.documents import facts as document_facts
from qms.nonconformities import facts as nc_facts
from qms.reminders.models import Stage
from qms.reminders.rules import Context, Item, register
from qms.surveys import facts as survey_facts

ACK_DAYS = register_setting(
    "reminders.acknowledgement_pending.days", 7,
    _l("Lectura pendiente: recordar a los (días de vigencia)"), kind=int, minimum=1, maximum=365)
NC_STUCK_DAYS = register_setting(
    "reminders.nc_stuck.days", 30,
    _l("No conformidad detenida: avisar tras (días en el mismo estado)"),
    kind=int, minimum=1, maximum=365)
FINDING_RESPONSE_DAYS = register_setting(
    "reminders.audit_finding_response.days", 15,
    _l("Hallazgo de auditoría: plazo del auditado para responder (días desde que se registra)"),
    kind=int, minimum=1, maximum=365)
REPORT_SIGN_DAYS = register_setting(
    "reminders.audit_report_unsigned.days", 10,
    _l("Informe de auditoría: plazo para firmarlo (días tras el fin del trabajo de campo)"),
    kind=int, minimum=0, maximum=365)


@register("document_review", label=_l("Revisión periódica de documentos"), days_before=30,
          texts={Stage.DUE: _l("Revisión periódica del documento %(code)s el %(due)s"),
                 Stage.OVERDUE: _l("Revisión periódica del documento %(code)s vencida desde el %(due)s"),
                 Stage.ESCALATED: _l("Documento %(code)s sin revisar desde hace %(late)s días")})
def document_reviews(ctx: Context) -> Iterable[Item]:
    role_holders: dict[str, list[int]] = {}
    for doc in document_facts.documents_due_for_review(ctx.horizon("document_review"), ctx.today):
        if doc.owner_id is not None:
            recipients = [doc.owner_id]
        else:
            role = doc.owner_role or Role.QUALITY_OFFICER.value
            if role not in role_holders:
                role_holders[role] = [u.id for u in ctx.recipients.values() if u.role == role]
            recipients = role_holders[role]
        yield Item("document", doc.document_id, doc.review_due_on, recipients,
                   {"code": doc.code, "title": doc.title},
                   ("documents.detail", {"document_id": doc.document_id}))


@register("acknowledgement_pending", label=_l("Lectura y confirmación pendiente"),
          escalates=False, event_stage=Stage.DUE,
          texts={Stage.DUE: _l("Confirme la lectura del documento %(code)s (rev. %(revision)s)")})
def pending_acknowledgements(ctx: Context) -> Iterable[Item]:
    after = timedelta(days=int(get_setting("reminders.acknowledgement_pending.days")))
    for ack in document_facts.pending_acknowledgements(ctx.today - after, ctx.today):
        yield Item("document_revision", ack.revision_id, ack.effective_from + after, [ack.user_id],
                   {"code": ack.code, "title": ack.title, "revision": ack.revision_number},
                   ("documents.detail", {"document_id": ack.document_id}))


@register("corrective_action", label=_l("Acciones correctivas"), days_before=7,
          texts={Stage.DUE: _l("La acción correctiva AC-%(number)s de %(code)s vence el %(due)s"),
                 Stage.OVERDUE: _l("La acción correctiva AC-%(number)s de %(code)s venció el %(due)s"),
                 Stage.ESCALATED: _l("Acción correctiva AC-%(number)s de %(code)s vencida hace "
                                     "%(late)s días")})
def corrective_actions(ctx: Context) -> Iterable[Item]:
    for action in nc_facts.due_corrective_actions(ctx.horizon("corrective_action")):
        yield Item("corrective_action", action.action_id, action.due_on, [action.owner_id],
                   {"code": action.nc_code, "title": action.nc_title, "number": action.number},
                   ("nonconformities.detail", {"nc_id": action.nc_id}))


@register("effectiveness_verification", label=_l("Verificación de la eficacia"), days_before=7,
          texts={Stage.DUE: _l("Verificación de la eficacia de %(code)s prevista el %(due)s"),
                 Stage.OVERDUE: _l("Verificación de la eficacia de %(code)s pendiente desde el %(due)s"),
                 Stage.ESCALATED: _l("Verificación de la eficacia de %(code)s con %(late)s días "
                                     "de retraso")})
def effectiveness_verifications(ctx: Context) -> Iterable[Item]:
    for check in nc_facts.due_effectiveness_verifications(ctx.horizon("effectiveness_verification")):
        yield Item("effectiveness_verification", check.verification_id, check.planned_on,
                   [check.verifier_id], {"code": check.nc_code, "title": check.nc_title},
                   ("nonconformities.detail", {"nc_id": check.nc_id}))


@register("nc_stuck", label=_l("No conformidades detenidas en un estado"), event_stage=Stage.OVERDUE,
          texts={Stage.OVERDUE: _l("La no conformidad %(code)s sigue en «%(status)s» desde el "
                                   "%(since)s"),
                 Stage.ESCALATED: _l("La no conformidad %(code)s lleva %(late)s días más detenida "
                                     "en «%(status)s»")})
def stuck_nonconformities(ctx: Context) -> Iterable[Item]:
    days = timedelta(days=int(get_setting("reminders.nc_stuck.days")))
    for nc in nc_facts.nonconformities_in_status_since(ctx.now - days):
        since = nc.since.date()
        yield Item("nonconformity", f"{nc.nc_id}-{nc.status}", since + days, [nc.process_owner_id],
                   {"code": nc.code, "title": nc.title, "status": nc.status,
                    "status_enum": "NCStatus", "since": since.isoformat()},
                   ("nonconformities.detail", {"nc_id": nc.nc_id}))


@register("survey_wave_closing", label=_l("Cierre de rondas de encuesta"), days_before=5,
          overdue=True, escalates=False,
          texts={Stage.DUE: _l("La ronda %(wave)s de la encuesta %(code)s cierra el %(due)s"),
                 Stage.OVERDUE: _l("La ronda %(wave)s de la encuesta %(code)s sigue abierta tras "
                                   "su cierre previsto el %(due)s")})
def closing_waves(ctx: Context) -> Iterable[Item]:
    officers = [u.id for u in ctx.recipients.values() if u.role == Role.QUALITY_OFFICER.value]
    for wave in survey_facts.waves_closing(ctx.horizon("survey_wave_closing")):
        yield Item("survey_wave", wave.wave_id, wave.ends_on, officers,
                   {"code": wave.survey_code, "wave": wave.code, "title": wave.name},
                   ("surveys.wave", {"wave_id": wave.wave_id}))


@register("certifier_expiring", label=_l("Vencimiento de cuentas de certificadores"),
          days_before=14, overdue=False, escalates=False,
          texts={Stage.DUE: _l("El acceso del certificador %(name)s termina el %(due)s")})
def expiring_certifiers(ctx: Context) -> Iterable[Item]:
    admins = [u.id for u in ctx.recipients.values() if u.role == Role.ADMIN.value]
    for account in auth_facts.certifiers_expiring(ctx.horizon("certifier_expiring"), ctx.today):
        params = {"name": account.full_name, "username": account.username}
        yield Item("user", account.user_id, account.expires_on, [account.user_id], params,
                   ("auth.account", {}))
        yield Item("user", account.user_id, account.expires_on, admins, params,
                   ("admin.edit_user", {"user_id": account.user_id}))


@register("audit_upcoming", label=_l("Auditorías próximas"), days_before=7, overdue=False,
          escalates=False,
          texts={Stage.DUE: _l("La auditoría %(code)s empieza el %(due)s")})
def upcoming_audits(ctx: Context) -> Iterable[Item]:
    """The team and the auditees of a planned audit, some days before it starts."""
    for audit in audit_facts.audits_starting(ctx.today, ctx.horizon("audit_upcoming")):
        yield Item("audit", audit.audit_id, audit.starts_on, audit.member_ids,
                   {"code": audit.code, "title": audit.title},
                   ("audits.detail", {"audit_id": audit.audit_id}))


@register("audit_finding_response", label=_l("Hallazgos de auditoría sin respuesta"),
          days_before=3,
          texts={Stage.DUE: _l("Responda al hallazgo %(label)s de la auditoría %(code)s antes del "
                               "%(due)s"),
                 Stage.OVERDUE: _l("El hallazgo %(label)s de la auditoría %(code)s sigue sin "
                                   "respuesta; vencía el %(due)s"),
                 Stage.ESCALATED: _l("Hallazgo %(label)s de la auditoría %(code)s sin respuesta "
                                     "desde hace %(late)s días")})
def unanswered_audit_findings(ctx: Context) -> Iterable[Item]:
    """The owner of a finding's process, until they answer it."""
    days = timedelta(days=int(get_setting("reminders.audit_finding_response.days")))
    horizon = ctx.horizon("audit_finding_response")
    for finding in audit_facts.unanswered_findings():
        due_on = finding.recorded_on + days
        if due_on <= horizon:
            yield Item("audit_finding", finding.finding_id, due_on, [finding.process_owner_id],
                       {"code": finding.audit_code, "label": f"H-{finding.number}"},
                       ("audits.finding", {"finding_id": finding.finding_id}))


@register("audit_report_unsigned", label=_l("Informes de auditoría sin firmar"), days_before=2,
          texts={Stage.DUE: _l("Firme el informe de la auditoría %(code)s antes del %(due)s"),
                 Stage.OVERDUE: _l("El informe de la auditoría %(code)s sigue sin firmar; "
                                   "vencía el %(due)s"),
                 Stage.ESCALATED: _l("Informe de la auditoría %(code)s sin firmar desde hace "
                                     "%(late)s días")})
def unsigned_audit_reports(ctx: Context) -> Iterable[Item]:
    """The lead auditor (the quality officers for an external audit without one)."""
    days = timedelta(days=int(get_setting("reminders.audit_report_unsigned.days")))
    officers = [u.id for u in ctx.recipients.values() if u.role == Role.QUALITY_OFFICER.value]
    for audit in audit_facts.reports_unsigned(ctx.horizon("audit_report_unsigned") - days):
        yield Item("audit", audit.audit_id, audit.fieldwork_ended_on + days,
                   [audit.lead_id] if audit.lead_id else officers,
                   {"code": audit.code, "title": audit.title},
                   ("audits.detail", {"audit_id": audit.audit_id}))
