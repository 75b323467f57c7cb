"""JSON bodies are taken at their types: ``"active": 0``, ``"process_id": "12"``,
``"version": true`` are refused with a 422 naming the field, never coerced."""

from __future__ import annotations

import pytest

from tests.nonconformities.conftest import api_token, seed_process


def _process(client, headers, pid):
    return client.get(f"/api/v1/processes/{pid}", headers=headers).get_json()


@pytest.mark.parametrize("field, value", [
    ("active", 0), ("active", 1), ("active", "false"), ("version", True), ("version", "1"),
    ("version", 1.0), ("owner_id", "3"),
])
def test_a_process_update_refuses_coerced_types(app, client, field, value):
    headers = api_token(app, "calidad")
    pid = seed_process(app)
    current = _process(client, headers, pid)
    body = {"version": current["version"], "name": current["name"],
            "category": current["category"], field: value}
    response = client.patch(f"/api/v1/processes/{pid}", headers=headers, json=body)
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]["json"]) == [field]
    assert _process(client, headers, pid)["version"] == current["version"]  # unchanged


def test_the_right_types_are_accepted(app, client):
    headers = api_token(app, "calidad")
    pid = seed_process(app)
    current = _process(client, headers, pid)
    response = client.patch(f"/api/v1/processes/{pid}", headers=headers, json={
        "version": current["version"], "name": current["name"],
        "category": current["category"], "active": False})
    assert response.status_code == 200 and response.get_json()["active"] is False


def test_an_nc_body_refuses_a_string_for_an_integer(app, client):
    from tests.nonconformities.test_api import _body

    pid = seed_process(app)
    response = client.post("/api/v1/nonconformities/", headers=api_token(app, "calidad"),
                           json=_body(str(pid)))
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert list(errors) == ["process_id"] and "Debe ser un número entero." in str(errors)


def test_query_strings_still_read_numbers_and_booleans(app, client):
    headers = api_token(app, "calidad")
    seed_process(app)
    assert client.get("/api/v1/processes/?include_inactive=true", headers=headers) \
        .status_code == 200
    assert client.get("/api/v1/nonconformities/?page=1&per_page=5", headers=headers) \
        .status_code == 200
