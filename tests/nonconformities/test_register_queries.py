"""The register's page costs a fixed number of queries whatever the register's size,
for every filter, sort and page (an export's, per batch of NCs: test_export.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, select

from qms.core import audit
from qms.core.db import bulk_insert
from qms.extensions import db
from qms.nonconformities import figures
from qms.nonconformities.models import CorrectiveAction, Nonconformity
from tests.conftest import user
from tests.nonconformities.conftest import make_process

URLS = ["/no-conformidades/", "/no-conformidades/?page=2", "/no-conformidades/?status=closed",
        "/no-conformidades/?open_only=1&sort=-detected_on", "/no-conformidades/?overdue=1",
        "/no-conformidades/?sort=process", "/no-conformidades/?sort=status&mine=1",
        "/no-conformidades/?q=caso"]


def _grow(app, first: int, count: int) -> None:
    """``count`` more NCs, half closed, each open one with two actions (one overdue)."""
    with app.test_request_context(), audit.acting_as(user("calidad")):
        process = make_process(f"Q{first}")
        someone = user("duenio").id
        ncs = [{"code": f"NC-2026-{n}", "year": 2026, "number": n, "version": 1,
                "title": f"Caso {n}", "description": "D", "source": "other",
                "process_id": process.id, "severity": "minor",
                "status": "closed" if n % 2 else "implementation",
                "detected_on": date(2026, 1, 5), "detected_by_id": someone,
                "analysis_round": 1, "closed_at": datetime(2026, 2, 1, tzinfo=UTC)
                if n % 2 else None, "closed_by_id": someone if n % 2 else None,
                "created_at": datetime(2026, 1, 5, tzinfo=UTC),
                "updated_at": datetime(2026, 1, 5, tzinfo=UTC)}
               for n in range(first, first + count)]
        bulk_insert(Nonconformity.__table__, ncs)
        ids = db.session.scalars(select(Nonconformity.id).where(
            Nonconformity.number >= first, Nonconformity.status == "implementation")).all()
        bulk_insert(CorrectiveAction.__table__, [
            {"nc_id": nc_id, "number": k, "round": 1, "version": 1, "description": "A",
             "owner_id": someone, "due_on": date.today() + timedelta(days=-3 if k == 1 else 30),
             "status": "planned", "created_at": datetime(2026, 1, 6, tzinfo=UTC)}
            for nc_id in ids for k in (1, 2)])
        figures.rebuild()  # rows written without the ORM: recount the maintained figures
        db.session.commit()


def _queries(app, client, url: str) -> int:
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_the_register_page_costs_the_same_queries_at_any_size(app, login_as):
    client = login_as("calidad")
    _grow(app, 1, 30)
    small = {url: _queries(app, client, url) for url in URLS}
    _grow(app, 100, 400)
    large = {url: _queries(app, client, url) for url in URLS}
    assert large == small
    assert max(large.values()) <= 12
