"""The browser import: the period checkbox, ambiguous columns, the job's final status."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from qms.core.audit import AuditEvent
from qms.extensions import db
from qms.surveys.models import Response
from tests.conftest import post_form
from tests.surveys.conftest import csv_bytes, good_row, make_wave
from tests.surveys.test_views import _suggested


def _upload(client, wave_id: int, data: bytes, name: str = "ronda.csv") -> tuple[str, str]:
    response = post_form(client, f"/encuestas/rondas/{wave_id}/importar",
                         {"file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    mapping_url = response.headers["Location"]
    return mapping_url, client.get(mapping_url).get_data(as_text=True)


def test_out_of_period_rows_are_refused_then_imported_with_the_checkbox(app, login_as):
    wave_id = make_wave(app)
    client = login_as("calidad")
    data = csv_bytes([good_row(1), good_row(2, _submission_time="2024-05-20T09:00:00")])
    mapping_url, html = _upload(client, wave_id, data)
    assert 'name="allow_outside_period"' in html
    page = client.get(post_form(client, mapping_url, _suggested(html)).headers["Location"])
    text = page.get_data(as_text=True)
    assert "Importación rechazada" in text and 'id="import-outside-period"' in text
    assert "fuera del periodo" in text
    mapping_url, html = _upload(client, wave_id, data)
    page = client.get(post_form(client, mapping_url, {**_suggested(html),
                                                      "allow_outside_period": "y"})
                      .headers["Location"]).get_data(as_text=True)
    assert "Importación terminada" in page and 'id="import-imported">2<' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 2
        note = json.loads(db.session.scalar(select(AuditEvent.note).where(
            AuditEvent.action == "import")))
        assert note["allow_outside_period"] is True and note["outside_period"] == 1


def test_repeats_are_reported_on_the_progress_page(app, login_as):
    wave_id = make_wave(app)
    client = login_as("calidad")
    rows = [good_row(1), good_row(1), good_row(2, _uuid=good_row(3)["_uuid"]),
            good_row(3)]
    mapping_url, html = _upload(client, wave_id, csv_bytes(rows))
    page = client.get(post_form(client, mapping_url, _suggested(html)).headers["Location"])
    text = page.get_data(as_text=True)
    assert "Importación rechazada" in text
    assert "fila 5" in text and "fila 4" in text  # both conflicting rows named


def test_the_finished_status_and_the_upload_removal_follow_the_commit(app, login_as):
    wave_id = make_wave(app)
    client = login_as("calidad")
    mapping_url, html = _upload(client, wave_id, csv_bytes([good_row(1), good_row(1)]))
    token = mapping_url.rsplit("/", 1)[1]
    status = client.get(post_form(client, mapping_url, _suggested(html)).headers["Location"]
                        .replace("/progreso", "/estado")).get_json()
    assert status["state"] == "done" and status["summary"]["folded"] == 1
    assert not (app.config["INSTANCE_DIR"] / "survey-imports" / token / "upload").exists()
