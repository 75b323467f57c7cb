"""The hot queries are served by indexes: the plan of every filter and sort of the NC
register (its page and its count), of the register's charts and of the audit log's
filter names no full scan of a large table.

SQLite: ``EXPLAIN QUERY PLAN``; a line ``SCAN <table>`` without ``USING … INDEX`` reads
the whole table. PostgreSQL: ``EXPLAIN`` with ``enable_seqscan = off``, so on a small
test database the planner still takes an index wherever one can serve the query and
falls back to ``Seq Scan on <table>`` only where none can — exactly the case to catch.

Free-text search (``q``: ``LIKE '%…%'`` on title and code) cannot use a B-tree; it reads
a covering index instead of the table (checked too), which the benchmark times.
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
    statement = register.register_query(_filters(query))
    return {"page": statement.limit(25).offset(25),
            "count": select(func.count()).select_from(statement.order_by(None).subquery())}


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
    """The audit programme's two NC aggregates never read an NC row."""
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
    assert len(plans) == 2 and all("USING COVERING INDEX" in plan for plan in plans), plans


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
