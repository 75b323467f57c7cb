"""The complaints register at a programme's scale: 50 a page, charts and the overdue
filter counted in SQL, the same lateness as a complaint's own page, and a query count
that does not grow with the register."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from qms.complaints import codes, services
from qms.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from qms.core.db import bulk_insert
from qms.extensions import db


def _load(app, count: int, *, start: datetime | None = None, step_hours: int = 1) -> None:
    """``count`` complaints, one every ``step_hours`` back from ``start``, in every state."""
    start = start or datetime.now(UTC)
    statuses = list(ComplaintStatus)
    categories = list(ComplaintCategory)
    rows = []
    for i in range(count):
        status = statuses[i % len(statuses)]
        received = start - timedelta(hours=i * step_hours)
        answered = status in (ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED)
        rows.append({
            "tracking_code": codes.new_code(), "category": categories[i % len(categories)],
            "description": "No me llegó el pago del bono.", "department_code": "08",
            "municipality_code": None, "anonymous": True, "status": status,
            "received_at": received, "version": 1, "updated_at": received,
            "acknowledged_at": received + timedelta(hours=2)
            if status != ComplaintStatus.RECEIVED else None,
            "answered_at": received + timedelta(days=3) if answered else None,
            "public_answer": "Se revisó su caso." if answered else None})
    with app.app_context():
        bulk_insert(Complaint.__table__, rows)
        db.session.commit()


def _queries(app, client, url: str) -> tuple[int, str]:
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(seen), response.get_data(as_text=True)


def _codes(html: str) -> list[str]:
    return re.findall(r'href="/quejas/(\d+)"', html)


URLS = ["/quejas/", "/quejas/?page=2", "/quejas/?abiertas=1", "/quejas/?atrasadas=1",
        "/quejas/?tipo=payment&estado=received", "/quejas/?departamento=08&page=3"]


def test_the_register_shows_fifty_a_page_and_counts_every_complaint(app, login_as):
    _load(app, 130)
    client = login_as("calidad")
    _, first = _queries(app, client, "/quejas/")
    assert len(_codes(first)) == 50 and 'data-count="130"' in first
    assert "Página 1 de 3" in first
    _, last = _queries(app, client, "/quejas/?page=3")
    assert len(_codes(last)) == 30
    assert not set(_codes(first)) & set(_codes(last))
    # the charts count all 130 (four states: 33, 33, 32, 32; five types: 26 each), not
    # the page's 50
    assert "<title>Recibida: 33</title>" in first and "<title>Cerrada: 32</title>" in first
    assert "<title>Otro asunto: 26</title>" in first
    payments = client.get("/quejas/?tipo=payment").get_data(as_text=True)
    assert 'data-count="26"' in payments


def test_the_overdue_filter_and_badges_match_each_complaints_own_lateness(app, login_as):
    # one complaint every 7 hours over the last 30 days: every deadline case is there
    _load(app, 100, start=datetime.now(UTC), step_hours=7)
    with app.app_context():
        complaints = db.session.query(Complaint).all()
        cutoffs = services.late_cutoffs()
        for complaint in complaints:
            assert services.late_under(complaint, cutoffs) == services.overdue(complaint)
        late = {str(c.id) for c in complaints if services.overdue(c)}
        assert 0 < len(late) < 100
    client = login_as("calidad")
    shown = set()
    for page in (1, 2):
        html = client.get(f"/quejas/?atrasadas=1&page={page}").get_data(as_text=True)
        shown |= set(_codes(html))
    assert shown == late


def test_the_cutoffs_agree_with_the_deadlines_across_weekends(app_ctx):
    # received at every hour of 30 days before a Tuesday, a Saturday, a Monday: late
    # from the cutoffs exactly when late from the complaint's own deadlines
    for today in (date(2026, 12, 1), date(2026, 12, 5), date(2026, 12, 7), date(2027, 1, 4)):
        cutoffs = services.late_cutoffs(today)
        for hours_back in range(0, 30 * 24, 5):
            received = datetime(today.year, today.month, today.day, 23, tzinfo=UTC) \
                - timedelta(hours=hours_back)
            for status in (ComplaintStatus.RECEIVED, ComplaintStatus.UNDER_REVIEW):
                complaint = Complaint(received_at=received, status=status)
                assert services.late_under(complaint, cutoffs) \
                    == services.overdue(complaint, today=today), (today, received, status)


def test_the_register_costs_the_same_queries_at_any_size(app, login_as):
    _load(app, 3)
    client = login_as("calidad")
    small = {url: _queries(app, client, url)[0] for url in URLS}
    _load(app, 300, start=datetime.now(UTC) - timedelta(days=1))
    large = {url: _queries(app, client, url)[0] for url in URLS}
    assert large == small


@pytest.mark.postgres
def test_the_register_pages_and_overdue_filter_on_postgresql(pg_app):
    from tests.conftest import login

    start = datetime.now(UTC) - timedelta(hours=1)
    rows = []
    for i in range(60):
        received = start - timedelta(hours=7 * i)
        status = list(ComplaintStatus)[i % 4]
        answered = status in (ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED)
        rows.append({
            "tracking_code": codes.new_code(), "category": ComplaintCategory.PAYMENT,
            "description": "No me llegó el pago.", "department_code": "17",
            "anonymous": True, "status": status, "received_at": received, "version": 1,
            "updated_at": received, "public_answer": "Revisado." if answered else None,
            "answered_at": received + timedelta(days=1) if answered else None})
    with pg_app.app_context():
        bulk_insert(Complaint.__table__, rows)
        db.session.commit()
        mine = db.session.query(Complaint).filter_by(department_code="17").all()
        late = {str(c.id) for c in mine if services.overdue(c)}
        db.session.remove()
    client = pg_app.test_client()
    assert login(client, "calidad").status_code == 302
    first = client.get("/quejas/?departamento=17").get_data(as_text=True)
    assert 'data-count="60"' in first and len(_codes(first)) == 50
    assert "<title>Recibida: 15</title>" in first
    shown = set(_codes(client.get("/quejas/?departamento=17&atrasadas=1")
                       .get_data(as_text=True)))
    assert late and shown == late
