"""The NC API: create, list with filters, transitions (409 when not allowed), actions,
conflicts, and 2,000 concurrent creations with unique, gapless codes."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities.models import NCYearCounter, Nonconformity
from tests.conftest import PASSWORD
from tests.nonconformities.conftest import api_token, seed_process

API = "/api/v1/nonconformities"


def _body(process_id, **overrides):
    body = {"title": "Planilla enviada tarde al banco", "source": "internal_audit",
            "description": "La planilla salió 9 días tarde.", "process_id": process_id,
            "severity": "major", "detected_on": (today_local() - timedelta(days=5)).isoformat(),
            "department_code": "13", "municipality_code": "1301"}
    body.update(overrides)
    return body


def _create(client, headers, process_id, **overrides):
    response = client.post(f"{API}/", json=_body(process_id, **overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _move(client, headers, nc, target, **extra):
    return client.post(f"{API}/{nc['id']}/transitions", headers=headers,
                       json={"target": target, "version": nc["version"], **extra})


def test_create_read_and_validation(app, client):
    pid = seed_process(app)
    headers = api_token(app, "auditor")  # auditors report NCs
    nc = _create(client, headers, pid, origin_type="audit_finding", origin_id="AI-3",
                 origin_label="Auditoría interna, hallazgo 3")
    assert nc["code"] == f"NC-{today_local().year}-001" and nc["status"] == "reported"
    assert nc["last_result"] is None and nc["origin_type"] == "audit_finding"
    read = client.get(f"{API}/{nc['id']}", headers=headers).get_json()
    assert read["detected_by_id"] == nc["detected_by_id"] and read["process_code"] == "PAG"
    bad = client.post(f"{API}/", headers=headers, json=_body(pid, department_code="08"))
    assert bad.status_code == 422
    assert "no pertenece" in bad.get_json()["errors"]["json"]["municipality_code"][0]
    future = client.post(f"{API}/", headers=headers, json=_body(
        pid, detected_on=(today_local() + timedelta(days=2)).isoformat()))
    assert future.status_code == 422 and "detected_on" in future.get_json()["errors"]["json"]


def test_list_filters_sorting_and_pages(app, client):
    pid, other = seed_process(app), seed_process(app, "QUE", "duenio2")
    headers = api_token(app, "direccion")  # reads (a certifier reads only within a share)
    writer = api_token(app, "calidad")
    _create(client, writer, pid, severity="minor",
            detected_on=(today_local() - timedelta(days=40)).isoformat())
    _create(client, writer, other, source="citizen_complaint")
    _create(client, writer, pid, source="citizen_complaint")

    def codes(**query):
        response = client.get(f"{API}/", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["code"][-3:] for item in response.get_json()["items"]]

    assert codes() == ["003", "002", "001"]
    assert codes(sort="code") == ["001", "002", "003"]
    assert codes(process_id=other) == ["002"]
    assert codes(source="citizen_complaint", sort="code") == ["002", "003"]
    assert codes(severity="minor") == ["001"]
    assert codes(detected_to=(today_local() - timedelta(days=30)).isoformat()) == ["001"]
    assert codes(status="analysis") == [] and codes(overdue="true") == []
    page = client.get(f"{API}/", query_string={"per_page": 2, "page": 2}, headers=headers)
    assert page.get_json()["total"] == 3 and len(page.get_json()["items"]) == 1
    assert client.get(f"{API}/", query_string={"sort": "drop"}, headers=headers).status_code == 422
    denied = client.post(f"{API}/", json=_body(pid), headers=api_token(app, "certificador"))
    assert denied.status_code == 403


def test_full_workflow_through_the_api_with_its_guards(app, client):
    pid = seed_process(app)
    qo = api_token(app, "calidad")
    owner = api_token(app, "duenio")
    nc = _create(client, qo, pid)
    # an illegal move is a 409 with a message, and nothing changes
    illegal = _move(client, qo, nc, "closed", password=PASSWORD)
    assert illegal.status_code == 409 and "No se puede pasar" in illegal.get_json()["message"]
    early = _move(client, qo, nc, "analysis")
    assert early.status_code == 409 and "corrección" in early.get_json()["message"]
    nc = client.post(f"{API}/{nc['id']}/correction", headers=owner, json={
        "version": nc["version"], "correction": "Pago extraordinario gestionado."}).get_json()
    nc = _move(client, owner, nc, "analysis").get_json()
    assert nc["status"] == "analysis"
    no_cause = client.put(f"{API}/{nc['id']}/analysis", headers=owner, json={
        "version": nc["version"], "whys": ["Planilla tarde", "Datos tarde"], "root_cause": ""})
    nc = no_cause.get_json()
    missing = _move(client, owner, nc, "action_plan")
    assert missing.status_code == 422
    assert "causa raíz" in missing.get_json()["errors"]["json"]["root_cause"][0]
    nc = client.put(f"{API}/{nc['id']}/analysis", headers=owner, json={
        "version": nc["version"], "whys": ["Planilla tarde", "Datos tarde"],
        "ishikawa": {"method": ["Sin plazo interno"]},
        "root_cause": "Sin plazo interno de consolidación"}).get_json()
    nc = _move(client, owner, nc, "action_plan").get_json()
    early_due = client.post(f"{API}/{nc['id']}/actions", headers=owner, json={
        "version": nc["version"], "description": "Fijar plazo", "owner_id": nc["detected_by_id"],
        "due_on": (today_local() - timedelta(days=30)).isoformat()})
    assert early_due.status_code == 422 and "due_on" in early_due.get_json()["errors"]["json"]
    action = client.post(f"{API}/{nc['id']}/actions", headers=owner, json={
        "version": nc["version"], "description": "Fijar plazo", "owner_id": nc["detected_by_id"],
        "due_on": today_local().isoformat()})
    assert action.status_code == 201 and action.get_json()["label"] == "AC-1"
    nc = client.get(f"{API}/{nc['id']}", headers=owner).get_json()
    nc = _move(client, owner, nc, "implementation").get_json()
    open_actions = _move(client, owner, nc, "verification",
                         planned_on=today_local().isoformat(), verifier_id=nc["detected_by_id"])
    assert open_actions.status_code == 409 and "AC-1" in open_actions.get_json()["message"]
    act = action.get_json()
    act = client.patch(f"{API}/{nc['id']}/actions/{act['id']}", headers=qo, json={
        "version": act["version"], "status": "in_progress"}).get_json()
    done = client.patch(f"{API}/{nc['id']}/actions/{act['id']}", headers=qo, json={
        "version": act["version"], "status": "done", "evidence": "Circular 12/2026"})
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    nc = client.get(f"{API}/{nc['id']}", headers=owner).get_json()
    auditor = api_token(app, "auditor")
    with app.app_context():
        from tests.conftest import user

        auditor_id = user("auditor").id
    nc = _move(client, owner, nc, "verification", planned_on=today_local().isoformat(),
               verifier_id=auditor_id).get_json()
    assert nc["status"] == "verification"
    nc = client.post(f"{API}/{nc['id']}/verification-result", headers=auditor, json={
        "version": nc["version"], "result": "not_effective",
        "evidence": "El pago siguiente también salió tarde."}).get_json()
    assert (nc["status"], nc["last_result"], nc["analysis_round"]) == (
        "analysis", "not_effective", 2)
    assert len(nc["analyses"]) == 2 and nc["verifications"][0]["result"] == "not_effective"
    owner_close = _move(client, owner, nc, "closed", password=PASSWORD)
    assert owner_close.status_code == 403  # process owners do not sign the closing


def test_stale_version_is_a_409_conflict(app, client):
    pid = seed_process(app)
    first, second = api_token(app, "calidad"), api_token(app, "admin")
    nc = _create(client, first, pid)
    edit = {k: nc[k] for k in ("description", "source", "process_id", "severity", "detected_on")}
    ok = client.patch(f"{API}/{nc['id']}", headers=first,
                      json={**edit, "version": nc["version"], "title": "Primera"})
    assert ok.status_code == 200
    stale = client.patch(f"{API}/{nc['id']}", headers=second,
                         json={**edit, "version": nc["version"], "title": "Segunda"})
    assert stale.status_code == 409 and "Otra persona" in stale.get_json()["message"]
    assert client.get(f"{API}/{nc['id']}", headers=first).get_json()["title"] == "Primera"


def test_openapi_documents_the_nc_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/nonconformities/", "/api/v1/nonconformities/{nc_id}/transitions",
                 "/api/v1/nonconformities/{nc_id}/actions/{action_id}"):
        assert path in spec["paths"], path
    transition = spec["paths"]["/api/v1/nonconformities/{nc_id}/transitions"]["post"]
    assert "409" in transition["responses"]


def test_two_thousand_concurrent_api_creations_get_unique_gapless_codes(app):
    pid = seed_process(app)
    headers = api_token(app, "calidad")
    total, threads = 2000, 4
    start = threading.Barrier(threads)
    body = _body(pid)

    def worker(count: int) -> list[str]:
        client = app.test_client()
        start.wait()
        codes = []
        for _ in range(count):
            response = client.post(f"{API}/", json=body, headers=headers)
            assert response.status_code == 201, response.get_data(as_text=True)
            codes.append(response.get_json()["code"])
        return codes

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(worker, [total // threads] * threads))
    elapsed = time.perf_counter() - began
    codes = [code for chunk in results for code in chunk]
    year = today_local().year
    assert len(codes) == total
    assert all(code.startswith(f"NC-{year}-") for code in codes)
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert numbers == list(range(1, total + 1))  # unique and gapless
    assert all(len(chunk) == total // threads for chunk in results)
    with app.app_context():
        assert db.session.scalar(select(func.count(Nonconformity.id))) == total
        assert db.session.get(NCYearCounter, year).last_number == total
        count, problem = audit.verify_chain(db.session)
        assert problem is None and count >= total
    print(f"{total} API creations from {threads} threads in {elapsed:.1f} s")


def test_files_through_the_api(app, client):
    import io

    from tests.nonconformities.conftest import PNG

    pid = seed_process(app)
    qo, owner2 = api_token(app, "calidad"), api_token(app, "duenio2")
    nc = _create(client, qo, pid)
    bad = client.post(f"{API}/{nc['id']}/attachments", headers=qo,
                      data={"file": (io.BytesIO(b"#!/bin/sh\nrm -rf /"), "script.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "no permitido" in bad.get_json()["message"]
    ok = client.post(f"{API}/{nc['id']}/attachments", headers=qo,
                     data={"file": (io.BytesIO(PNG), "foto.png")},
                     content_type="multipart/form-data")
    assert ok.status_code == 201 and ok.get_json()["sha256"]
    attachment = ok.get_json()
    listed = client.get(f"{API}/{nc['id']}/attachments", headers=owner2).get_json()
    assert [a["id"] for a in listed] == [attachment["id"]]
    got = client.get(f"{API}/{nc['id']}/attachments/{attachment['id']}", headers=owner2)
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert client.get(f"{API}/{nc['id']}/attachments/{attachment['id']}").status_code == 401
    denied = client.post(f"{API}/{nc['id']}/attachments", headers=owner2,
                         data={"file": (io.BytesIO(PNG), "foto.png")},
                         content_type="multipart/form-data")
    assert denied.status_code == 403  # not their process, no action of theirs
