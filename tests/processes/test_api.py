"""Processes through /api/v1 with personal tokens."""

import pytest

from qms.auth.services import issue_token, revoke_token
from qms.extensions import db
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process
from tests.conftest import login, user


@pytest.fixture
def token(app):
    def _token(username: str) -> dict:
        with app.app_context():
            _, secret = issue_token(user(username), "pruebas")
            db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return _token


@pytest.fixture
def process_id(app):
    with app.app_context():
        process = create_process(code="PAG", name="Entrega del bono",
                                 category=ProcessCategory.OPERATIONAL, owner=user("duenio"))
        db.session.commit()
        return process.id


def test_without_a_token_the_api_answers_401_json(client):
    response = client.get("/api/v1/processes/")
    assert response.status_code == 401 and response.is_json


def test_a_browser_session_is_not_accepted_by_the_api(client):
    login(client, "calidad")
    assert client.get("/api/v1/processes/").status_code == 401


def test_revoked_token_is_refused(app, client, token):
    headers = token("calidad")
    assert client.get("/api/v1/processes/", headers=headers).status_code == 200
    with app.app_context():
        from sqlalchemy import select

        from qms.auth.models import ApiToken

        revoke_token(db.session.scalar(select(ApiToken)))
        db.session.commit()
    assert client.get("/api/v1/processes/", headers=headers).status_code == 401


def test_create_read_list(client, token, app):
    headers = token("calidad")
    with app.app_context():
        owner_id = user("duenio").id
    response = client.post("/api/v1/processes/", headers=headers, json={
        "code": "SUP", "name": "Supervisión", "category": "support", "owner_id": owner_id})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["code"] == "SUP" and created["owner_username"] == "duenio"
    assert created["version"] == 1
    listed = client.get("/api/v1/processes/?q=superv", headers=headers).get_json()
    assert [p["code"] for p in listed] == ["SUP"]


def test_invalid_and_duplicate_input_names_the_field(client, token, app, process_id):
    headers = token("calidad")
    response = client.post("/api/v1/processes/", headers=headers, json={"code": "X"})
    assert response.status_code == 422
    assert {"name", "category", "owner_id"} <= set(response.get_json()["errors"]["json"])
    with app.app_context():
        owner_id = user("duenio").id
    response = client.post("/api/v1/processes/", headers=headers, json={
        "code": "PAG", "name": "Otra", "category": "support", "owner_id": owner_id})
    assert response.status_code == 422
    assert "PAG" in response.get_json()["errors"]["json"]["code"][0]


def test_patch_with_stale_version_is_409_and_changes_nothing(client, token, process_id):
    headers = token("calidad")
    body = {"version": 1, "name": "Pago", "category": "operational", "description": "x"}
    assert client.patch(f"/api/v1/processes/{process_id}", headers=headers, json=body).status_code == 200
    response = client.patch(f"/api/v1/processes/{process_id}", headers=headers,
                            json=dict(body, name="Otro"))
    assert response.status_code == 409
    assert client.get(f"/api/v1/processes/{process_id}", headers=headers).get_json()["name"] == "Pago"


def test_owner_cannot_reassign_through_the_api(client, token, process_id, app):
    with app.app_context():
        other = user("duenio2").id
    response = client.patch(f"/api/v1/processes/{process_id}", headers=token("duenio"), json={
        "version": 1, "name": "Pago", "category": "operational", "owner_id": other})
    assert response.status_code == 403


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/processes/", "/api/v1/processes/{process_id}"} <= set(spec["paths"])
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    assert "ProcessCreate" in spec["components"]["schemas"]
