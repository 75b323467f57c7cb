"""People change their own password: current one required, argon2, audited, rate-limited."""

from __future__ import annotations

import pytest

from qms.auth import services
from qms.core import audit
from qms.core.errors import ValidationError
from qms.extensions import db
from tests.conftest import PASSWORD, login, post_form, user

NEW = "una-clave-nueva-larga"
URL = "/cuenta/contrasena"


def test_the_service_needs_the_current_password_and_a_valid_new_one(app_ctx):
    me = user("duenio")
    with pytest.raises(ValidationError) as err:
        services.change_own_password(me, "incorrecta", NEW)
    assert err.value.field == "current_password"
    for bad in ("corta", PASSWORD):
        with pytest.raises(ValidationError) as err:
            services.change_own_password(me, PASSWORD, bad)
        assert err.value.field == "new_password"
    generation = me.session_generation
    with audit.acting_as(me):
        services.change_own_password(me, PASSWORD, NEW)
    assert me.session_generation == generation + 1  # every open session of the account ends
    assert me.password_hash.startswith("$argon2id$")
    assert services.check_password(me, NEW) and not services.check_password(me, PASSWORD)
    event = audit.history(db.session, me)[-1]
    assert event.action == "password_change" and event.after["password_hash"] == "***"


def test_a_user_changes_their_password_and_logs_in_with_it(app, login_as, client):
    client = login_as("auditor")
    assert "Cambiar mi contraseña" in client.get("/cuenta").get_data(as_text=True)
    refused = post_form(client, URL, {"current_password": "mala", "new_password": NEW,
                                      "confirm": NEW}, token_from=URL)
    assert refused.status_code == 422
    assert "La contraseña actual no es correcta" in refused.get_data(as_text=True)
    mismatch = post_form(client, URL, {"current_password": PASSWORD, "new_password": NEW,
                                       "confirm": NEW + "x"}, token_from=URL)
    assert mismatch.status_code == 422 and "no coinciden" in mismatch.get_data(as_text=True)
    elsewhere = app.test_client()  # the same account open on another device
    assert login(elsewhere, "auditor", PASSWORD).status_code == 302
    done = post_form(client, URL, {"current_password": PASSWORD, "new_password": NEW,
                                   "confirm": NEW}, token_from=URL)
    assert done.status_code == 302
    assert client.get("/cuenta").status_code == 200  # this session continues
    assert "/login" in elsewhere.get("/cuenta").headers.get("Location", "")  # that one ended
    other = app.test_client()
    assert login(other, "auditor", PASSWORD).status_code != 302
    assert login(other, "auditor", NEW).status_code == 302


def test_wrong_current_passwords_are_rate_limited(login_as):
    client = login_as("direccion")
    statuses = [post_form(client, URL, {"current_password": "mala", "new_password": NEW,
                                        "confirm": NEW}, token_from=URL).status_code
                for _ in range(6)]
    assert statuses[:5] == [422] * 5 and statuses[5] == 429


def test_the_certifiers_home_shows_when_their_access_expires(app, login_as):
    with app.app_context():
        expires = user("certificador").access_expires_on
    page = login_as("certificador").get("/inicio").get_data(as_text=True)
    assert "Su acceso vence el" in page and str(expires.year) in page
