"""The home page and "Mis pendientes": every figure on a card is a link to a list that shows
exactly that many records; each role sees only the cards it can act on; the home's query
count does not grow with the number of documents; pending work is sorted overdue first."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from qms.auth.demo import demo_password
from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from tests.conftest import login, user

FIGURE = re.compile(r'<dt class="fw-normal text-muted">([^<]+)</dt><dd class="card-figure">'
                    r'(?:<a href="([^"]+)">)?([\d.,]+)')
COUNT = re.compile(r'class="[^"]*register-count[^"]*" data-count="(\d+)"')


def _figures(html: str) -> list[tuple[str, str | None, int]]:
    return [(label, url and url.replace("&amp;", "&"), int(value.replace(".", "").replace(",", "")))
            for label, url, value in FIGURE.findall(html)]


def _card_titles(html: str) -> set[str]:
    return set(re.findall(r'<h2 class="h5 card-title"><a href="[^"]+">([^<]+)</a></h2>', html))


DEMO_ROLES = ("admin", "calidad", "duenio", "direccion", "auditor", "certificador")


def test_every_figure_links_to_a_list_with_the_same_count(demo):
    checked = 0
    for username in DEMO_ROLES:
        client = demo.test_client()
        assert login(client, username, demo_password()).status_code == 302
        home = client.get("/inicio").get_data(as_text=True)
        for label, url, value in _figures(home):
            assert url, f"{username}: the figure «{label}» leads nowhere"
            listed = client.get(url)
            assert listed.status_code == 200, (username, label, url)
            found = COUNT.search(listed.get_data(as_text=True))
            assert found, f"{username}: {url} shows no count for «{label}»"
            assert int(found.group(1)) == value, (username, label, url, value, found.group(1))
            checked += 1
    assert checked >= 20
    # the demo has work for the process owner, so the check is not about zeros only
    client = demo.test_client()
    login(client, "duenio", demo_password())
    home = client.get("/inicio").get_data(as_text=True)
    assert any(value > 0 for _label, _url, value in _figures(home))


EXPECTED_CARDS = {
    "admin": {"Mis pendientes", "Procesos", "Documentos", "No conformidades",
              "Quejas ciudadanas", "Satisfacción de participantes", "Revisión por la dirección"},
    "calidad": {"Mis pendientes", "Procesos", "Documentos", "No conformidades",
                "Quejas ciudadanas", "Satisfacción de participantes", "Revisión por la dirección"},
    "duenio": {"Mis pendientes", "Procesos", "Documentos", "No conformidades"},
    "direccion": {"Mis pendientes", "Documentos", "No conformidades", "Revisión por la dirección"},
    "auditor": {"Mis pendientes", "No conformidades"},
    "certificador": set(),
}


@pytest.mark.parametrize("username", sorted(EXPECTED_CARDS))
def test_each_role_sees_only_the_cards_it_can_act_on(app, login_as, username):
    html = login_as(username).get("/inicio").get_data(as_text=True)
    assert _card_titles(html) == EXPECTED_CARDS[username]
    nav_has_pending = 'href="/pendientes"' in html
    assert nav_has_pending == (username != "certificador")


@contextmanager
def count_queries():
    seen: list[str] = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _documents_to_read(app, start: int, count: int) -> None:
    from qms.processes.models import Process
    from tests.documents.conftest import bring_into_force, make_document, make_process

    with app.test_request_context(), audit.acting_as(user("calidad")):
        process = db.session.query(Process).filter_by(code="LEC").first() or \
            make_process(code="LEC")
        for i in range(start, start + count):
            document, revision = make_document(code=f"PR-LEC-{i:02d}", process=process)
            bring_into_force(revision, days_ago=1)
        db.session.commit()


def test_the_home_query_count_does_not_grow_with_documents(app, login_as):
    from qms.core import summaries

    client = login_as("duenio2")
    _documents_to_read(app, 1, 2)
    client.get("/inicio")
    summaries.forget()  # both counts are of a home whose register figures are recomputed
    with app.app_context(), count_queries() as few:
        html = client.get("/inicio").get_data(as_text=True)
    assert ("Pendientes de leer", "/documentos/por-leer", 2) in _figures(html)
    _documents_to_read(app, 3, 10)
    summaries.forget()
    with app.app_context(), count_queries() as many:
        html = client.get("/inicio").get_data(as_text=True)
    assert ("Pendientes de leer", "/documentos/por-leer", 12) in _figures(html)
    assert len(many) == len(few), (len(few), len(many))


def test_pending_lists_overdue_first_and_links_each_record(app, login_as):
    from tests.nonconformities.conftest import make_nc, make_process, to_implementation

    with app.test_request_context(), audit.acting_as(user("calidad")):
        nc = make_nc(make_process(), detected_on=today_local() - timedelta(days=60))
        to_implementation(nc)
        from qms.nonconformities import services

        services.add_action(nc, expected_version=nc.version, description="Segunda acción",
                            owner=user("duenio"), due_on=today_local() + timedelta(days=2))
        nc.actions[0].due_on = today_local() - timedelta(days=3)  # overdue
        db.session.commit()
        nc_id = nc.id
    client = login_as("duenio")
    html = client.get("/pendientes").get_data(as_text=True)
    rows = re.findall(r'<li class="[^"]*pending-item[^"]*" data-kind="([a-z_]+)"'
                      r'( data-overdue="1")?', html)
    assert rows[0] == ("nc_action", ' data-overdue="1"')  # the overdue action comes first
    assert [kind for kind, _late in rows].count("nc_action") == 2
    # and the NC of the owner's process, due with its earliest open action
    assert ("nc_process", ' data-overdue="1"') in rows
    assert f'href="/no-conformidades/{nc_id}#accion-1"' in html
    only = client.get("/pendientes?vencidos=1").get_data(as_text=True)
    assert COUNT.search(only).group(1) == "2"  # the action, and its NC for the process owner
    home = client.get("/inicio").get_data(as_text=True)
    assert ("Vencidos", "/pendientes?vencidos=1", 2) in _figures(home)
    assert client.get("/pendientes?tipo=nc_action").status_code == 200


def test_the_certifier_has_no_pending_page(app, login_as):
    assert login_as("certificador").get("/pendientes").status_code == 403


def _counts_match_the_lists(usernames) -> int:
    """Every kind's counter agrees with its provider's list, for each user: the home's
    figures (counts) and the page's sections (items) never disagree."""
    from qms.core.pending import PendingWindow, counts_for, kinds

    today = today_local()
    checked = 0
    for username in usernames:
        counts = counts_for(user(username))
        for entry in kinds():
            items = entry.provider(user(username), PendingWindow(today))
            late = sum(1 for i in items if i.overdue(today))
            assert counts[entry.kind] == (len(items), late), (username, entry.kind)
            overdue = entry.provider(user(username), PendingWindow(today, overdue_only=True))
            assert len(overdue) == late and all(i.overdue(today) for i in overdue)
            checked += len(items)
    return checked


