"""No 500 under concurrency: writers queue, twins are saved once, racing updates get 409,
a lock held too long answers 503 with Retry-After."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from qms.core import db as core_db
from qms.extensions import db
from qms.processes.models import Process
from tests.conftest import CSRF_RE, login, user


def _logged_in_clients(application, username: str, count: int):
    """``count`` browsers sharing one session (two tabs, a double click)."""
    first = application.test_client()
    assert login(first, username).status_code == 302
    token = CSRF_RE.search(first.get("/procesos/nuevo").get_data(as_text=True)).group(1)
    cookie = first.get_cookie("qms_session").value
    clients = [first]
    for _ in range(count - 1):
        other = application.test_client()
        other.set_cookie("qms_session", cookie)
        clients.append(other)
    return clients, token


def _owner_id(application) -> int:
    with application.app_context():
        return user("duenio").id


def _process_form(token: str, owner_id: int, code: str) -> dict:
    return {"csrf_token": token, "code": code, "name": "Entrega del bono",
            "category": "operational", "owner_id": str(owner_id), "description": "x"}


def _in_parallel(calls):
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _count(application, code_prefix: str) -> int:
    with application.app_context():
        return db.session.scalar(select(func.count(Process.id))
                                 .where(Process.code.like(f"{code_prefix}%")))


def _nc_form(application, token: str, title: str) -> dict:
    from qms.core import audit
    from qms.core.time import today_local
    from tests.nonconformities.conftest import make_process

    with application.app_context(), audit.acting_as(audit.SYSTEM):
        found = db.session.scalar(select(Process).where(Process.code == "NCX"))
        process_id = (found or make_process("NCX")).id
        detector = user("calidad").id
        db.session.commit()
    return {"csrf_token": token, "title": title, "description": "Pago duplicado.",
            "source": "process_monitoring", "process_id": str(process_id),
            "severity": "minor", "detected_on": today_local().isoformat(),
            "detected_by_id": str(detector)}


def _ncs(application, title: str) -> int:
    from qms.nonconformities.models import Nonconformity

    with application.app_context():
        return db.session.scalar(select(func.count(Nonconformity.id))
                                 .where(Nonconformity.title == title))


def _twins(application, title: str):
    """A form sent twice at the same moment (double click, two tabs)."""
    clients, token = _logged_in_clients(application, "calidad", 2)
    form = _nc_form(application, token, title)
    return _in_parallel([lambda c=c: c.post("/no-conformidades/nueva", data=form)
                         for c in clients])


def _one_saved_one_told(responses) -> None:
    """One twin is saved (redirect to the new NC), the other is shown the form again or
    sent back, with the message: never a 500."""
    assert all(r.status_code < 500 for r in responses)
    saved = [r for r in responses if r.status_code == 302
             and "/nueva" not in r.headers["Location"]]
    assert len(saved) >= 1
    others = [r for r in responses if r not in saved]
    for response in others:
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert "ya se envió" in response.get_data(as_text=True)


def test_two_identical_submissions_at_once_save_one_record(app):
    responses = _twins(app, "Gemelas en SQLite")
    _one_saved_one_told(responses)
    assert _ncs(app, "Gemelas en SQLite") == 1


def test_the_repeat_is_told_what_happened(app):
    clients, token = _logged_in_clients(app, "calidad", 1)
    client = clients[0]
    form = _nc_form(app, token, "Enviada dos veces")
    assert client.post("/no-conformidades/nueva", data=form).status_code == 302
    again = client.post("/no-conformidades/nueva", data=form,
                        headers={"Referer": "http://localhost/no-conformidades/nueva"},
                        follow_redirects=True)
    assert "ya se envió" in again.get_data(as_text=True)
    assert _ncs(app, "Enviada dos veces") == 1


def test_a_refused_submission_can_be_sent_again(app):
    clients, token = _logged_in_clients(app, "calidad", 1)
    client = clients[0]
    owner = _owner_id(app)
    form = _process_form(token, owner, "AGAIN")
    with app.app_context():
        from qms.core import audit
        from qms.processes.models import ProcessCategory
        from qms.processes.services import create_process

        with audit.acting_as(audit.SYSTEM):
            blocker = create_process(code="AGAIN", name="Ya existe",
                                     category=ProcessCategory.SUPPORT, owner=user("duenio"))
            db.session.commit()
        blocker_id = blocker.id
    assert client.post("/procesos/nuevo", data=form).status_code == 200  # duplicate code
    with app.app_context():
        db.session.delete(db.session.get(Process, blocker_id))
        db.session.commit()
    assert client.post("/procesos/nuevo", data=form).status_code == 302


def test_sixteen_parallel_web_writes_all_succeed(app):
    clients, token = _logged_in_clients(app, "calidad", 16)
    owner = _owner_id(app)
    responses = _in_parallel([
        lambda c=c, i=i: c.post("/procesos/nuevo", data=_process_form(token, owner, f"PAR{i:02d}"))
        for i, c in enumerate(clients)])
    assert [r.status_code for r in responses] == [302] * 16
    assert _count(app, "PAR") == 16


def _api_headers(application, username: str) -> dict:
    from qms.auth.services import issue_token

    with application.app_context():
        _, secret = issue_token(user(username), "pruebas")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _racing_updates(application, code: str):
    headers = _api_headers(application, "calidad")
    client = application.test_client()
    created = client.post("/api/v1/processes/", headers=headers, json={
        "code": code, "name": "Proceso", "category": "support",
        "owner_id": _owner_id(application)})
    assert created.status_code == 201, created.get_json()
    process = created.get_json()

    def patch(i):
        return application.test_client().patch(
            f"/api/v1/processes/{process['id']}", headers=headers,
            json={"version": process["version"], "name": f"Nombre {i}",
                  "category": "support"})

    return _in_parallel([lambda i=i: patch(i) for i in range(8)])


def test_parallel_updates_of_one_record_answer_409_never_500(app):
    statuses = sorted(r.status_code for r in _racing_updates(app, "RACE"))
    assert statuses == [200] + [409] * 7


def test_a_lock_held_past_the_timeout_answers_503_with_retry_after(app, monkeypatch):
    monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    with app.app_context():
        db.engine.dispose()  # new connections take the short timeout
    clients, token = _logged_in_clients(app, "calidad", 1)
    holder = sqlite3.connect(app.config["TEST_DB_FILE"], isolation_level=None, timeout=1)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = clients[0].post("/procesos/nuevo",
                                   data=_process_form(token, _owner_id(app), "LOCK"))
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "Sistema ocupado" in response.get_data(as_text=True)
    assert _count(app, "LOCK") == 0
    with app.app_context():
        db.engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_twins_are_saved_once_and_racing_updates_get_409(pg_app):
    responses = _twins(pg_app, "Gemelas en PostgreSQL")
    _one_saved_one_told(responses)
    assert _ncs(pg_app, "Gemelas en PostgreSQL") == 1
    statuses = sorted(r.status_code for r in _racing_updates(pg_app, "PGRACE"))
    assert statuses[0] == 200 and set(statuses[1:]) == {409}
