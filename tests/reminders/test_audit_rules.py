"""The audits' reminder rules, delivered through a real SMTP server on 127.0.0.1: an
audit coming up (its team and auditees), a finding left unanswered (the process owner),
a report not signed after the fieldwork (the lead auditor)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from qms.audits import report, services
from qms.audits.enums import AuditType, FindingType, MemberRole
from qms.core import audit as trail
from qms.core.settings import set_setting
from qms.core.time import today_local
from qms.extensions import db
from qms.reminders import jobs
from qms.reminders.models import Notification, Stage
from tests.audits.conftest import PASSWORD, answer_all, make_audit, make_process, started
from tests.conftest import login, user
from tests.reminders.conftest import moment


def run(day):
    return jobs.sweep(moment(day), day)


def subjects(smtp, username):
    return [m["Subject"] for m in smtp.sink.to(f"{username}@example.hn")]


def about(smtp, audit):
    """The mails about ``audit`` (other rules, e.g. the seeded certifier's expiry, mail too)."""
    return [m for m in smtp.sink.messages if audit.code in m["Subject"]]


def stages(rule):
    return [(n.user.username, n.stage) for n in db.session.scalars(
        select(Notification).where(Notification.rule == rule).order_by(Notification.id))]


def _audit(start, **extra):
    with trail.acting_as(user("calidad")):
        process = make_process("PAG", owner="duenio")
        audit = make_audit([process], start=start, days=2, **extra)
        services.add_member(audit, user=user("duenio"), role=MemberRole.AUDITEE)
        db.session.commit()
    return audit, process


def test_an_audit_coming_up_reaches_its_team_and_auditees_by_mail(app_ctx, smtp, client):
    start = today_local() + timedelta(days=20)
    audit, _ = _audit(start)
    run(start - timedelta(days=8))
    assert about(smtp, audit) == [], "outside the 7 lead days"
    run(start - timedelta(days=7))
    [to_lead] = subjects(smtp, "auditor")
    assert to_lead.startswith(f"[Aviso del SGC] La auditoría {audit.code} empieza el ")
    assert len(subjects(smtp, "duenio")) == 1
    assert subjects(smtp, "duenio2") == [] and subjects(smtp, "calidad") == []
    run(start - timedelta(days=3))
    assert len(about(smtp, audit)) == 2, "one reminder per person for the same date"
    # the link in the mail opens the audit
    body = smtp.sink.text(smtp.sink.to("duenio@example.hn")[0])
    link = next(line.split(": ", 1)[1] for line in body.splitlines()
                if line.startswith("Abrir el registro:"))
    login(client, "duenio")
    assert audit.code in client.get(link.removeprefix("http://127.0.0.1:5000")) \
        .get_data(as_text=True)
    run(start + timedelta(days=1))
    assert stages("audit_upcoming") == [("auditor", Stage.DUE), ("duenio", Stage.DUE)], \
        "no overdue stage: the audit either started or was moved"


def test_moved_or_cancelled_audits(app_ctx, smtp):
    start = today_local() + timedelta(days=20)
    audit, _ = _audit(start)
    with trail.acting_as(user("calidad")):
        services.cancel_audit(audit, expected_version=audit.version, reason="Sin vehículo.")
        db.session.commit()
    run(start - timedelta(days=5))
    assert about(smtp, audit) == []


def test_a_finding_left_unanswered_reaches_the_process_owner_then_escalates(app_ctx, smtp):
    audit, process = _audit(today_local())
    with trail.acting_as(user("auditor")):
        started(audit)
        finding = services.record_finding(
            audit, finding_type=FindingType.MINOR_NC, clause="8.5.1", process=process,
            description="Planillas sin firma del jefe.", evidence="Planilla 03.",
            actor=user("auditor"))
        db.session.commit()
    due = today_local() + timedelta(days=15)
    run(due - timedelta(days=4))
    assert subjects(smtp, "duenio") == []
    run(due - timedelta(days=3))
    [first] = subjects(smtp, "duenio")
    assert f"Responda al hallazgo H-1 de la auditoría {audit.code} antes del" in first
    run(due + timedelta(days=1))
    assert "sigue sin respuesta" in subjects(smtp, "duenio")[-1]
    run(due + timedelta(days=15))
    assert any("sin respuesta desde hace 15 días" in s for s in subjects(smtp, "calidad"))
    assert [s for _, s in stages("audit_finding_response")] == [
        Stage.DUE, Stage.OVERDUE, Stage.ESCALATED]
    # once answered, nothing more
    with trail.acting_as(user("duenio")):
        services.respond_finding(finding, expected_version=finding.version,
                                 response="Se firmarán todas desde abril.", actor=user("duenio"))
        db.session.commit()
    count = len(about(smtp, audit))
    run(due + timedelta(days=20))
    assert len(about(smtp, audit)) == count


def test_the_response_deadline_is_a_setting(app_ctx, smtp):
    audit, process = _audit(today_local())
    with trail.acting_as(user("auditor")):
        started(audit)
        services.record_finding(audit, finding_type=FindingType.OBSERVATION, clause="8.5.1",
                                process=process, description="Archivo desordenado.",
                                evidence="", actor=user("auditor"))
        set_setting("reminders.audit_finding_response.days", 5)
        db.session.commit()
    run(today_local() + timedelta(days=2))
    assert len(subjects(smtp, "duenio")) == 1


def test_a_report_unsigned_after_fieldwork_reaches_the_lead_until_signed(app_ctx, smtp):
    audit, _ = _audit(today_local())
    with trail.acting_as(user("auditor")):
        started(audit)
        db.session.commit()
    due = audit.planned_end + timedelta(days=10)
    run(due - timedelta(days=3))
    assert subjects(smtp, "auditor") == []
    run(due - timedelta(days=2))
    [first] = subjects(smtp, "auditor")
    assert f"Firme el informe de la auditoría {audit.code} antes del" in first
    run(due + timedelta(days=1))
    assert "sigue sin firmar" in subjects(smtp, "auditor")[-1]
    with trail.acting_as(user("auditor")):
        answer_all(audit)
        report.sign_report(audit, expected_version=audit.version, actor=user("auditor"),
                           password=PASSWORD, conclusion="Conforme.")
        db.session.commit()
    count = len(about(smtp, audit))
    run(due + timedelta(days=20))
    assert len(about(smtp, audit)) == count


def test_an_external_audit_without_a_lead_reminds_the_quality_officers(app_ctx, smtp):
    with trail.acting_as(user("calidad")):
        process = make_process("PAG")
        audit = make_audit([process], lead=None, tpl=None, kind=AuditType.EXTERNAL_SURVEILLANCE,
                           certification_body="Organismo X")
        started(audit)
        db.session.commit()
    run(audit.planned_end + timedelta(days=11))
    [subject] = subjects(smtp, "calidad")
    assert f"El informe de la auditoría {audit.code} sigue sin firmar" in subject
