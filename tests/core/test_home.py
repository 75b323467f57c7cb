"""The home page and "Mis pendientes": every figure on a card is a link to a list that shows
exactly that many records; each role sees only the cards it can act on; the home's query
count does not grow with the number of documents; pending work is sorted overdue first."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

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
    client = login_as("duenio2")
    _documents_to_read(app, 1, 2)
    client.get("/inicio")
    with app.app_context(), count_queries() as few:
        html = client.get("/inicio").get_data(as_text=True)
    assert ("Pendientes de leer", "/documentos/por-leer", 2) in _figures(html)
    _documents_to_read(app, 3, 10)
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


@pytest.mark.postgres
def test_every_pending_provider_runs_on_postgresql(pg_app):
    from sqlalchemy import select

    from qms.core.pending import kinds, pending_for
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
        for username in ("duenio", "calidad", "direccion", "auditor"):
            for entry in kinds():
                entry.provider(user(username))  # each provider's SQL runs on PostgreSQL
        items = pending_for(user("duenio"))
        assert {"nc_action", "nc_process"} <= {i.kind for i in items}
        action = next(i for i in items if i.kind == "nc_action" and i.title.startswith("AC-1"))
        assert action.due_on == today_local() + timedelta(days=9)
