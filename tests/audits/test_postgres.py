"""Audits on PostgreSQL: a whole audit life (plan, checklist online and offline, a finding
that raises an NC, the signed report, the lock, closure), the facts the reminders and the
calendar read, and gapless codes when many audits are planned at once (also on SQLite)."""

from __future__ import annotations

import csv
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import icalendar
import pytest
from sqlalchemy import select

from qms.audits import calendar, facts, offline, programme, report, services
from qms.audits.enums import AuditStatus, AuditType, FindingType, ItemResult, MemberRole
from qms.audits.models import Audit, AuditYearCounter, Finding
from qms.core import audit as trail
from qms.core.errors import TransitionError, ValidationError
from qms.core.storage import blob_path
from qms.core.time import today_local
from qms.core.uow import write_first
from qms.extensions import db
from qms.nonconformities.models import Nonconformity
from qms.processes.models import Process
from tests.audits.conftest import PASSWORD, make_audit, make_process, template
from tests.conftest import user
from tests.fixtures_postgres import pg_app_copy

THREADS = 6
PER_THREAD = 8
#: A year of its own, so other tests' audits on the shared databases never interleave.
YEAR = 2031


@pytest.fixture(scope="module")
def audits_pg(pg_server, pg_template, tmp_path_factory):
    """A database of its own: the shared PostgreSQL app holds other domains' records."""
    with pg_app_copy(pg_server, pg_template, tmp_path_factory.mktemp("qms-pg-audits"),
                     "qms_audits") as application:
        yield application


@pytest.mark.postgres
def test_an_audit_life_on_postgresql(audits_pg, tmp_path):
    app = audits_pg
    with app.test_request_context(), trail.acting_as(user("calidad")):
        process = make_process("PGA", owner="duenio")
        audit = make_audit([process], title="Auditoría en PostgreSQL")
        services.add_member(audit, user=user("duenio"), role=MemberRole.AUDITEE)
        db.session.commit()
        assert audit.code == f"AI-{today_local().year}-01"
        # impartiality: the owner of the process cannot join the team
        with pytest.raises(ValidationError):
            services.add_member(audit, user=user("duenio"), role=MemberRole.AUDITOR)
        db.session.rollback()
        audit_id = audit.id
    with app.test_request_context(), trail.acting_as(user("auditor")):
        audit = db.session.get(Audit, audit_id)
        process = db.session.scalar(select(Process).where(Process.code == "PGA"))
        lead = user("auditor")
        services.start_audit(audit, expected_version=audit.version, actual_start=today_local())
        first = audit.items[0]
        services.answer_item(first, expected_version=first.version, result=ItemResult.CONFORM,
                             notes="Visto en sitio.", actor=lead)
        db.session.commit()
        # the rest from a Kobo Labels export
        path = tmp_path / "kobo.csv"
        header = ["auditoria"] + [offline.question_label(i) for i in audit.items[1:]] + ["_uuid"]
        row = [audit.code] + ["Conforme"] * (len(audit.items) - 1) + ["pg-uuid-1"]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL)
            writer.writerow(header)
            writer.writerow(row)
        result = offline.import_submission(audit, path, actor=lead)
        db.session.commit()
        assert result.answers == len(audit.items) - 1

        def work():
            fresh = db.session.get(Audit, audit.id)
            return services.record_finding(
                fresh, finding_type=FindingType.MINOR_NC, clause="8.5.1", process=process,
                description="Planilla sin firma del jefe de pagos.", evidence="Planilla 03.",
                actor=lead)

        finding = write_first(work)
        nc = db.session.get(Nonconformity, finding.nc_id)
        assert nc.process_id == process.id and nc.code.startswith("NC-")
        finding_id = finding.id
        # reminders' facts: the finding is unanswered; the report not yet due
        unanswered = facts.unanswered_findings()
        assert [(f.finding_id, f.process_owner_id) for f in unanswered] == [
            (finding.id, user("duenio").id)]
        assert [a.audit_id for a in facts.reports_unsigned(audit.planned_end)] == [audit.id]
        assert facts.reports_unsigned(audit.planned_end - timedelta(days=1)) == []
        audit = db.session.get(Audit, audit.id)
        report.sign_report(audit, expected_version=audit.version, actor=lead, password=PASSWORD,
                           conclusion="Cumple salvo la firma de planillas.")
        db.session.commit()
        assert audit.status == AuditStatus.REPORTED
        pdf = tmp_path / "r.pdf"
        pdf.write_bytes(blob_path(audit.report_sha256).read_bytes())
        text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], check=True,
                                       capture_output=True, text=True).stdout.split())
        for expected in ("H-1", nc.code, "Planilla sin firma del jefe de pagos.",
                         "Firmo este informe como auditor(a) líder"):
            assert expected in text, expected
        with pytest.raises(TransitionError):
            services.update_plan(audit, expected_version=audit.version, title="Otro",
                                 scope=audit.scope, objectives="", processes=[process],
                                 planned_start=audit.planned_start,
                                 planned_end=audit.planned_end, clauses=[])
        db.session.rollback()
        audit = db.session.get(Audit, audit.id)
        services.record_correction(audit, text="El lugar fue la oficina regional.")
        db.session.commit()
    with app.test_request_context(), trail.acting_as(user("duenio")):
        finding = db.session.get(Finding, finding_id)
        services.respond_finding(finding, expected_version=finding.version,
                                 response="Se firmará cada planilla.", actor=user("duenio"))
        db.session.commit()
    with app.test_request_context(), trail.acting_as(user("calidad")):
        audit = db.session.get(Audit, audit_id)
        services.close_audit(audit, expected_version=audit.version)
        db.session.commit()
        assert audit.status == AuditStatus.CLOSED
        # the calendar feed and the programme's SQL on PostgreSQL
        cal = icalendar.Calendar.from_ical(calendar.build_feed(user("duenio"), today_local()))
        [event] = cal.walk("VEVENT")
        assert str(event["uid"]) == calendar.event_uid(audit)
        prog = services.programme_for(today_local().year)
        ranked = {r.process.code: r for r in programme.risk_proposal(prog, today_local())}
        assert "1 NC abiertas (+2)" in ranked["PGA"].reasons
        events = trail.history(db.session, audit)
        assert {"audit_correction", "offline_import"} <= {e.action for e in events}
        [signed] = [e for e in events if e.action == "transition:reported"]
        assert audit.report_sha256 in signed.note and "Firma electrónica" in signed.note
        count, problem = trail.verify_chain(db.session)
        assert problem is None and count > 0
        db.session.remove()


