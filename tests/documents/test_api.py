"""Documents through /api/v1 (read-only) and in the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qms.auth.services import issue_token
from qms.core.time import today_local
from qms.extensions import db
from tests.conftest import user
from tests.documents.conftest import bring_into_force, make_document


@pytest.fixture
def headers(app):
    with app.app_context():
        _, secret = issue_token(user("direccion"), "pruebas")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def document_id(app):
    with app.test_request_context():
        document, revision = make_document(content="# Hola <script>x</script>")
        bring_into_force(revision, days_ago=20)
        db.session.commit()
        return document.id


def test_list_and_read(client, headers, document_id):
    listed = client.get("/api/v1/documents/", headers=headers).get_json()
    assert [d["code"] for d in listed] == ["PR-PAG-01"]
    assert listed[0]["status"] == "effective" and listed[0]["current_revision"] == 1
    detail = client.get(f"/api/v1/documents/{document_id}", headers=headers).get_json()
    assert detail["revisions"][0]["approved_by_username"] == "calidad"
    assert detail["revisions"][0]["approval_meaning"] == "aprobado"
    revision = client.get(f"/api/v1/documents/{document_id}/revisions/1", headers=headers)
    body = revision.get_json()
    assert body["content_md"].startswith("# Hola") and "<script>" not in body["content_html"]
    listed = client.get(f"/api/v1/documents/{document_id}/revisions/", headers=headers).get_json()
    assert [(r["number"], r["status"], r["has_file"]) for r in listed] == [(1, "effective", False)]
    assert client.get(f"/api/v1/documents/{document_id}/revisions/9",
                      headers=headers).status_code == 404
    assert client.get("/api/v1/documents/?status=obsolete", headers=headers).get_json() == []


def test_in_force_on_a_date(client, headers, document_id):
    day = (today_local() - timedelta(days=5)).isoformat()
    answer = client.get(f"/api/v1/documents/{document_id}/in-force?date={day}", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["number"] == 1
    before = (today_local() - timedelta(days=400)).isoformat()
    assert client.get(f"/api/v1/documents/{document_id}/in-force?date={before}",
                      headers=headers).status_code == 404
    assert client.get(f"/api/v1/documents/{document_id}/in-force?date=ayer",
                      headers=headers).status_code == 422


def test_needs_a_token(client, document_id):
    assert client.get("/api/v1/documents/").status_code == 401


def test_openapi_lists_the_read_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/documents/", "/api/v1/documents/{document_id}",
                 "/api/v1/documents/{document_id}/revisions/",
                 "/api/v1/documents/{document_id}/revisions/{number}",
                 "/api/v1/documents/{document_id}/in-force"):
        assert "get" in spec["paths"][path], path


def test_bad_filters_are_refused(client, headers, document_id):
    assert client.get("/api/v1/documents/?status=vigente", headers=headers).status_code == 422
    assert client.get("/api/v1/documents/?review=overdue", headers=headers).get_json() == []
