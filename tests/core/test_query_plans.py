"""The hot queries are served by indexes: the plan of every filter and sort of the NC
register (its page and its count), of the register's charts and of the audit log's
filter names no full scan of a large table.

SQLite: ``EXPLAIN QUERY PLAN``; a line ``SCAN <table>`` without ``USING … INDEX`` reads
the whole table. PostgreSQL: ``EXPLAIN`` with ``enable_seqscan = off``, so on a small
test database the planner still takes an index wherever one can serve the query and
falls back to ``Seq Scan on <table>`` only where none can — exactly the case to catch.

Free-text search (``q``: code or title containing the text) goes through trigram
indexes — SQLite's FTS5 ``nc_search`` table, PostgreSQL's ``pg_trgm`` GIN indexes — and
reads no title it does not match; "overdue" is a range of ``(status, next_due_on)``;
"assigned to me" a union of three index searches; the register's total and its charts
read the small ``nc_register_figure`` table.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text
from werkzeug.datastructures import MultiDict

from qms.core import audit
from qms.extensions import db
from qms.nonconformities import register
from tests.conftest import user

#: Tables that grow with the programme: a full scan of one is a defect.
LARGE = ("nonconformity", "corrective_action", "nc_verification", "nc_analysis",
         "audit_event")

#: Every filter and sort the register offers, alone and combined.
REGISTER_CASES = [
    "", "status=closed", "status=implementation", "open_only=1", "process_id=1",
    "source=citizen_complaint", "severity=major", "overdue=1", "overdue=0",
    "detected_from=2025-03-01", "detected_to=2025-03-31",
    "detected_from=2025-03-01&detected_to=2025-03-31", "mine=1", "q=olancho",
    *[f"sort={d}{key}" for key in register.SORTS for d in ("", "-")],
    "process_id=1&open_only=1&sort=-detected_on", "status=closed&sort=title",
    "source=other&severity=minor&sort=status", "mine=1&overdue=1&sort=process",
]


def _filters(query: str) -> register.Filters:
    filters = register.Filters.from_args(MultiDict(
        [pair.split("=", 1) for pair in query.split("&") if pair]))
    if filters.mine:
        filters.assigned_to = user("calidad").id
    return filters


def _register_statements(query: str) -> dict[str, object]:
    filters = _filters(query)
    return {"page": register.page_query(filters).limit(25).offset(25),
            "count": register.count_query(filters),
            "export": register.register_query(filters).limit(500)}


def _hot_statements() -> dict[str, object]:
    statements = {}
    for case in REGISTER_CASES:
        for kind, statement in _register_statements(case).items():
            statements[f"register {case or '(no filter)'} — {kind}"] = statement
    for name, statement in register.chart_queries().items():
        statements[f"chart {name}"] = statement
    filtered = audit.log_query("nonconformity")
    statements["audit log by type — page"] = filtered.limit(50).offset(50)
    statements["audit log by type — count"] = select(func.count()).select_from(
        filtered.order_by(None).subquery())
    statements["audit log — count"] = select(func.count()).select_from(
        audit.log_query().order_by(None).subquery())
    return statements


#: The other registers (complaints in the thousands) and the pages that list the NCs
#: raised from a record (a survey wave's results).
LARGE += ("complaint",)
COMPLAINT_CASES = ["", "estado=received", "tipo=payment", "departamento=08", "abiertas=1",
                   "atrasadas=1", "tipo=payment&departamento=08&abiertas=1"]


def _other_register_statements() -> dict[str, object]:
    from qms.complaints import services as complaints
    from qms.surveys import findings
    from qms.surveys.models import Wave

    names = {"estado": "status", "tipo": "category", "departamento": "department",
             "abiertas": "open_only", "atrasadas": "overdue_only"}
    statements = {}
    for case in COMPLAINT_CASES:
        args = dict(pair.split("=", 1) for pair in case.split("&") if pair)
        filters = {names[k]: (v == "1" if k in ("abiertas", "atrasadas") else v)
                   for k, v in args.items()}
        query = complaints.register_query(**filters)
        statements[f"complaints {case or '(no filter)'} — page"] = query.limit(50).offset(50)
        statements[f"complaints {case or '(no filter)'} — count"] = select(
            func.count()).select_from(query.order_by(None).subquery())
    wave = Wave(id=4)
    statements["NCs linked to a survey wave"] = findings.linked_query(wave)
    statements["NCs raised from a wave's findings"] = findings.linked_query(
        wave, findings_only=True)
    return statements


def test_the_programme_risk_figures_read_covering_indexes_only(app_ctx):
    """The audit programme's two NC aggregates never read an NC row: the open NCs from
    the maintained figures, the recent ones from a covering index."""
    from datetime import date

    from qms.nonconformities.facts import nc_risk_figures_by_process

    seen = []

    def record(conn, cursor, statement, params, context, many):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                             tuple(params)).all())

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        nc_risk_figures_by_process(date(2026, 1, 1))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    plans = [" | ".join(row[3] for row in plan) for plan in seen]
    assert len(plans) == 2, plans
    assert "nc_register_figure" in plans[0] and "nonconformity" not in plans[0], plans
    assert "nonconformity USING COVERING INDEX" in plans[1], plans


def test_sqlite_plans_of_the_other_registers_name_no_full_scan(app_ctx):
    scans = {name: found for name, statement in _other_register_statements().items()
             if (found := _sqlite_full_scans(statement))}
    assert scans == {}


@pytest.mark.postgres
def test_postgresql_plans_of_the_other_registers_name_no_full_scan(pg_app):
    with pg_app.test_request_context():
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        try:
            scans = {name: found for name, statement in _other_register_statements().items()
                     if (found := _postgres_full_scans(statement))}
        finally:
            db.session.rollback()
    assert scans == {}


def _sql(statement) -> str:
    return str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))


def _sqlite_full_scans(statement) -> list[str]:
    plan = [row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + _sql(statement)))]
    return [line for line in plan
            if (m := re.match(r"SCAN (\w+)( USING|$)", line)) and m.group(1) in LARGE
            and not m.group(2)]


def _postgres_full_scans(statement) -> list[str]:
    plan = [row[0] for row in db.session.execute(text("EXPLAIN " + _sql(statement)))]
    return [line.strip() for line in plan
            if (m := re.search(r"Seq Scan on (\w+)", line)) and m.group(1) in LARGE]


def test_sqlite_plans_name_no_full_scan_of_a_large_table(app_ctx):
    scans = {name: found for name, statement in _hot_statements().items()
             if (found := _sqlite_full_scans(statement))}
    assert scans == {}


def test_the_plan_check_sees_a_full_scan(app_ctx):
    """The check is not blind: a filter on a column without an index is reported."""
    from qms.nonconformities.models import Nonconformity

    unindexed = select(Nonconformity).where(Nonconformity.correction_on.is_(None))
    assert _sqlite_full_scans(unindexed) == ["SCAN nonconformity"]


def test_status_sort_uses_its_expression_index(app_ctx):
    """The workflow-order sort matches the expression index text for text: were the CASE
    written with bound parameters, SQLite would sort the whole register in a temp B-tree."""
    plan = " | ".join(row[3] for row in db.session.execute(text(
        "EXPLAIN QUERY PLAN " + _sql(_register_statements("sort=-status")["page"]))))
    assert "ix_nonconformity_status_rank" in plan
    assert "TEMP B-TREE" not in plan


def _sqlite_plan(statement) -> str:
    return " | ".join(row[3] for row in db.session.execute(
        text("EXPLAIN QUERY PLAN " + _sql(statement))))


def test_search_reads_the_trigram_index_not_the_titles(app_ctx):
    for kind, statement in _register_statements("q=olancho").items():
        plan = _sqlite_plan(statement)
        assert "SCAN nc_search VIRTUAL TABLE" in plan, kind
        assert "SCAN nonconformity" not in plan, (kind, plan)  # not even a covering index


def test_overdue_and_assigned_to_me_search_their_indexes(app_ctx):
    overdue = _sqlite_plan(_register_statements("overdue=1")["count"])
    assert "ix_nonconformity_status_next_due (status=? AND next_due_on" in overdue
    mine = _sqlite_plan(_register_statements("mine=1")["page"])
    for index in ("ix_corrective_action_owner_open (owner_id=? AND status=?)",
                  # the pending-work index (verifier, result, …) serves it too
                  "ix_nc_verification_verifier_result (verifier_id=? AND result=?)",
                  "ix_nonconformity_status_process (status=? AND process_id=?)"):
        assert index in mine
    assert "corrective_action" not in _sqlite_plan(_register_statements("overdue=1")["page"])


def test_figure_filters_are_counted_from_the_figures(app_ctx):
    for case in ("", "status=closed", "open_only=1", "process_id=1&source=other&severity=minor"):
        plan = _sqlite_plan(_register_statements(case)["count"])
        assert "nc_register_figure" in plan and "nonconformity " not in plan + " ", plan


@pytest.mark.postgres
def test_postgresql_search_reads_the_trigram_indexes(pg_app):
    """On a register of some size (on a near-empty table any index is as good as
    another) a search can be served by the pg_trgm indexes (sequential scans off, as in
    the test below: the plan is what the planner does where an index can serve)."""
    from datetime import UTC, date, datetime

    from qms.core.db import bulk_insert
    from qms.nonconformities.models import Nonconformity
    from qms.processes.models import Process

    words = ["Juticalpa", "Catacamas", "Olanchito", "Tocoa", "Danlí", "Choluteca"]
    with pg_app.test_request_context():
        try:
            process_id = db.session.scalar(select(Process.id).limit(1))
            someone = user("calidad").id
            if process_id is None:
                from tests.nonconformities.conftest import make_process

                with audit.acting_as(audit.SYSTEM):
                    process_id = make_process("PLAN").id
            moment = datetime(2020, 1, 1, tzinfo=UTC)
            bulk_insert(Nonconformity.__table__, [
                {"code": f"NC-1990-{n:05d}", "year": 1990, "number": n, "version": 1,
                 "title": f"Pago {n} tardío en {words[n % 6]} {n * 7919 % 10007}",
                 "description": "D", "source": "other", "process_id": process_id,
                 "severity": "minor", "status": "reported", "detected_on": date(2020, 1, 1),
                 "detected_by_id": someone, "analysis_round": 1, "created_at": moment,
                 "updated_at": moment} for n in range(1, 3001)])
            db.session.execute(text("ANALYZE nonconformity"))
            # What VACUUM (autovacuum) does to rows added since: into the GIN's main tree.
            db.session.execute(text("SELECT gin_clean_pending_list('ix_nonconformity_title_trgm'),"
                                    " gin_clean_pending_list('ix_nonconformity_code_trgm')"))
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(row[0] for row in db.session.execute(
                text("EXPLAIN " + _sql(_register_statements("q=juticalpa 17")["count"]))))
        finally:
            db.session.rollback()
    assert "ix_nonconformity_title_trgm" in plan and "ix_nonconformity_code_trgm" in plan, plan
    assert "Seq Scan" not in plan


@pytest.mark.postgres
def test_postgresql_plans_name_no_full_scan_of_a_large_table(pg_app):
    with pg_app.test_request_context():
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        try:
            scans = {name: found for name, statement in _hot_statements().items()
                     if (found := _postgres_full_scans(statement))}
            unindexed = _postgres_full_scans(select(text("1")).select_from(
                text("nonconformity")).where(text("correction_on IS NULL")))
        finally:
            db.session.rollback()
    assert scans == {}
    assert unindexed and "Seq Scan on nonconformity" in unindexed[0]  # the check can fail


def test_the_migration_builds_the_status_index_the_model_declares():
    import importlib.util
    from pathlib import Path

    from qms.nonconformities.models import STATUS_RANK_SQL

    path = Path(__file__).parents[2] / "migrations" / "versions" / "0015_scale_indexes.py"
    spec = importlib.util.spec_from_file_location("scale_indexes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.STATUS_RANK_SQL == STATUS_RANK_SQL


def _pending_statements() -> dict[str, object]:
    """The home's and "Mis pendientes"' queries: every kind's counter for a quality officer
    and a process owner, the pages of the NC kinds, the NC card's aggregate."""
    from qms.core.pending import PendingCount, PendingWindow, kinds
    from qms.core.time import today_local
    from qms.nonconformities import cards
    from qms.nonconformities import pending as nc_pending
    from qms.nonconformities.models import CorrectiveAction, Nonconformity

    today = today_local()
    statements = {}
    for username in ("calidad", "duenio"):
        for entry in kinds():
            found = entry.counter(user(username), today)
            if found is not None and not isinstance(found, PendingCount):
                statements[f"pending {entry.kind} count ({username})"] = found
    window = PendingWindow(today, limit=25)
    owner = user("duenio")
    statements["pending nc_action page"] = window.apply(
        nc_pending.open_actions_owned_by(owner.id), CorrectiveAction.due_on, CorrectiveAction.id)
    statements["pending nc_verification page"] = window.apply(
        nc_pending._my_verifications(owner.id), None, Nonconformity.id)
    due = nc_pending._earliest_open_action().label("due")
    statements["pending nc_process page"] = window.apply(
        select(Nonconformity.id, due).where(*nc_pending._my_process_ncs(owner.id)), due)
    statements["NC card (open, overdue)"] = cards.open_and_overdue_query()
    return statements


def test_pending_plans_name_no_full_scan_of_a_large_table(app):
    with app.test_request_context():
        scans = {name: found for name, statement in _pending_statements().items()
                 if (found := _sqlite_full_scans(statement))}
        page = " | ".join(row[3] for row in db.session.execute(text(
            "EXPLAIN QUERY PLAN " + _sql(_pending_statements()["pending nc_action page"]))))
    assert scans == {}
    # a page of one's actions is read in the index's order and stops after its rows
    assert "ix_corrective_action_owner_due" in page and "TEMP B-TREE" not in page


@pytest.mark.postgres
def test_postgresql_pending_plans_name_no_full_scan(pg_app):
    with pg_app.test_request_context():
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        try:
            scans = {name: found for name, statement in _pending_statements().items()
                     if (found := _postgres_full_scans(statement))}
        finally:
            db.session.rollback()
    assert scans == {}
