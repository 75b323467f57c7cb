"""The NC workflow's rules, one guard at a time, at the service level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from qms.core import audit
from qms.core.audit import AuditEvent
from qms.core.db import frozen_clock
from qms.core.errors import ConflictError, TransitionError, ValidationError
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities import services
from qms.nonconformities.enums import NCStatus, VerificationResult
from qms.nonconformities.models import Nonconformity
from qms.nonconformities.timeline import timeline
from tests.conftest import PASSWORD, user
from tests.nonconformities.conftest import (
    finish_actions,
    make_nc,
    to_action_plan,
    to_analysis,
    to_implementation,
    to_verification,
    verified,
)


def test_codes_are_sequential_per_year_and_restart_each_year(officer, process):
    first, second = make_nc(process), make_nc(process)
    year = today_local().year
    assert (first.code, second.code) == (f"NC-{year}-001", f"NC-{year}-002")
    with frozen_clock(datetime(year + 1, 1, 2, 15, tzinfo=UTC)):
        assert make_nc(process).code == f"NC-{year + 1}-001"
    assert make_nc(process).code == f"NC-{year}-003"


def test_a_rolled_back_creation_leaves_no_gap(officer, process):
    make_nc(process)
    db.session.commit()
    make_nc(process)
    db.session.rollback()
    assert make_nc(process).code.endswith("-002")


def test_report_validates_every_field(officer, process):
    cases = {
        "title": {"title": "  "},
        "description": {"description": ""},
        "source": {"source": "rumour"},
        "severity": {"severity": "critical"},
        "detected_on": {"detected_on": today_local() + timedelta(days=1)},
        "detected_by_id": {"detected_by": user("certificador")},
        "department_code": {"department_code": "99"},
        "municipality_code": {"department_code": "08", "municipality_code": "0601"},
        "origin_type": {"origin_id": "17"},
        "process_id": {"process": None},
    }
    for field, bad in cases.items():
        with pytest.raises(ValidationError) as err:
            make_nc(bad.pop("process", process), **bad)
        assert err.value.field == field, field
    assert db.session.scalar(select(Nonconformity.id)) is None


def test_municipality_alone_fills_in_its_department(officer, process):
    nc = make_nc(process, municipality_code="601")
    assert (nc.department_code, nc.municipality_code) == ("06", "0601")


def test_other_domains_raise_an_nc_linked_to_its_origin(officer, process):
    nc = services.report_nonconformity(
        title="Satisfacción baja en Lempira", description="Índice 58 %", source="satisfaction_survey",
        process=process, severity="minor", detected_on=today_local(), detected_by=user("calidad"),
        department_code="13", origin_type="survey_wave", origin_id=42,
        origin_label="Ronda 2026-S1")
    assert (nc.origin_type, nc.origin_id, nc.origin_label) == ("survey_wave", "42", "Ronda 2026-S1")
    assert nc.status == NCStatus.REPORTED and nc.reported_by_id == user("calidad").id


def test_analysis_needs_a_correction_first(officer, process):
    nc = make_nc(process)
    with pytest.raises(TransitionError, match="corrección"):
        services.start_analysis(nc, expected_version=nc.version)
    to_analysis(nc)
    assert nc.status == NCStatus.ANALYSIS and nc.current_analysis.round == 1


def test_leaving_analysis_needs_a_root_cause(officer, process):
    nc = to_analysis(make_nc(process))
    services.save_analysis(nc, expected_version=nc.version, whys=["a", "b"], ishikawa={},
                           root_cause="  ")
    with pytest.raises(ValidationError) as err:
        services.submit_analysis(nc, expected_version=nc.version)
    assert err.value.field == "root_cause" and nc.status == NCStatus.ANALYSIS


def test_whys_are_an_ordered_chain_without_gaps_and_ishikawa_uses_6m(officer, process):
    nc = to_analysis(make_nc(process))
    with pytest.raises(ValidationError) as err:
        services.save_analysis(nc, expected_version=nc.version, whys=["uno", "", "tres"],
                               ishikawa={}, root_cause="x")
    assert err.value.field == "whys"
    with pytest.raises(ValidationError):
        services.save_analysis(nc, expected_version=nc.version, whys=[],
                               ishikawa={"money": ["x"]}, root_cause="x")
    analysis = services.save_analysis(
        nc, expected_version=nc.version, whys=["uno", "dos", "", ""],
        ishikawa={"machine": "Sistema lento\n\n", "method": ["Sin control"]}, root_cause="raíz")
    assert analysis.whys == ["uno", "dos"]
    assert analysis.ishikawa == {"method": ["Sin control"], "machine": ["Sistema lento"]}


def test_due_date_cannot_precede_detection(officer, process):
    nc = to_action_plan(make_nc(process))
    with pytest.raises(ValidationError) as err:
        services.add_action(nc, expected_version=nc.version, description="Capacitar",
                            owner=user("duenio"), due_on=nc.detected_on - timedelta(days=1))
    assert err.value.field == "due_on" and "anterior a la fecha de detección" in str(err.value)
    assert nc.actions == []


def test_implementation_needs_an_action_and_verification_needs_them_done(officer, process):
    nc = to_action_plan(make_nc(process))
    with pytest.raises(TransitionError, match="al menos una acción"):
        services.start_implementation(nc, expected_version=nc.version)
    to_implementation_nc = nc
    services.add_action(nc, expected_version=nc.version, description="A", owner=user("duenio"),
                        due_on=today_local())
    services.start_implementation(nc, expected_version=nc.version)
    with pytest.raises(TransitionError, match="AC-1"):
        services.send_to_verification(nc, expected_version=nc.version, planned_on=today_local(),
                                      verifier=user("auditor"))
    assert to_implementation_nc.status == NCStatus.IMPLEMENTATION


def test_an_action_is_done_only_with_evidence(officer, process):
    nc = to_implementation(make_nc(process))
    action = nc.actions[0]
    services.update_action(action, expected_version=action.version, status="in_progress",
                           actor=action.owner)
    with pytest.raises(ValidationError) as err:
        services.update_action(action, expected_version=action.version, status="done",
                               evidence="", actor=action.owner)
    assert err.value.field == "evidence"
    with pytest.raises(TransitionError):  # done → planned is not in the table
        services.update_action(action, expected_version=action.version, status="planned",
                               actor=action.owner)


def test_closing_with_open_actions_is_refused(officer, process):
    nc = to_implementation(make_nc(process), owners=("duenio", "duenio2"))
    finish_actions(nc)
    services.add_action(nc, expected_version=nc.version, description="Otra", owner=user("duenio"),
                        due_on=today_local())
    with pytest.raises(TransitionError, match="acciones abiertas.*AC-3"):
        services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                     password=PASSWORD)
    assert nc.status == NCStatus.IMPLEMENTATION and nc.closed_at is None


def test_illegal_transitions_raise_a_clear_transition_error(officer, process):
    nc = make_nc(process)
    with pytest.raises(TransitionError, match="Reportada.*Implementación"):
        services.transition(nc, "implementation", expected_version=nc.version,
                            actor=user("calidad"))
    with pytest.raises(TransitionError):
        services.transition(nc, "reported", expected_version=nc.version, actor=user("calidad"))
    with pytest.raises(TransitionError):
        services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                     password=PASSWORD)


def test_not_effective_reopens_analysis_and_keeps_the_history(officer, process):
    nc = verified(make_nc(process), "not_effective")
    assert nc.status == NCStatus.ANALYSIS and nc.analysis_round == 2
    first = nc.verifications[0]
    assert first.result == VerificationResult.NOT_EFFECTIVE and first.evidence
    assert [a.round for a in nc.analyses] == [1, 2]
    assert nc.analyses[0].root_cause == "El cruce usa el nombre como llave."
    assert nc.analyses[1].root_cause is None and nc.analyses[1].whys == nc.analyses[0].whys
    with pytest.raises(TransitionError):  # the new round needs its own actions
        services.save_analysis(nc, expected_version=nc.version, whys=["x"], ishikawa={},
                               root_cause="Consolidación manual")
        services.submit_analysis(nc, expected_version=nc.version)
        services.start_implementation(nc, expected_version=nc.version)
    # second round to a close: both verifications stay, each with its result
    services.add_action(nc, expected_version=nc.version, description="Automatizar",
                        owner=user("duenio"), due_on=today_local())
    services.start_implementation(nc, expected_version=nc.version)
    finish_actions(nc)
    services.send_to_verification(nc, expected_version=nc.version, planned_on=today_local(),
                                  verifier=user("auditor"))
    services.record_verification(nc, expected_version=nc.version, result="effective",
                                 evidence="Dos pagos a tiempo.", actor=user("auditor"))
    services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                 password=PASSWORD)
    assert [v.result.value for v in nc.verifications] == ["not_effective", "effective"]
    assert nc.status == NCStatus.CLOSED and nc.last_result == VerificationResult.EFFECTIVE


def test_closing_needs_an_effective_verification_and_the_signers_password(officer, process):
    nc = to_verification(make_nc(process))
    with pytest.raises(TransitionError, match="eficaz"):
        services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                     password=PASSWORD)
    services.record_verification(nc, expected_version=nc.version, result="effective",
                                 evidence="OK", actor=user("auditor"))
    with pytest.raises(ValidationError) as err:
        services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                     password="incorrecta")
    assert err.value.field == "password" and nc.status == NCStatus.VERIFICATION
    services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                 password=PASSWORD)
    db.session.commit()
    assert nc.closed_by == user("calidad") and nc.closed_at.tzinfo is not None
    assert nc.close_meaning == services.CLOSE_MEANING
    event = audit.history(db.session, nc)[-1]
    assert event.action == "transition:closed" and "Firma electrónica" in event.note
    assert event.actor_label == "calidad"


def test_the_process_owner_cannot_verify_their_own_actions(officer, process):
    nc = to_implementation(make_nc(process))
    finish_actions(nc)
    with pytest.raises(ValidationError) as err:
        services.send_to_verification(nc, expected_version=nc.version, planned_on=today_local(),
                                      verifier=user("duenio"))
    assert err.value.field == "verifier_id"


def test_cancelling_needs_a_reason_and_is_final(officer, process):
    nc = make_nc(process)
    with pytest.raises(ValidationError) as err:
        services.cancel_nonconformity(nc, expected_version=nc.version, reason=" ")
    assert err.value.field == "reason"
    services.cancel_nonconformity(nc, expected_version=nc.version, reason="Duplicada de NC-001")
    assert nc.status == NCStatus.CANCELLED
    with pytest.raises(TransitionError):
        services.start_analysis(nc, expected_version=nc.version)


def test_a_stale_version_is_a_conflict_and_changes_nothing(officer, process):
    nc = make_nc(process)
    db.session.commit()
    read_by_both = nc.version
    services.update_nonconformity(
        nc, expected_version=read_by_both, title="Título de la primera oficial",
        description=nc.description, source=nc.source, process=process, severity=nc.severity,
        detected_on=nc.detected_on)
    db.session.commit()
    with pytest.raises(ConflictError):
        services.update_nonconformity(
            nc, expected_version=read_by_both, title="Título de la segunda oficial",
            description=nc.description, source=nc.source, process=process,
            severity=nc.severity, detected_on=nc.detected_on)
    assert nc.title == "Título de la primera oficial"


def test_overdue_is_computed_from_dates(officer, process):
    nc = to_implementation(make_nc(process))
    db.session.commit()
    assert not nc.overdue
    later = datetime.combine(nc.actions[0].due_on + timedelta(days=1), datetime.min.time(),
                             tzinfo=UTC) + timedelta(hours=18)
    with frozen_clock(later):
        assert nc.overdue and nc.actions[0].overdue
        assert db.session.scalar(select(Nonconformity.id).where(Nonconformity.overdue)) == nc.id
    finish_actions(nc)
    with frozen_clock(later):
        assert not nc.overdue


def test_timeline_tells_the_whole_story_in_order(officer, process):
    nc = verified(make_nc(process))
    services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                 password=PASSWORD)
    db.session.commit()
    titles = [step.title for step in timeline(nc)]
    expected = ["No conformidad reportada", "Corrección / contención registrada",
                "Pasa a «Análisis de causas»", "Ronda 1 · Análisis de causas iniciado",
                "Pasa a «Plan de acción»", "AC-1 · Acción correctiva planificada",
                "Pasa a «Implementación»", "AC-1 · Pasa a «Realizada»",
                "Verificación de eficacia planificada", "Verificación de eficacia: Eficaz",
                "Pasa a «Cerrada»"]
    positions = [titles.index(t) for t in expected]
    assert positions == sorted(positions), titles
    assert all(e.entity_id != "?" for e in db.session.scalars(select(AuditEvent)))
