"""Every electronic signature and every login is rate-limited without locking owners out."""

from __future__ import annotations

from qms.core import audit
from qms.extensions import db
from qms.nonconformities.models import Nonconformity
from qms.processes.models import Process
from tests.conftest import PASSWORD, login, post_form, user
from tests.nonconformities.conftest import api_token, make_nc, make_process, verified

P = "/no-conformidades"
WRONG = "no-es-la-clave-1"


def _verified_nc(app) -> int:
    with app.test_request_context(), audit.acting_as(user("calidad")):
        process = db.session.query(Process).filter_by(code="PAG").first() or make_process()
        nc = make_nc(process)
        verified(nc)
        db.session.commit()
        return nc.id


def _status(app, nc_id) -> str:
    with app.app_context():
        return db.session.get(Nonconformity, nc_id).status.value


def _version(app, nc_id) -> int:
    with app.app_context():
        return db.session.get(Nonconformity, nc_id).version


def test_nc_closure_signature_on_the_web_stops_after_five_wrong_passwords(app, client):
    nc_id = _verified_nc(app)
    login(client, "calidad")
    for _ in range(5):
        wrong = post_form(client, f"{P}/{nc_id}/cerrar",
                          {"password": WRONG, "version": _version(app, nc_id)},
                          token_from=f"{P}/{nc_id}")
        assert "no se firmó" in wrong.get_data(as_text=True)
    right = post_form(client, f"{P}/{nc_id}/cerrar",
                      {"password": PASSWORD, "version": _version(app, nc_id)},
                      token_from=f"{P}/{nc_id}", follow_redirects=True)
    assert "Demasiadas firmas" in right.get_data(as_text=True)
    assert _status(app, nc_id) == "verification"


def test_nc_closure_signature_through_the_api_answers_429(app, client):
    nc_id = _verified_nc(app)
    headers = api_token(app, "calidad")
    url = f"/api/v1/nonconformities/{nc_id}/transitions"
    for _ in range(5):
        wrong = client.post(url, headers=headers, json={
            "target": "closed", "version": _version(app, nc_id), "password": WRONG})
        assert wrong.status_code == 422
    right = client.post(url, headers=headers, json={
        "target": "closed", "version": _version(app, nc_id), "password": PASSWORD})
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
    assert "Demasiadas firmas" in right.get_json()["message"]
    assert _status(app, nc_id) == "verification"


def test_the_signature_limit_is_shared_by_web_and_api(app, client):
    """One limiter: wrong passwords through the API spend the budget of the web form."""
    nc_id = _verified_nc(app)
    headers = api_token(app, "calidad")
    for _ in range(5):
        client.post(f"/api/v1/nonconformities/{nc_id}/transitions", headers=headers,
                    json={"target": "closed", "version": _version(app, nc_id),
                          "password": WRONG})
    login(client, "calidad")
    post_form(client, f"{P}/{nc_id}/cerrar", {"password": PASSWORD,
                                             "version": _version(app, nc_id)},
              token_from=f"{P}/{nc_id}")
    assert _status(app, nc_id) == "verification"


def test_guesses_from_other_addresses_do_not_lock_out_a_known_browser(app, client):
    assert login(client, "calidad").status_code == 302  # the owner's browser, known now
    post_form(client, "/logout", token_from="/inicio")
    for attacker in range(40):
        other = app.test_client()
        response = post_form(
            other, "/login", {"username": "calidad", "password": WRONG},
            environ_overrides={"REMOTE_ADDR": f"10.0.{attacker // 250}.{attacker % 250}"})
        assert response.status_code in (200, 429)
    # The attacker is slowed: a new address now meets the per-username limit …
    fresh = app.test_client()
    blocked = post_form(fresh, "/login", {"username": "calidad", "password": PASSWORD},
                        environ_overrides={"REMOTE_ADDR": "10.9.9.9"})
    assert blocked.status_code == 429
    text = blocked.get_data(as_text=True)
    assert "Demasiados intentos fallidos" in text and "avise al administrador" in text
    # … but the owner, from the browser they use, still gets in.
    assert login(client, "calidad").status_code == 302


def test_five_failures_from_one_address_still_stop_that_address(client):
    for _ in range(5):
        assert login(client, "calidad", WRONG).status_code == 200
    assert login(client, "calidad").status_code == 429
