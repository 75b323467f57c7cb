"""Audit rules: codes, dates, impartiality, the workflow, locked audits, findings → NCs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qms.audits import services
from qms.audits.enums import (
    AuditStatus,
    AuditType,
    FindingType,
    ItemResult,
    MemberRole,
)
from qms.core import audit as trail
from qms.core.errors import ConflictError, TransitionError, ValidationError
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities import facts as nc_facts
from qms.nonconformities.enums import NCSource
from qms.nonconformities.models import Nonconformity
from tests.audits.conftest import answer_all, make_audit, make_process, started
from tests.conftest import user


def test_codes_are_gapless_per_year_and_external_audits_say_so(lead, process):
    first = make_audit([process])
    second = make_audit([process], kind=AuditType.EXTERNAL_SURVEILLANCE, lead=None, tpl=None,
                        certification_body="Organismo acreditado")
    year = today_local().year
    assert (first.code, second.code) == (f"AI-{year}-01", f"AE-{year}-02")
    assert [m.role for m in first.members] == [MemberRole.LEAD]
    assert len(first.items) == 7 and first.items[0].clause == "8.1"


def test_dates_out_of_order_are_refused_and_nothing_is_written(lead, process):
    with pytest.raises(ValidationError) as error:
        make_audit([process], start=today_local(), days=-3)
    assert error.value.field == "planned_end"
    assert "anterior" in str(error.value.message)


def test_a_lead_auditor_who_owns_an_audited_process_is_refused_with_the_reason(app_ctx):
    with trail.acting_as(trail.SYSTEM):
        own = make_process("SGC", owner="calidad")
        with pytest.raises(ValidationError) as error:
            make_audit([own], lead="calidad")
    assert error.value.field == "lead_id"
    message = str(error.value.message)
    assert "dueño(a) del proceso SGC" in message and "9.2.2" in message


def test_team_member_who_owns_a_process_or_is_an_auditee_is_refused(lead, process):
    audit = make_audit([process])
    with pytest.raises(ValidationError) as error:
        services.add_member(audit, user=user("duenio"), role=MemberRole.AUDITOR)
    assert "dueño(a) del proceso PAG" in str(error.value.message)
    services.add_member(audit, user=user("direccion"), role=MemberRole.AUDITEE)
    with pytest.raises(ValidationError, match="auditado"):
        services.change_lead(audit, expected_version=audit.version, lead=user("direccion"))
    # The owner can be an auditee, and a new process owned by a team member is refused.
    services.add_member(audit, user=user("duenio"), role=MemberRole.AUDITEE)
    services.add_member(audit, user=user("calidad"), role=MemberRole.AUDITOR)
    sgc = make_process("SGC", owner="calidad")
    with pytest.raises(ValidationError, match="dueño"):
        services.update_plan(audit, expected_version=audit.version, title=audit.title,
                             scope=audit.scope, objectives="", processes=[process, sgc],
                             planned_start=audit.planned_start, planned_end=audit.planned_end,
                             clauses=[])
    assert impartial_reason(audit, "duenio")


def impartial_reason(audit, username):
    return services.impartiality_problem(audit, user(username), MemberRole.AUDITOR)


def test_nc_finding_raises_a_linked_nonconformity_in_the_same_transaction(lead, process):
    audit = started(make_audit([process]))
    finding = services.record_finding(
        audit, finding_type=FindingType.MINOR_NC, clause="8.6", process=process,
        description="Planilla sin aprobación.", evidence="Planilla de marzo.", actor=lead,
        item=audit.items[5])
    nc = db.session.get(Nonconformity, finding.nc_id)
    assert nc.source == NCSource.INTERNAL_AUDIT and nc.severity.value == "minor"
    assert (nc.origin_type, nc.origin_id) == ("audit_finding", str(finding.id))
    assert nc.origin_label == f"{audit.code} · H-1"
    fact = nc_facts.nc_status_facts([nc.id])[nc.id]
    assert fact.code == nc.code and fact.is_open and fact.status == "reported"
    observation = services.record_finding(
        audit, finding_type=FindingType.OBSERVATION, clause="8.4", process=process,
        description="Evaluación de bancos informal.", evidence="", actor=lead)
    assert observation.nc_id is None and observation.label == "H-2"


def test_an_nc_finding_needs_evidence_a_clause_and_an_audited_process(lead, process):
    audit = started(make_audit([process]))
    other = make_process("QUE", owner="duenio2")
    cases = [
        (dict(clause="8.6", process=process, evidence=""), "evidence"),
        (dict(clause="11.2", process=process, evidence="x"), "clause"),
        (dict(clause="2", process=process, evidence="x"), "clause"),
        (dict(clause="8.6", process=other, evidence="x"), "process_id"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as error:
            services.record_finding(audit, finding_type=FindingType.MAJOR_NC,
                                    description="Falla.", actor=lead, **fields)
        assert error.value.field == field
    assert db.session.scalar(select(Nonconformity.id)) is None


def test_a_finding_on_a_closed_or_planned_audit_is_refused(lead, process):
    audit = make_audit([process])
    with pytest.raises(TransitionError, match="en ejecución"):
        services.record_finding(audit, finding_type=FindingType.OBSERVATION, clause="8.4",
                                process=process, description="x", evidence="", actor=lead)


def test_stale_checklist_answer_is_a_conflict_and_the_first_answer_stays(lead, process):
    audit = started(make_audit([process]))
    item = audit.items[0]
    read_version = item.version
    services.answer_item(item, expected_version=read_version, result=ItemResult.CONFORM,
                         notes="Auditor A", actor=lead)
    with pytest.raises(ConflictError):
        services.answer_item(item, expected_version=read_version,
                             result=ItemResult.NONCONFORM, notes="Auditor B", actor=lead)
    assert (item.result, item.notes) == (ItemResult.CONFORM, "Auditor A")


def test_a_nonconform_answer_needs_its_evidence_note(lead, process):
    audit = started(make_audit([process]))
    with pytest.raises(ValidationError, match="evidencia"):
        services.answer_item(audit.items[0], expected_version=audit.items[0].version,
                             result=ItemResult.NONCONFORM, notes="", actor=lead)


def test_a_reported_audit_is_locked_and_corrections_become_trail_events(lead, process):
    from qms.audits import report
    from tests.conftest import PASSWORD

    audit = answer_all(started(make_audit([process])))
    report.sign_report(audit, expected_version=audit.version, actor=lead, password=PASSWORD,
                       conclusion="Conforme.")
    assert audit.status == AuditStatus.REPORTED and audit.report_sha256
    with pytest.raises(TransitionError, match="ya no se modifica"):
        services.update_plan(audit, expected_version=audit.version, title="Otro", scope="x",
                             objectives="", processes=[process], clauses=[],
                             planned_start=audit.planned_start, planned_end=audit.planned_end)
    with pytest.raises(TransitionError):
        services.answer_item(audit.items[0], expected_version=audit.items[0].version,
                             result=ItemResult.NOT_APPLICABLE, notes="", actor=lead)
    services.record_correction(audit, text="La fecha real de fin fue el jueves.")
    events = trail.history(db.session, audit)
    assert events[-1].action == "audit_correction"
    assert events[-1].note == "La fecha real de fin fue el jueves."
    assert audit.title == "Auditoría del proceso de pago"


def test_closing_needs_the_auditee_response_to_every_nc_finding(lead, process):
    from qms.audits import report
    from tests.conftest import PASSWORD

    audit = started(make_audit([process]))
    finding = services.record_finding(
        audit, finding_type=FindingType.MAJOR_NC, clause="8.5.1", process=process,
        description="Pago duplicado.", evidence="Dos pagos al hogar 123.", actor=lead)
    answer_all(audit)
    report.sign_report(audit, expected_version=audit.version, actor=lead, password=PASSWORD,
                       conclusion="Una NC mayor.")
    with pytest.raises(TransitionError, match="H-1"):
        services.close_audit(audit, expected_version=audit.version)
    services.respond_finding(finding, expected_version=finding.version,
                             response="Se bloqueó el pago doble.", actor=user("duenio"))
    services.close_audit(audit, expected_version=audit.version)
    assert audit.status == AuditStatus.CLOSED


def test_cancelling_needs_a_reason(lead, process):
    audit = make_audit([process])
    with pytest.raises(ValidationError):
        services.cancel_audit(audit, expected_version=audit.version, reason=" ")
    services.cancel_audit(audit, expected_version=audit.version, reason="Reprogramada.")
    assert audit.status == AuditStatus.CANCELLED


def test_follow_up_lists_open_nc_findings_and_records_effectiveness(lead, process):
    from qms.audits import report
    from tests.conftest import PASSWORD

    first = started(make_audit([process], start=today_local() - timedelta(days=30)))
    nc_finding = services.record_finding(
        first, finding_type=FindingType.MINOR_NC, clause="8.6", process=process,
        description="Planilla sin aprobación.", evidence="Marzo.", actor=lead)
    answer_all(first)
    report.sign_report(first, expected_version=first.version, actor=lead, password=PASSWORD,
                       conclusion="Una NC menor.")
    follow = started(make_audit([process], kind=AuditType.FOLLOW_UP))
    assert [f.id for f in services.open_findings_to_follow(follow)] == [nc_finding.id]
    services.record_finding(
        follow, finding_type=FindingType.OBSERVATION, clause="10.2", process=process,
        description="Las acciones de la NC funcionan.", evidence="Abril y mayo aprobadas.",
        actor=lead, follows_up=nc_finding, follow_up_effective=True)
    assert services.open_findings_to_follow(follow) == []
