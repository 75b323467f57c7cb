"""The import, the aggregates' upserts and the webhook on a real PostgreSQL server."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from qms.core import audit
from qms.extensions import db
from qms.surveys import importer, results, services
from qms.surveys.demo import QUESTIONNAIRE
from qms.surveys.models import Response, WaveStatus
from tests.fixtures_postgres import pg_app_copy
from tests.surveys.conftest import SAMPLE, SAMPLE_WEBHOOK

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_wave(pg_server, pg_template, tmp_path):
    with pg_app_copy(pg_server, pg_template, tmp_path, "qms_surveys") as application, \
            application.app_context():
        with audit.acting_as(audit.SYSTEM):
            version = services.load_yaml(QUESTIONNAIRE.read_text(encoding="utf-8"), publish=True)
            wave = services.create_wave(version.survey, code="2024-1", name="Ronda",
                                        starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
            services.move_wave(wave, WaveStatus.OPEN)
            secret = services.rotate_webhook_secret(version.survey)
            db.session.commit()
        yield application, wave, secret


def test_import_dedupe_and_webhook_on_postgres(pg_wave):
    application, wave, secret = pg_wave
    with audit.acting_as(audit.SYSTEM):
        report = importer.run_import(wave, SAMPLE, file_name="kobo.csv")
        assert report.imported == 19
        again = importer.run_import(wave, SAMPLE, file_name="kobo.csv")
        assert again.imported == 0 and again.duplicates == 19
    stored = db.session.scalar(select(Response).where(
        Response.submission_uuid == "e4b435d5-7d44-4c7f-b7cd-b73e827124fa"))
    assert stored.answers["p1_trato"] == 5 and stored.submitted_at.tzinfo is not None
    data = results.wave_results(wave)
    assert data.responses == 19
    assert {r.question.code: r.summary.n for r in data.questions}["p1_trato"] == 19

    body = json.loads(SAMPLE_WEBHOOK.read_text(encoding="utf-8"))
    body["_uuid"] = body["meta/instanceID"] = body["meta/rootUuid"] = "webhook-only-1"
    client = application.test_client()
    headers = {"X-QMS-Secret": secret}
    assert client.post("/api/v1/surveys/SAT-BVM/kobo", json=body,
                       headers=headers).status_code == 201
    assert client.post("/api/v1/surveys/SAT-BVM/kobo", json=body,
                       headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Response.id))) == 20
    assert results.wave_results(wave).responses == 20


def test_comments_counted_and_paged_by_postgres_equal_the_read_ones(pg_wave, monkeypatch):
    from qms.core.settings import set_setting
    from qms.surveys import comments

    _application, wave, _secret = pg_wave
    with audit.acting_as(audit.SYSTEM):
        importer.run_import(wave, SAMPLE, file_name="kobo.csv")
        set_setting("surveys.min_group_size", 1)
        db.session.commit()
    monkeypatch.setattr(comments, "PAGE_SIZE", 3)

    def shape(found):
        return [(c.number, c.department_code, c.submitted_on, c.question.code, c.text)
                for c in found]

    read = shape(comments.iter_comments(wave)[3])
    assert read  # the sample has comments
    pages = [comments.comments(wave, page=p) for p in range(1, len(read) // 3 + 2)]
    assert [c for p in pages for c in shape(p.page)] == read
    assert {p.total for p in pages} == {len(read)}
