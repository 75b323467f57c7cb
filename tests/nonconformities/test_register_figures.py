"""The register's maintained figures (counts per process/source/severity/status, days to
close, each NC's next due date) equal a recount of the register after every kind of
change — creation, every transition, a reopening after a "not effective" verification,
cancellation, an edit of process or severity, a deletion, a rollback — and stay right
when several writers change NCs of the same figure at once (SQLite and PostgreSQL). The
text search and the "overdue" and "assigned to me" filters select what they did before
they had indexes: checked against plain Python over the records."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from qms.core import audit
from qms.core.db import frozen_clock
from qms.core.time import today_local
from qms.core.uow import write_first
from qms.extensions import db
from qms.nonconformities import figures, register, services
from qms.nonconformities.enums import OPEN_STATUSES, ActionStatus, NCSeverity, NCSource, NCStatus
from qms.nonconformities.models import NCRegisterFigure, Nonconformity
from qms.processes.models import Process
from tests.conftest import PASSWORD, user
from tests.nonconformities.conftest import (
    finish_actions,
    make_nc,
    make_process,
    to_action_plan,
    to_implementation,
    to_verification,
    verified,
)


def _next_due(nc: Nonconformity):
    return min((a.due_on for a in nc.actions if a.status != ActionStatus.DONE), default=None)


def assert_figures_match() -> None:
    """The maintained figures equal a recount, every NC's next due date its actions'."""
    db.session.flush()
    assert figures.stored() == figures.recomputed()
    db.session.expire_all()
    for nc in db.session.scalars(select(Nonconformity)):
        assert nc.next_due_on == _next_due(nc), nc.code
    assert figures.check() == figures.Rebuilt(0, 0, len(db.session.scalars(
        select(Nonconformity.id)).all()))


def test_figures_follow_every_change_of_an_nc(officer, process):
    other = make_process("OTR")
    assert_figures_match()
    reported = make_nc(process, severity="minor", source="citizen_complaint")
    assert_figures_match()
    closed = verified(make_nc(process))
    services.close_nonconformity(closed, expected_version=closed.version, actor=officer,
                                 password=PASSWORD)
    assert_figures_match()
    assert register.chart_figures()["days_to_close"] == [("PAG", 10.0)]  # detected 10 days ago
    reopened = verified(make_nc(process, title="Vuelve al análisis"), result="not_effective")
    assert reopened.status.value == "analysis" and reopened.analysis_round == 2
    assert_figures_match()
    working = to_implementation(make_nc(process), owners=("duenio", "auditor"))
    assert working.next_due_on == today_local() + timedelta(days=5)
    first = working.actions[0]
    services.replan_action(first, expected_version=first.version, actor=officer,
                           reason="Depende de otra área.", due_on=today_local() + timedelta(days=2))
    assert working.next_due_on == today_local() + timedelta(days=2)
    assert_figures_match()
    finish_actions(working)
    assert working.next_due_on is None
    assert_figures_match()
    planned = to_action_plan(make_nc(process))
    services.update_nonconformity(
        reported, expected_version=reported.version, title=reported.title,
        description=reported.description, source="internal_audit", process=other,
        severity="major", severity_reason="Afecta a todo un municipio.",
        detected_on=reported.detected_on)
    assert_figures_match()
    services.cancel_nonconformity(planned, expected_version=planned.version,
                                  reason="Registrada por duplicado.")
    assert_figures_match()
    gone = make_nc(other)
    db.session.flush()
    db.session.delete(gone)
    assert_figures_match()
    db.session.commit()
    assert_figures_match()
    # The edited NC moved to the other process's row; the deleted one left it.
    assert [(key, value) for key, value in figures.stored().items() if key[0] == other.id] \
        == [((other.id, NCSource.INTERNAL_AUDIT, NCSeverity.MAJOR, NCStatus.REPORTED), (1, 0))]


def test_a_rolled_back_change_leaves_the_figures_as_they_were(officer, process):
    nc = to_implementation(make_nc(process))
    db.session.commit()
    before = figures.stored()
    services.update_action(nc.actions[0], expected_version=nc.actions[0].version,
                           status="in_progress", actor=user("duenio"))
    services.cancel_nonconformity(nc, expected_version=nc.version, reason="Duplicada.")
    db.session.flush()
    assert figures.stored() != before
    db.session.rollback()
    assert figures.stored() == before
    assert_figures_match()


def test_the_register_counts_and_charts_come_from_the_figures(officer, process):
    make_nc(process, severity="minor")
    to_implementation(make_nc(process, source="citizen_complaint"))
    verified(make_nc(process))
    db.session.commit()
    for filters in (register.Filters(), register.Filters(open_only=True),
                    register.Filters(severity="major", source="citizen_complaint"),
                    register.Filters(status="verification", process_id=process.id),
                    register.Filters(process_id=process.id + 99)):
        statement = register.count_query(filters)
        assert "nc_register_figure" in str(statement) and "FROM nonconformity" not in str(statement)
        assert register.count(filters) == len(db.session.scalars(
            register.register_query(filters)).all())
    # Filters the figures do not hold are counted over the register's indexes.
    assert "FROM nonconformity" in str(register.count_query(register.Filters(q="pago")))


def test_rebuild_command_finds_and_corrects_drifted_figures(app, officer, process):
    nc = to_implementation(make_nc(process))
    db.session.commit()
    # A bulk load or a hand-made fix that went around the ORM:
    db.session.execute(update(NCRegisterFigure).where(NCRegisterFigure.status == "implementation")
                       .values(nc_count=NCRegisterFigure.nc_count + 3))
    db.session.execute(update(Nonconformity).where(Nonconformity.id == nc.id)
                       .values(next_due_on=None))
    db.session.commit()
    runner = app.test_cli_runner()
    found = runner.invoke(args=["qms", "rebuild-nc-figures", "--check"])
    assert found.exit_code == 1
    assert "1 NCs counted: 1 figure rows and 1 next due dates differ." in found.output
    fixed = runner.invoke(args=["qms", "rebuild-nc-figures"])
    assert fixed.exit_code == 0, fixed.output
    assert "1 figure rows and 1 next due dates corrected" in fixed.output
    again = runner.invoke(args=["qms", "rebuild-nc-figures", "--check"])
    assert again.exit_code == 0 and "0 figure rows and 0 next due dates differ" in again.output
    db.session.expire_all()
    assert_figures_match()


# ------------------------------------------------------------- the filters' meaning


def _overdue_by_actions(today) -> set[int]:
    return {nc.id for nc in db.session.scalars(select(Nonconformity))
            if nc.status in OPEN_STATUSES and any(
                a.due_on < today and a.status != ActionStatus.DONE for a in nc.actions)}


def test_overdue_means_an_open_nc_with_an_action_past_due(officer, process):
    late = to_implementation(make_nc(process))
    on_time = to_implementation(make_nc(process))
    services.replan_action(on_time.actions[0], expected_version=on_time.actions[0].version,
                           actor=officer, reason="Más plazo.",
                           due_on=today_local() + timedelta(days=20))
    cancelled = to_implementation(make_nc(process))
    services.cancel_nonconformity(cancelled, expected_version=cancelled.version, reason="Dup.")
    make_nc(process)  # no action at all: never overdue, always "not overdue"
    db.session.commit()
    due = late.actions[0].due_on
    with frozen_clock(datetime.combine(due + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
                      + timedelta(hours=18)):
        today = today_local()
        expected = _overdue_by_actions(today)
        assert late.id in expected and on_time.id not in expected
        listed = {nc.id for nc in db.session.scalars(
            register.register_query(register.Filters(overdue=True)))}
        assert listed == expected
        others = {nc.id for nc in db.session.scalars(
            register.register_query(register.Filters(overdue=False)))}
        everything = set(db.session.scalars(select(Nonconformity.id)))
        assert others == everything - expected
        assert register.count(register.Filters(overdue=False)) == len(others)
        assert late.overdue and not on_time.overdue and not cancelled.overdue


def test_assigned_to_me_is_the_union_of_what_waits_for_me(officer, process):
    owned = make_nc(process)  # "duenio" owns PAG: an open NC of a process they own
    elsewhere = make_process("AJE", owner="duenio2")
    mine = to_implementation(make_nc(elsewhere), owners=("duenio",))
    finished = to_implementation(make_nc(elsewhere), owners=("duenio",))
    finish_actions(finished)  # done actions wait for nobody
    pending_check = to_verification(make_nc(elsewhere))  # verifier: "auditor"
    recorded = verified(make_nc(elsewhere))
    db.session.commit()

    def listed(username: str) -> set[int]:
        return {nc.id for nc in db.session.scalars(register.register_query(
            register.Filters(assigned_to=user(username).id)))}

    assert listed("duenio") == {owned.id, mine.id}
    assert listed("auditor") == {pending_check.id}
    assert recorded.id not in listed("auditor") | listed("duenio")
    assert listed("duenio2") == {mine.id, finished.id, pending_check.id, recorded.id}
    assert register.count(register.Filters(assigned_to=user("duenio").id)) == 2


SEARCH_TITLES = ["Pago fuera de calendario en Olanchito", "Listado del 100% de titulares",
                 'Queja "urgente" sin respuesta', "PAGO DUPLICADO EN JUTICALPA", "Año fiscal_2026"]


def _search(q: str, process_id: int) -> set[str]:
    return {nc.title for nc in db.session.scalars(
        register.register_query(register.Filters(q=q, process_id=process_id)))}


def _search_cases(process) -> None:
    """(Within one process: PostgreSQL's test database keeps other tests' NCs.)"""
    for title in SEARCH_TITLES:
        make_nc(process, title=title)
    db.session.flush()
    assert _search("olanch", process.id) == {SEARCH_TITLES[0]}        # a part of a word
    assert _search("pago", process.id) == {SEARCH_TITLES[0], SEARCH_TITLES[3]}  # any case
    assert _search("100%", process.id) == {SEARCH_TITLES[1]}          # % is a character, not a wildcard
    assert _search("l_2", process.id) == {SEARCH_TITLES[4]}           # so is _
    assert _search('"urgente"', process.id) == {SEARCH_TITLES[2]}     # quotes are searched as typed
    assert _search("año", process.id) == {SEARCH_TITLES[4]}
    assert _search("en", process.id) >= {SEARCH_TITLES[0], SEARCH_TITLES[3]}  # two letters still work
    nc = db.session.scalar(select(Nonconformity).where(Nonconformity.title == SEARCH_TITLES[0],
                                                       Nonconformity.process_id == process.id))
    assert _search(nc.code.lower(), process.id) == {SEARCH_TITLES[0]}  # the code too
    services.update_nonconformity(
        nc, expected_version=nc.version, title="Pago tardío en Catacamas",
        description=nc.description, source=nc.source, process=nc.process,
        severity=nc.severity, detected_on=nc.detected_on)
    db.session.flush()
    assert _search("olanch", process.id) == set()  # the index follows the edit
    assert _search("catacamas", process.id) == {"Pago tardío en Catacamas"}


def test_search_finds_text_anywhere_in_code_or_title_on_sqlite(officer, process):
    _search_cases(process)


@pytest.mark.postgres
def test_search_finds_text_anywhere_in_code_or_title_on_postgresql(pg_app):
    with pg_app.test_request_context(), audit.acting_as(user("calidad")):
        try:
            _search_cases(make_process("BUSQ"))
        finally:
            db.session.rollback()
            db.session.remove()


# ------------------------------------------------------------------ concurrency

WRITERS = 4


def _race(app, process_code: str, per_writer: int) -> None:
    """Writers move NCs of the same process (hence the same figure rows) through their
    workflow at the same time, each step its own transaction."""
    barrier = threading.Barrier(WRITERS)

    def writer(index: int) -> None:
        with app.test_request_context(), audit.acting_as(user("calidad")):
            barrier.wait()
            for n in range(per_writer):
                def create(n=n):
                    process = db.session.scalar(select(Process).where(
                        Process.code == process_code))
                    return make_nc(process, severity="minor" if n % 2 else "major").id

                nc_id = write_first(create)

                def advance(nc_id=nc_id, n=n):
                    nc = db.session.get(Nonconformity, nc_id)
                    to_implementation(nc)
                    if (index + n) % 3 == 0:
                        services.cancel_nonconformity(nc, expected_version=nc.version,
                                                      reason="Duplicada.")

                write_first(advance)
            db.session.remove()

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))


def test_concurrent_writers_keep_the_figures_right_on_sqlite(app):
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        make_process("PAG")
        db.session.commit()
    _race(app, "PAG", 6)
    with app.app_context():
        assert len(db.session.scalars(select(Nonconformity.id)).all()) == WRITERS * 6
        assert_figures_match()


@pytest.mark.postgres
def test_concurrent_writers_keep_the_figures_right_on_postgresql(pg_app):
    with pg_app.app_context(), audit.acting_as(audit.SYSTEM):
        if db.session.scalar(select(Process.id).where(Process.code == "FIGPG")) is None:
            make_process("FIGPG")
            db.session.commit()
    _race(pg_app, "FIGPG", 6)
    with pg_app.app_context():
        assert_figures_match()
        # The migration set up the trigram search.
        assert db.session.execute(text("SELECT count(*) FROM pg_extension "
                                       "WHERE extname = 'pg_trgm'")).scalar() == 1
        db.session.remove()
