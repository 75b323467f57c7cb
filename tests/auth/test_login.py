"""Logging in and out, the rate limit, expired certifiers, cookies and headers."""

from datetime import timedelta

from qms.auth.services import authenticate
from qms.core.time import today_local
from qms.extensions import db
from tests.conftest import PASSWORD, csrf_token, login, post_form, user


def test_login_then_dashboard_then_logout(client):
    response = login(client, "calidad")
    assert response.status_code == 302 and response.headers["Location"] == "/inicio"
    assert "Usuario Calidad" in client.get("/inicio").get_data(as_text=True)
    response = post_form(client, "/logout", token_from="/inicio")
    assert response.status_code == 302
    assert client.get("/inicio").status_code == 302  # back to the login page


def test_login_is_recorded_as_the_users_own_event(app, client):
    from sqlalchemy import select

    from qms.core.audit import AuditEvent
    from qms.extensions import db

    login(client, "calidad")
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.actor_label, event.entity_type) == ("login", "calidad", "user")


def test_logout_is_a_post_only(client):
    login(client, "calidad")
    assert client.get("/logout").status_code == 405


def test_wrong_password_is_refused_with_a_message(client):
    response = login(client, "calidad", "no-es-la-clave")
    assert response.status_code == 200
    assert "Usuario o contraseña incorrectos" in response.get_data(as_text=True)


def test_login_is_rate_limited_after_five_failures(client):
    for _ in range(5):
        assert login(client, "calidad", "mala-clave-123").status_code == 200
    response = login(client, "calidad", "mala-clave-123")
    assert response.status_code == 429
    assert "Demasiados intentos" in response.get_data(as_text=True)
    assert login(client, "calidad").status_code == 429  # even the right password waits


def test_successful_logins_do_not_count_against_the_limit(client):
    for _ in range(7):
        assert login(client, "calidad").status_code == 302
        post_form(client, "/logout", token_from="/inicio")


def test_form_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "calidad", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_open_redirect_after_login_is_ignored(client):
    token = csrf_token(client)
    response = client.post("/login", data={"username": "calidad", "password": PASSWORD,
                                           "next": "//evil.example/x", "csrf_token": token})
    assert response.headers["Location"] == "/inicio"


def test_expired_certifier_cannot_log_in_and_is_logged_out(app, client):
    assert login(client, "certificador").status_code == 302
    with app.app_context():
        certifier = user("certificador")
        certifier.access_expires_on = today_local() - timedelta(days=1)
        db.session.commit()
    assert client.get("/inicio").status_code == 302  # the session no longer counts
    assert login(client, "certificador").status_code == 200


def test_inactive_user_cannot_log_in(app, client):
    with app.app_context():
        user("auditor").active = False
        db.session.commit()
    assert login(client, "auditor").status_code == 200


def test_passwords_are_argon2id_and_timing_is_equalised_for_unknown_users(app_ctx):
    assert user("calidad").password_hash.startswith("$argon2id$")
    assert authenticate("nadie", "x") is None


def test_session_cookie_is_hardened(client):
    response = login(client, "calidad")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "qms_session=" in c)
    assert "qms_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_error_pages_are_in_spanish(client):
    response = client.get("/no-existe")
    assert response.status_code == 404
    assert "Página no encontrada" in response.get_data(as_text=True)
    login(client, "auditor")
    response = client.get("/admin/usuarios")
    assert response.status_code == 403 and "Acceso denegado" in response.get_data(as_text=True)


def test_concurrent_logins_of_one_account_never_fail_on_bookkeeping(app_ctx):
    """Two logins of one account at once: the second still holds the row as it was before
    the first committed. Writing last_login_at under the version check failed the second
    login with StaleDataError (a 500); it is bookkeeping and is written without it."""
    from sqlalchemy import select, update

    from qms.auth.models import User
    from qms.core.audit import AuditEvent

    stale = user("calidad")  # this request's copy, loaded before the other login committed
    version = stale.version
    # the other login (or an admin edit) writes the row first, behind this copy's back
    db.session.execute(update(User).where(User.id == stale.id).values(version=User.version + 1)
                       .execution_options(synchronize_session=False))
    assert authenticate("calidad", PASSWORD) is stale
    db.session.commit()
    db.session.expire_all()
    fresh = db.session.get(User, stale.id)
    assert fresh.last_login_at is not None
    assert fresh.version == version + 1  # the login itself did not bump the version
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.entity_type) == ("login", "user")


def test_a_login_that_rehashes_the_password_keeps_the_accounts_sessions(app):
    """New hashing parameters (``QMS_ARGON2_*``) re-hash each password at its next login.
    Written through the ORM, the new hash counted as a password change: it ended every
    other session of the account and, under the version check, failed the concurrent
    logins of that account (StaleDataError). It is bookkeeping, as last_login_at is."""
    from argon2 import extract_parameters
    from sqlalchemy import update

    from qms.auth.models import User

    first, second = app.test_client(), app.test_client()
    assert login(first, "calidad").status_code == 302
    cheap = app.config["ARGON2_PARAMS"]
    app.config["ARGON2_PARAMS"] = {**cheap, "time_cost": cheap["time_cost"] + 1}
    try:
        with app.app_context():
            before = user("calidad")
            old_hash, version, generation = (before.password_hash, before.version,
                                             before.session_generation)
        assert login(second, "calidad").status_code == 302
        assert first.get("/inicio").status_code == 200  # the other session still counts
        with app.app_context():
            after = user("calidad")
            assert after.password_hash != old_hash
            assert extract_parameters(after.password_hash).time_cost == cheap["time_cost"] + 1
            assert (after.version, after.session_generation) == (version, generation)
            # a login still holding the old row (another one re-hashed first) succeeds too
            stale = user("calidad")
            db.session.execute(update(User).where(User.id == stale.id)
                               .values(password_hash=old_hash, version=User.version + 1)
                               .execution_options(synchronize_session=False))
            assert authenticate("calidad", PASSWORD) is stale
            db.session.commit()
    finally:
        app.config["ARGON2_PARAMS"] = cheap
    assert login(app.test_client(), "calidad").status_code == 302  # back to the test params
    assert second.get("/inicio").status_code == 200