def _plan_many(app, process_code: str) -> tuple[list[str], int]:
    """THREADS planners at once, PER_THREAD audits each; every 5th planning fails after
    taking its number (its transaction rolls back). Returns the codes kept, the failures."""
    barrier = threading.Barrier(THREADS)
    failures = []

    def worker(index: int) -> list[str]:
        codes = []
        with app.test_request_context(), trail.acting_as(user("calidad")):
            barrier.wait()
            for n in range(PER_THREAD):
                doomed = (index * PER_THREAD + n) % 5 == 0

                def work(doomed=doomed):
                    process = db.session.scalar(select(Process).where(
                        Process.code == process_code))
                    audit = services.plan_audit(
                        services.programme_for(YEAR, create=True),
                        audit_type=AuditType.INTERNAL_PROCESS, title="Concurrente",
                        scope="Alcance", processes=[process], planned_start=date(YEAR, 3, 2),
                        planned_end=date(YEAR, 3, 3), lead=user("auditor"),
                        template=template())
                    if doomed:
                        raise ValidationError("simulated failure after numbering")
                    return audit.code

                try:
                    codes.append(write_first(work))
                except ValidationError:
                    failures.append(index)
            db.session.remove()
        return codes

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    return [c for chunk in results for c in chunk], len(failures)


def _check_gapless(app, codes: list[str], failed: int) -> None:
    assert failed > 0
    assert all(c.startswith(f"AI-{YEAR}-") for c in codes)
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert numbers == list(range(1, len(codes) + 1)), "no gap, no duplicate"
    assert len(codes) == THREADS * PER_THREAD - failed
    with app.app_context():
        assert db.session.get(AuditYearCounter, YEAR).last_number == len(codes)
        stored = db.session.scalars(select(Audit.number).where(Audit.year == YEAR)).all()
        assert sorted(stored) == numbers
        db.session.remove()


def _seed_process(app, code: str) -> None:
    with app.test_request_context(), trail.acting_as(user("calidad")):
        if db.session.scalar(select(Process.id).where(Process.code == code)) is None:
            make_process(code, owner="duenio")
        template()
        db.session.commit()
        db.session.remove()


@pytest.mark.postgres
def test_concurrent_planning_keeps_codes_gapless_on_postgresql(audits_pg):
    _seed_process(audits_pg, "PGC")
    _check_gapless(audits_pg, *_plan_many(audits_pg, "PGC"))


def test_concurrent_planning_keeps_codes_gapless_on_sqlite(app):
    _seed_process(app, "PAG")
    _check_gapless(app, *_plan_many(app, "PAG"))
