"""KoboToolbox REST-service webhook: per-survey secret, idempotent on _uuid, aggregates."""

from __future__ import annotations

import base64
import copy
import json

import pytest
from sqlalchemy import func, select

from qms.extensions import db
from qms.surveys import results, services
from qms.surveys.models import Response, WaveStatus
from tests.surveys.conftest import SAMPLE_WEBHOOK

URL = "/api/v1/surveys/SAT-BVM/kobo"


@pytest.fixture
def secret(wave):
    value = services.rotate_webhook_secret(wave.survey)
    db.session.commit()
    return value


@pytest.fixture
def body():
    return json.loads(SAMPLE_WEBHOOK.read_text(encoding="utf-8"))


def _basic(secret: str) -> dict:
    token = base64.b64encode(f"kobo:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _responses() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def test_submission_is_stored_once_and_counted(client, wave, secret, body):
    first = client.post(URL, json=body, headers=_basic(secret))
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {"status": "created", "wave": "2024-1"}
    retry = client.post(URL, json=body, headers={"X-QMS-Secret": secret})
    assert retry.status_code == 200 and retry.get_json()["status"] == "duplicate"
    assert _responses() == 1
    stored = db.session.scalar(select(Response))
    assert stored.submission_uuid == "e4b435d5-7d44-4c7f-b7cd-b73e827124fa"
    assert stored.batch_id is None and stored.answers["p1_trato"] == 5
    assert stored.answers["servicios_usados"] == ["centro_salud", "escuela"]
    from qms.core.settings import set_setting

    set_setting("surveys.min_group_size", 1)
    data = results.wave_results(wave)
    assert data.responses == 1
    assert {r.question.code: r.summary.n for r in data.questions}["p5_satisfaccion_general"] == 1


@pytest.mark.parametrize("headers, status", [
    ({}, 401), ({"Authorization": "Basic bm90LWJhc2U2NA"}, 403),
    ({"Authorization": "Bearer qms_something"}, 403),
    ({"X-QMS-Secret": "wrong"}, 403), ({"Authorization": "Basic a29ibzp3cm9uZw=="}, 403),
])
def test_wrong_or_missing_secret_is_refused(client, wave, secret, body, headers, status):
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == status
    assert _responses() == 0


def test_survey_without_secret_refuses_everything(client, wave, body):
    assert client.post(URL, json=body, headers={"X-QMS-Secret": "x"}).status_code == 403
    assert client.post("/api/v1/surveys/NOPE/kobo", json=body,
                       headers={"X-QMS-Secret": "x"}).status_code == 403


def test_a_user_api_token_is_not_the_webhook_secret(client, wave, secret, body, app_ctx):
    from qms.auth.services import issue_token
    from tests.conftest import user

    _token, clear = issue_token(user("calidad"), "kobo")
    db.session.commit()
    response = client.post(URL, json=body, headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 403
    response = client.post(URL, json=body, headers={"X-QMS-Secret": clear})
    assert response.status_code == 403


def test_custom_wrapper_is_unwrapped(client, wave, secret, body):
    wrapped = {"fuente": "kobo", "registro": body}
    assert client.post(URL, json=wrapped, headers=_basic(secret)).status_code == 201
    assert _responses() == 1


def test_invalid_submission_is_refused_with_reasons(client, wave, secret, body):
    bad = copy.deepcopy(body)
    bad["satisfaccion/p1_trato"] = "7"
    bad["datos_generales/municipio"] = "0899"
    response = client.post(URL, json=bad, headers=_basic(secret))
    assert response.status_code == 422
    columns = {e["column"] for e in response.get_json()["errors"]}
    assert columns == {"satisfaccion/p1_trato", "datos_generales/municipio"}
    assert _responses() == 0


def test_not_json_is_a_bad_request(client, wave, secret):
    response = client.post(URL, data="<xml/>", headers={**_basic(secret),
                                                         "Content-Type": "application/xml"})
    assert response.status_code == 400


def test_no_open_wave_answers_conflict_so_kobo_retries(client, wave, secret, body):
    services.move_wave(wave, WaveStatus.CLOSED)
    db.session.commit()
    response = client.post(URL, json=body, headers=_basic(secret))
    assert response.status_code == 409
    assert _responses() == 0


def test_rotating_the_secret_revokes_the_old_one(client, wave, secret, body):
    services.rotate_webhook_secret(wave.survey)
    db.session.commit()
    assert client.post(URL, json=body, headers=_basic(secret)).status_code == 403


def test_an_edited_submission_is_the_same_submission(client, wave, secret, body):
    """Kobo gives an edit a new _uuid/instanceID but keeps meta/rootUuid."""
    assert client.post(URL, json=body, headers=_basic(secret)).status_code == 201
    edited = copy.deepcopy(body)
    edited["_uuid"] = "11111111-2222-4333-8444-555555555555"
    edited["meta/instanceID"] = "uuid:11111111-2222-4333-8444-555555555555"
    edited["meta/deprecatedID"] = body["meta/instanceID"]
    response = client.post(URL, json=edited, headers=_basic(secret))
    assert response.status_code == 200 and response.get_json()["status"] == "duplicate"
    assert _responses() == 1
    assert db.session.scalar(select(Response.submission_uuid)) == body["_uuid"]


def test_openapi_documents_the_webhook_with_its_own_auth(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/surveys/{code}/kobo"]["post"]
    assert operation["security"] == [{"basicAuth": []}]
    assert spec["components"]["securitySchemes"]["basicAuth"]["scheme"] == "basic"
