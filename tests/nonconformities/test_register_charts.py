"""The register's charts, computed by the database, say what the records say: open NCs
per process and per source, and days to close per process counted between local dates
(an NC closed at 21:30 in Tegucigalpa is closed that day, although it is 03:30 UTC of the
next one) — the same figure as ``Nonconformity.days_to_close``."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from qms.core import audit
from qms.core.db import bulk_insert
from qms.extensions import db
from qms.nonconformities import figures, register
from qms.nonconformities.enums import OPEN_STATUSES, NCSource, NCStatus
from qms.nonconformities.models import Nonconformity
from qms.processes.models import Process
from tests.conftest import user
from tests.nonconformities.conftest import make_process

#: (status, source, detected_on, closed_at UTC): closings on both sides of local midnight.
CASES = [
    ("closed", "internal_audit", date(2026, 3, 1), datetime(2026, 3, 10, 3, 30, tzinfo=UTC)),
    ("closed", "internal_audit", date(2026, 3, 1), datetime(2026, 3, 10, 6, 30, tzinfo=UTC)),
    ("closed", "other", date(2026, 2, 27), datetime(2026, 3, 1, 5, 59, tzinfo=UTC)),
    ("closed", "other", date(2026, 1, 31), datetime(2026, 4, 2, 18, 0, tzinfo=UTC)),
    ("reported", "citizen_complaint", date(2026, 3, 2), None),
    ("implementation", "citizen_complaint", date(2026, 3, 3), None),
    ("verification", "other", date(2026, 3, 4), None),
    ("cancelled", "other", date(2026, 3, 5), None),
]


def _load(processes: list[Process]) -> None:
    someone = user("calidad").id
    rows = []
    for i, (status, source, detected, closed_at) in enumerate(CASES * 2, start=1):
        rows.append({
            "code": f"NC-2026-{900 + i}", "year": 2026, "number": 900 + i, "version": 1,
            "title": f"Caso {i}", "description": "Descripción", "source": NCSource(source),
            "process_id": processes[i % 2].id, "severity": "minor", "status": status,
            "detected_on": detected, "detected_by_id": someone, "analysis_round": 1,
            "cancel_reason": "Duplicada" if status == "cancelled" else None,
            "closed_at": closed_at, "closed_by_id": someone if closed_at else None,
            "created_at": datetime(2026, 3, 1, tzinfo=UTC),
            "updated_at": datetime(2026, 3, 1, tzinfo=UTC)})
    bulk_insert(Nonconformity.__table__, rows)
    figures.rebuild()  # rows written without the ORM: recount the maintained figures
    db.session.flush()


def _expected() -> dict:
    ncs = db.session.scalars(select(Nonconformity)).all()
    open_ = [nc for nc in ncs if nc.status in OPEN_STATUSES]
    days = defaultdict(list)
    for nc in ncs:
        if nc.status == NCStatus.CLOSED:
            days[nc.process.code].append(nc.days_to_close)
    by_process = Counter(nc.process.code for nc in open_)
    return {
        "by_process": sorted(by_process.items(), key=lambda item: (-item[1], item[0])),
        "by_source": Counter({nc.source.label: 0 for nc in open_}) + Counter(
            nc.source.label for nc in open_),
        "days_to_close": sorted((code, round(sum(v) / len(v), 1)) for code, v in days.items()),
    }


def _check() -> None:
    figures = register.chart_figures()
    expected = _expected()
    assert figures["by_process"] == expected["by_process"]
    assert dict(figures["by_source"]) == dict(expected["by_source"])
    assert figures["days_to_close"] == expected["days_to_close"]
    # The local-date rule itself: 03:30 UTC on 10 March is 9 March in Tegucigalpa.
    late = db.session.scalar(select(Nonconformity).where(Nonconformity.code == "NC-2026-901"))
    assert late.days_to_close == 8


def test_chart_figures_match_the_records_on_sqlite(app_ctx):
    with audit.acting_as(user("calidad")):
        _load([make_process("CHA"), make_process("CHB")])
    _check()


@pytest.mark.postgres
def test_chart_figures_match_the_records_on_postgresql(pg_app):
    with pg_app.test_request_context(), audit.acting_as(user("calidad")):
        try:
            # NCs other PostgreSQL tests left behind are counted on both sides too.
            processes = [db.session.scalar(select(Process).where(Process.code == code))
                         or make_process(code) for code in ("CHPA", "CHPB")]
            _load(processes)
            _check()
        finally:
            db.session.rollback()
            db.session.remove()
