"""The fixed cost of a request, cut without changing what a request does: the kept
navigation bar, the limiter only where a limit applies, CSRF tokens and session cookies
that Flask-WTF and Flask read as their own, one catalogue per render, the locale parsed
once (bench/bench_request_path.py measures the cost)."""

from __future__ import annotations

import re
from pathlib import Path

from babel import Locale
from flask import render_template_string, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import force_locale, get_locale
from flask_wtf.csrf import generate_csrf, validate_csrf

from qms.core import navigation
from qms.core.security import csrf_token
from tests.conftest import login, post_form

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _nav(html: str) -> str:
    start = html.split('<ul class="navbar-nav me-auto">', 1)[1]
    return start.split('<ul class="navbar-nav align-items-xl-center">', 1)[0]


def test_the_kept_bar_asks_about_every_action_the_template_shows():
    source = (TEMPLATES / "_nav_items.html").read_text()
    assert tuple(re.findall(r'can\("([a-z_.]+)"\)', source)) == navigation.NAV_ACTIONS


def test_each_visitor_gets_the_bar_of_their_own_permissions_and_language(app):
    officer, certifier = app.test_client(), app.test_client()
    login(officer, "calidad")
    login(certifier, "certificador")
    for _ in range(2):  # the second time from the kept bars
        officer_bar = _nav(officer.get("/cuenta").get_data(as_text=True))
        certifier_bar = _nav(certifier.get("/cuenta").get_data(as_text=True))
        assert "Mis pendientes" in officer_bar and "Pista de auditoría" in officer_bar
        assert "Mis pendientes" not in certifier_bar
    with app.test_request_context("/cuenta"):
        from flask_login import login_user

        from tests.conftest import user

        login_user(user("calidad"))
        fresh = render_template_string('{% include "_nav_items.html" %}')
    assert fresh.strip() in officer_bar  # exactly what the template renders
    post_form(officer, "/idioma", {"lang": "en", "next": "/cuenta"}, token_from="/cuenta")
    english = _nav(officer.get("/cuenta").get_data(as_text=True))
    assert "My pending work" in english
    assert "Mis pendientes" not in english


def test_the_limiter_is_consulted_on_the_post_only(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert not any(name.startswith("X-RateLimit") for name, _value in page.headers.items())
    refused = post_form(client, "/login", {"username": "calidad", "password": "mala"})
    assert refused.status_code == 200 and "X-RateLimit-Limit" in refused.headers


def test_a_limit_on_post_only_is_not_evaluated_for_the_get(login_as):
    client = login_as("calidad")
    form = client.get("/cuenta/contrasena")
    assert form.status_code == 200 and "X-RateLimit-Limit" not in form.headers
    refused = post_form(client, "/cuenta/contrasena", {
        "current_password": "mala", "new_password": "otra-clave-segura-1",
        "confirm": "otra-clave-segura-1"})
    assert refused.status_code == 422 and "X-RateLimit-Limit" in refused.headers


def test_the_csrf_token_is_flask_wtfs_own(app):
    with app.test_request_context("/login"):
        token = csrf_token()
        validate_csrf(token)  # raises if Flask-WTF would refuse it
        assert generate_csrf() == token  # a form built afterwards carries the same
        assert csrf_token() == token
    with app.test_request_context("/login"):
        theirs = generate_csrf()  # a form built first: its token is the page's
        assert csrf_token() == theirs
        raw = session["csrf_token"]
        assert len(raw) == 40
    with app.test_request_context("/login"):
        session["csrf_token"] = raw  # the same visitor's next page: the same secret
        validate_csrf(csrf_token())


def test_session_cookies_are_read_and_written_as_flask_does(app):
    stock = SecureCookieSessionInterface().get_signing_serializer(app)
    ours = app.session_interface.get_signing_serializer(app)
    assert ours is app.session_interface.get_signing_serializer(app)  # kept
    assert ours.loads(stock.dumps({"lang": "en"})) == {"lang": "en"}
    assert stock.loads(ours.dumps({"lang": "es"})) == {"lang": "es"}
    client = app.test_client()
    client.set_cookie("qms_session", stock.dumps({"lang": "en"}))
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_a_rotated_secret_key_still_reads_the_old_cookies(app):
    old = app.session_interface.get_signing_serializer(app).dumps({"lang": "en"})
    previous = app.secret_key
    app.config.update(SECRET_KEY="a-new-key-after-rotation", SECRET_KEY_FALLBACKS=[previous])
    try:
        client = app.test_client()
        client.set_cookie("qms_session", old)
        assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    finally:
        app.config.update(SECRET_KEY=previous, SECRET_KEY_FALLBACKS=[])


def test_templates_translate_with_the_renders_catalogue_and_a_forced_locale(app):
    with app.test_request_context("/login"):
        assert isinstance(get_locale(), Locale) and str(get_locale()) == "es"
        source = "{{ _('Contraseña') }}|{% trans %}Cerrar sesión{% endtrans %}|" \
                 "{{ _('%(n)s%%', n=5) }}"
        assert render_template_string(source) == "Contraseña|Cerrar sesión|5%"
        with force_locale("en"):
            assert render_template_string(source) == "Password|Log out|5%"
        assert render_template_string(source).startswith("Contraseña")


def test_sqlite_connections_are_not_pinged_before_each_request(app):
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
