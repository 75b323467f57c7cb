"""Sessions that really end, and API tokens that expire and follow their user's role."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from qms.auth import services
from qms.auth.models import ApiToken, Role
from qms.core import audit
from qms.core.db import now_utc
from qms.extensions import db
from tests.conftest import PASSWORD, login, post_form, user


def _session_cookie(client) -> str:
    cookie = client.get_cookie("qms_session")
    assert cookie is not None
    return cookie.value


def _replay(app, cookie: str):
    """Another browser presenting a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("qms_session", cookie)
    return thief


def test_a_cookie_copied_before_logout_stops_working(app, client):
    login(client, "admin")
    stolen = _session_cookie(client)
    assert _replay(app, stolen).get("/admin/usuarios").status_code == 200
    post_form(client, "/logout", token_from="/inicio")
    response = _replay(app, stolen).get("/admin/usuarios")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_admins_password_reset_ends_the_users_open_sessions(app, client):
    login(client, "calidad")
    assert client.get("/inicio").status_code == 200
    with app.app_context():
        target = user("calidad")
        with audit.acting_as(user("admin")):
            services.update_user(target, expected_version=target.version,
                                 full_name=target.full_name, email=target.email,
                                 role=target.role, active=True, access_expires_on=None,
                                 new_password="otra-clave-segura-1")
        db.session.commit()
    response = client.get("/inicio")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_saving_a_user_without_changes_keeps_their_sessions(app, client):
    login(client, "calidad")
    with app.app_context():
        target = user("calidad")
        generation = target.session_generation
        with audit.acting_as(user("admin")):
            services.update_user(target, expected_version=target.version,
                                 full_name="Otro Nombre", email=target.email, role=target.role,
                                 active=True, access_expires_on=target.access_expires_on)
        db.session.commit()
        assert user("calidad").session_generation == generation
    assert client.get("/inicio").status_code == 200


def test_deactivation_and_role_change_end_sessions(app, client):
    login(client, "duenio")
    with app.app_context():
        target = user("duenio")
        with audit.acting_as(user("admin")):
            services.update_user(target, expected_version=target.version,
                                 full_name=target.full_name, email=target.email,
                                 role=Role.MANAGER, active=True, access_expires_on=None)
        db.session.commit()
    assert client.get("/inicio").status_code == 302


def _token(app, username: str, **fields) -> dict:
    with app.app_context():
        token, secret = services.issue_token(user(username), "pruebas")
        for key, value in fields.items():
            setattr(token, key, value)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_an_api_token_is_revoked_when_its_users_role_changes(app, client):
    headers = _token(app, "calidad")
    assert client.get("/api/v1/processes/", headers=headers).status_code == 200
    with app.app_context():
        target = user("calidad")
        with audit.acting_as(user("admin")):
            services.update_user(target, expected_version=target.version,
                                 full_name=target.full_name, email=target.email,
                                 role=Role.AUDITOR, active=True, access_expires_on=None)
        db.session.commit()
        assert db.session.scalar(select(ApiToken.revoked_at)) is not None
    assert client.get("/api/v1/processes/", headers=headers).status_code == 401


def test_api_tokens_expire_after_the_configured_days(app, client):
    with app.app_context():
        token, _ = services.issue_token(user("calidad"), "pruebas")
        lifetime = token.expires_at - now_utc()
        db.session.rollback()
    assert timedelta(days=89, hours=23) < lifetime <= timedelta(days=90)
    expired = _token(app, "calidad", expires_at=now_utc() - timedelta(seconds=1))
    assert client.get("/api/v1/processes/", headers=expired).status_code == 401
    legacy = _token(app, "calidad", expires_at=None,
                    created_at=now_utc() - timedelta(days=91))
    assert client.get("/api/v1/processes/", headers=legacy).status_code == 401


def test_reading_through_the_api_records_last_use_at_most_every_few_minutes(app, client):
    headers = _token(app, "calidad")
    assert client.get("/api/v1/processes/", headers=headers).status_code == 200
    with app.app_context():
        first = db.session.scalar(select(ApiToken.last_used_at))
    assert first is not None
    assert client.get("/api/v1/processes/", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) == first


def test_an_api_read_sends_no_write_to_the_database_in_its_transaction(app, client):
    from sqlalchemy import event

    headers = _token(app, "calidad")
    client.get("/api/v1/processes/", headers=headers)  # records last use once
    writes: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/api/v1/processes/", headers=headers).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert writes == []


def test_a_session_from_before_generations_is_refused(app, client):
    """Cookies naming only the user id (the old format) no longer load a user."""
    with app.app_context():
        assert services.load_session_user(str(user("admin").id)) is None
        assert services.load_session_user("99999999999999999999999.0") is None


def test_password_is_still_accepted_after_logout_and_login(client):
    assert login(client, "calidad").status_code == 302
    post_form(client, "/logout", token_from="/inicio")
    assert login(client, "calidad", PASSWORD).status_code == 302
    assert client.get("/inicio").status_code == 200


def test_authenticated_pages_and_exports_are_not_stored_by_caches(app, client):
    login(client, "calidad")
    for path in ("/inicio", "/no-conformidades/", "/no-conformidades/exportar.csv",
                 "/documentos/lista-maestra.xlsx"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    headers = _token(app, "calidad")
    assert client.get("/api/v1/processes/", headers=headers).headers["Cache-Control"] == "no-store"


def test_public_static_files_stay_cacheable(client):
    response = client.get("/static/css/app.css")
    assert "no-store" not in response.headers.get("Cache-Control", "")
