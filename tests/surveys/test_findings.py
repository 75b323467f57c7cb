"""A low score or the complaints of a wave become a nonconformity linked to the wave."""

from __future__ import annotations

from sqlalchemy import select

from qms.extensions import db
from qms.nonconformities.enums import NCSource
from qms.nonconformities.models import Nonconformity
from qms.processes.models import Process, ProcessCategory
from qms.processes.services import create_process
from qms.surveys import findings, results
from qms.surveys.models import Wave
from tests.conftest import post_form, user
from tests.surveys.conftest import csv_bytes, good_row, make_wave, run_import


def _wave_with_answers(app, tmp_path, rows: int) -> tuple[int, int]:
    """``rows`` responses: access to payment rated 2 by everyone, every third one complains."""
    wave_id = make_wave(app)
    data = [good_row(n, **{"quejas/presento_queja": "si" if n % 3 == 0 else "no"})
            for n in range(1, rows + 1)]
    path = tmp_path / "ronda.csv"
    path.write_bytes(csv_bytes(data))
    with app.app_context():
        run_import(db.session.get(Wave, wave_id), path)
        process = create_process(code="PAG", name="Entrega del bono",
                                 category=ProcessCategory.OPERATIONAL, owner=user("duenio"))
        db.session.commit()
        return wave_id, process.id


def test_findings_are_the_low_questions_and_the_complaints(app, tmp_path):
    wave_id, _ = _wave_with_answers(app, tmp_path, 12)
    with app.test_request_context():
        found = {f.key: f for f in findings.findings(
            results.wave_results(db.session.get(Wave, wave_id)))}
    # p4 (all 2s) and p3 (all 3s) are below 70 % satisfied; p1 (5) and p2 (4) are not.
    assert set(found) == {"low_score:p4_acceso_pago", "low_score:p3_puntualidad_pago",
                          "complaints"}
    assert found["low_score:p4_acceso_pago"].pct == 0.0
    assert "12 respuestas válidas" in found["low_score:p4_acceso_pago"].description
    assert round(found["complaints"].pct, 1) == 33.3


def test_suppressed_results_produce_no_findings(app, tmp_path):
    wave_id, _ = _wave_with_answers(app, tmp_path, 5)  # below the minimum group size (10)
    with app.test_request_context():
        assert findings.findings(results.wave_results(db.session.get(Wave, wave_id))) == []


def test_officer_raises_a_nonconformity_from_a_low_score(app, login_as, tmp_path):
    wave_id, process_id = _wave_with_answers(app, tmp_path, 12)
    client = login_as("calidad")
    page = client.get(f"/encuestas/rondas/{wave_id}").get_data(as_text=True)
    assert "Satisfacción baja en «Facilidad de acceso al punto de pago» a nivel nacional" in page
    response = post_form(client, f"/encuestas/rondas/{wave_id}/no-conformidad", {
        "finding": "low_score:p4_acceso_pago", "process_id": process_id, "severity": "major"},
        token_from=f"/encuestas/rondas/{wave_id}")
    assert response.status_code == 302 and "/no-conformidades/" in response.headers["Location"]
    with app.app_context():
        nc = db.session.scalar(select(Nonconformity))
        assert nc.source == NCSource.SATISFACTION_SURVEY
        assert (nc.origin_type, nc.origin_id) == (
            "survey_wave", f"{wave_id}/low_score:p4_acceso_pago@HN")
        assert db.session.get(Process, process_id) is nc.process
        assert "0,0\u00a0% de hogares satisfechos" in nc.description  # the locale's format
        code = nc.code
    page = client.get(f"/encuestas/rondas/{wave_id}").get_data(as_text=True)
    assert code in page  # the wave lists the NCs raised from it
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    origin = detail.split('class="nc-origin" href="', 1)[1]
    assert origin.startswith(f"/encuestas/rondas/{wave_id}\"") and "Ronda " in origin


def test_department_finding_records_the_department(app, login_as, tmp_path):
    wave_id, process_id = _wave_with_answers(app, tmp_path, 12)
    client = login_as("calidad")
    response = post_form(client, f"/encuestas/rondas/{wave_id}/no-conformidad", {
        "finding": "complaints", "department_code": "08", "process_id": process_id,
        "severity": "minor"}, token_from=f"/encuestas/rondas/{wave_id}?departamento=08")
    assert response.status_code == 302
    with app.app_context():
        nc = db.session.scalar(select(Nonconformity))
        assert nc.department_code == "08" and "Francisco Morazán" in nc.title


def test_a_finding_that_is_not_one_is_refused_and_nothing_is_created(app, login_as, tmp_path):
    wave_id, process_id = _wave_with_answers(app, tmp_path, 12)
    client = login_as("calidad")
    response = post_form(client, f"/encuestas/rondas/{wave_id}/no-conformidad", {
        "finding": "low_score:p1_trato", "process_id": process_id, "severity": "minor"},
        token_from=f"/encuestas/rondas/{wave_id}", follow_redirects=True)
    assert "ya no es un hallazgo" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Nonconformity)) is None


def test_readers_see_findings_but_cannot_raise(app, login_as, tmp_path):
    wave_id, process_id = _wave_with_answers(app, tmp_path, 12)
    client = login_as("certificador")
    page = client.get(f"/encuestas/rondas/{wave_id}").get_data(as_text=True)
    assert "Satisfacción baja" in page and "Levantar no conformidad" not in page


def test_a_finding_raised_twice_shows_the_existing_nc_and_needs_a_confirmation(
        app, login_as, tmp_path):
    wave_id, process_id = _wave_with_answers(app, tmp_path, 12)
    client = login_as("calidad")
    page_url = f"/encuestas/rondas/{wave_id}"
    form = {"finding": "low_score:p4_acceso_pago", "process_id": process_id,
            "severity": "major"}
    post_form(client, f"{page_url}/no-conformidad", form, token_from=page_url)
    with app.app_context():
        first = db.session.scalar(select(Nonconformity)).code
    page = client.get(page_url).get_data(as_text=True)
    item = page.split('data-finding="low_score:p4_acceso_pago"', 1)[1].split("</li>", 1)[0]
    assert "Ya levantada como" in item and first in item and "confirm_duplicate" in item
    other = page.split('data-finding="complaints"', 1)[1].split("</li>", 1)[0]
    assert "Ya levantada como" not in other and "confirm_duplicate" not in other

    again = post_form(client, f"{page_url}/no-conformidad", form, token_from=page_url,
                      follow_redirects=True)
    assert f"Ya se levantó la no conformidad {first}" in again.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Nonconformity)).all()) == 1

    post_form(client, f"{page_url}/no-conformidad", {**form, "confirm_duplicate": "y"},
              token_from=page_url)
    # the same finding for a department is another finding, not a duplicate
    post_form(client, f"{page_url}/no-conformidad", {**form, "department_code": "08"},
              token_from=f"{page_url}?departamento=08")
    with app.app_context():
        assert len(db.session.scalars(select(Nonconformity)).all()) == 3