def test_every_counter_matches_its_provider(demo):
    with demo.test_request_context():
        assert _counts_match_the_lists(DEMO_ROLES[:-1] + ("duenia2",)) > 0


@pytest.mark.postgres
def test_every_pending_provider_runs_on_postgresql(pg_app):
    from sqlalchemy import select

    from qms.core.pending import pending_for
    from qms.nonconformities import services
    from qms.processes.models import Process
    from tests.nonconformities.conftest import make_nc, make_process, to_implementation

    with pg_app.test_request_context(), audit.acting_as(user("calidad")):
        process = db.session.scalar(select(Process).where(Process.code == "PENPG")) \
            or make_process("PENPG")
        nc = to_implementation(make_nc(process))
        services.replan_action(nc.actions[0], expected_version=nc.actions[0].version,
                               actor=user("calidad"), reason="Reprogramado",
                               due_on=today_local() + timedelta(days=9))
        db.session.commit()
        # each provider's and each counter's SQL runs on PostgreSQL, and they agree
        assert _counts_match_the_lists(("duenio", "calidad", "direccion", "auditor")) > 0
        items = pending_for(user("duenio"))
        assert {"nc_action", "nc_process"} <= {i.kind for i in items}
        # This NC's action: PostgreSQL's test database keeps other tests' actions of duenio.
        action = next(i for i in items if i.kind == "nc_action" and f"/{nc.id}#" in i.url)
        assert action.due_on == today_local() + timedelta(days=9)


DAYS = [date(2024, 1, 31), date(2024, 2, 29), date(2023, 3, 31), date(2024, 8, 31),
        date(2024, 12, 31), date(2025, 1, 15), date(2024, 5, 30)]


