"""Objectives and KPI values through /api/v1."""

from __future__ import annotations

from tests.conftest import user


def test_openapi_lists_objectives_and_values(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/objectives/", "/api/v1/objectives/{objective_id}",
            "/api/v1/objectives/{objective_id}/values"} <= set(spec["paths"])
    assert {"ObjectiveCreate", "KPIValueCreate"} <= set(spec["components"]["schemas"])


def test_process_owner_records_a_value_and_bad_input_is_named(client, token, objective_id):
    owner = token("duenio")
    path = f"/api/v1/objectives/{objective_id}/values"
    response = client.post(path, json={"period": "2026-T2", "value": 97.25}, headers=owner)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["period_end"] == "2026-06-30"
    assert response.get_json()["source"] == "manual"
    for body, field, text in (({"period": "2026-T2", "value": 90}, "period", "ya tiene"),
                              ({"period": "2026-05", "value": 90}, "period", "frecuencia"),
                              ({"period": "2026-T3", "value": "mucho"}, "value", "número"),
                              ({"period": "2026-T3", "value": True}, "value", "número")):
        refused = client.post(path, json=body, headers=owner)
        assert refused.status_code == 422, body
        assert text in str(refused.get_json()) and field in str(refused.get_json()), body
    assert client.post(path, json={"period": "2026-T3", "value": 1},
                       headers=token("duenio2")).status_code == 403
    listed = client.get(path, headers=token("direccion")).get_json()
    assert [(v["period"], v["value"]) for v in listed] == [("2026-T2", 97.25)]


def test_quality_officer_creates_and_updates_with_version(app, client, token, objective_id):
    officer = token("calidad")
    with app.app_context():
        owner_id = user("duenio").id
    created = client.post("/api/v1/objectives/", headers=officer, json={
        "code": "OBJ-API-01", "name": "Quejas en plazo", "owner_id": owner_id, "unit": "%",
        "direction": ">=", "target": 90, "frequency": "monthly", "method": "computed",
        "computation": "complaints_answered_in_time", "computation_params": {"target_days": 7},
        "plan_what": "Respuesta en el portal"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["computation_params"] == {"target_days": 7}
    bad = client.post("/api/v1/objectives/", headers=officer, json={
        "code": "OBJ-API-02", "name": "X", "owner_id": owner_id, "unit": "%",
        "direction": ">=", "target": 90, "frequency": "monthly", "method": "computed",
        "computation": "complaints_answered_in_time", "computation_params": {"dias": 7}})
    assert bad.status_code == 422 and "dias" in str(bad.get_json())
    item = f"/api/v1/objectives/{body['id']}"
    update = {"version": body["version"], "name": "Quejas respondidas", "owner_id": owner_id,
              "unit": "%", "direction": ">=", "target": 95}
    patched = client.patch(item, json=update, headers=officer).get_json()
    assert patched["plan_what"] == "Respuesta en el portal"  # left out: kept
    assert (patched["method"], patched["computation"]) == ("computed",
                                                          "complaints_answered_in_time")
    assert (patched["target"], patched["name"], patched["active"]) == (95, "Quejas respondidas",
                                                                       True)
    stale = client.patch(item, json=update, headers=officer)
    assert stale.status_code == 409
    assert client.patch(item, json=update, headers=token("duenio")).status_code == 403