def _months_after_agrees(months_range) -> None:
    from sqlalchemy import literal, select

    from qms.core.time import months_after
    from qms.documents.services import add_months

    for day in DAYS:
        for months in months_range:
            found = db.session.scalar(select(months_after(literal(day), literal(months))))
            assert found == add_months(day, months), (day, months, found)


def test_months_after_in_sql_clamps_like_add_months(app_ctx):
    _months_after_agrees((1, 2, 3, 6, 11, 12, 13, 24, 60))


@pytest.mark.postgres
def test_months_after_on_postgresql(pg_app):
    with pg_app.app_context():
        _months_after_agrees((1, 6, 12, 13, 60))


def test_document_review_counts_match_the_master_list(app, login_as):
    """The card's and the panel's review figures (one aggregate) equal the master list's
    Python review states, including a document "reviewed, no changes" since."""
    from qms.documents import master_list
    from qms.documents.facts import document_review_counts
    from qms.documents.services import REVIEW_DUE_DAYS
    from tests.documents.conftest import bring_into_force, make_document, make_process

    with app.test_request_context(), audit.acting_as(user("calidad")):
        process = make_process("REV")
        for i, days_ago in enumerate((400, 350, 340, 20, 800)):
            document, revision = make_document(code=f"PR-REV-{i:02d}", process=process)
            bring_into_force(revision, days_ago=days_ago)
            if i == 4:  # long overdue by its revision, but reviewed a month ago
                document.last_reviewed_on = today_local() - timedelta(days=30)
        db.session.commit()
        counts = document_review_counts(today_local(), REVIEW_DUE_DAYS)
        rows = master_list.master_rows()
        overdue = sum(1 for r in rows if r.review_state == "overdue")
        due = sum(1 for r in rows if r.review_state in ("due", "overdue"))
        assert (counts.overdue, counts.due) == (overdue, due)
        assert overdue >= 1 and due > overdue


def test_late_complaint_thresholds_match_the_working_day_deadlines(app_ctx):
    """``received_at < threshold`` is late exactly when ``services.overdue`` says so, for
    complaints received on each day of three weeks, at the start and end of the day."""
    from datetime import datetime, time

    from qms.complaints import services
    from qms.complaints.pending import late_if_received_before
    from qms.core.time import local_zone

    today = date(2025, 6, 18)  # a Wednesday
    for working_days in (1, 3, 10):
        threshold = late_if_received_before(today, working_days)
        for back in range(0, 25):
            day = today - timedelta(days=back)
            for moment in (time(0, 0), time(23, 59)):
                received = datetime.combine(day, moment, tzinfo=local_zone())
                late = today > services.add_working_days(day, working_days)
                assert (received < threshold) == late, (working_days, day, moment)


def test_pending_pages_are_slices_of_the_whole_list(app, login_as):
    """Pages of "Mis pendientes" (each provider limited in SQL, then merged) are exactly
    consecutive slices of the unbounded sorted list; the count is the total."""
    from qms.core.pending import pending_for, pending_page
    from qms.nonconformities import services
    from tests.nonconformities.conftest import make_nc, make_process, to_implementation

    with app.test_request_context(), audit.acting_as(user("calidad")):
        process = make_process("PGN")
        for i in range(3):
            nc = to_implementation(make_nc(process, title=f"Paginada {i}"))
            for k in range(2):
                services.add_action(nc, expected_version=nc.version, description=f"A{k}",
                                    owner=user("duenio"),
                                    due_on=today_local() + timedelta(days=3 * k - i))
        db.session.commit()
    with app.test_request_context():
        everything = pending_for(user("duenio"))
        assert len(everything) >= 9
        seen = []
        pages = -(-len(everything) // 4)
        for number in range(1, pages + 1):
            page = pending_page(user("duenio"), page=number, per_page=4)
            assert (page.total, page.pages, page.has_next) == (len(everything), pages,
                                                               number < pages)
            seen += page.items
        assert seen == everything
        # a page past the end shows the last one
        assert pending_page(user("duenio"), page=99, per_page=4).page == pages
        late = pending_page(user("duenio"), overdue_only=True, per_page=100)
        assert late.items == [i for i in everything if i.overdue(today_local())]
    html = login_as("duenio").get("/pendientes?page=2").get_data(as_text=True)
    assert COUNT.search(html).group(1) == str(len(everything))
