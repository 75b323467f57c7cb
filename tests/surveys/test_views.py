"""The survey pages as people use them: define, publish, waves, import, results, exports."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from qms.core.settings import get_setting, set_setting
from qms.extensions import db
from qms.surveys.models import (
    ColumnMapping,
    Question,
    Response,
    SurveyVersion,
    VersionStatus,
    Wave,
    WaveStatus,
)
from tests.conftest import post_form
from tests.surveys.conftest import SAMPLE, csv_bytes, good_row, make_wave, run_import


def test_define_a_survey_in_the_ui_and_publish_it(app, login_as):
    client = login_as("calidad")
    response = post_form(client, "/encuestas/nueva", {"code": "clima-1", "title": "Clima"})
    assert response.status_code == 302
    survey_url = response.headers["Location"]
    question = {"code": "p1", "text": "¿Le atendieron con respeto?", "type": "likert5",
                "required": "y", "in_index": "y"}
    sid = survey_url.rstrip("/").rsplit("/", 1)[1]
    assert post_form(client, f"/encuestas/{sid}/preguntas/nueva", question).status_code == 302
    bad = post_form(client, f"/encuestas/{sid}/preguntas/nueva",
                    {**question, "code": "p2", "type": "yes_no"})
    assert "Solo las preguntas Likert" in bad.get_data(as_text=True)
    post_form(client, f"/encuestas/{sid}/publicar", token_from=survey_url)
    page = client.get(survey_url).get_data(as_text=True)
    assert "Publicada" in page and "¿Le atendieron con respeto?" in page
    # A published version is never edited in place.
    with app.app_context():
        qid = db.session.scalar(select(Question.id).where(Question.code == "p1"))
    refused = post_form(client, f"/encuestas/preguntas/{qid}/editar",
                        {**question, "text": "Otro texto"}, token_from=survey_url)
    assert "no se modifica" in refused.get_data(as_text=True)
    assert client.get(f"/encuestas/preguntas/{qid}/editar").status_code == 302
    # A new version copies the questions into a draft that can change.
    post_form(client, f"/encuestas/{sid}/nueva-version", token_from=survey_url)
    with app.app_context():
        assert db.session.get(Question, qid).text == "¿Le atendieron con respeto?"
        draft = db.session.scalar(select(SurveyVersion).where(
            SurveyVersion.status == VersionStatus.DRAFT))
        assert draft.number == 2 and [q.code for q in draft.questions] == ["p1"]


def test_yaml_upload_creates_a_draft(app, login_as):
    client = login_as("calidad")
    yaml_text = ("code: CLIMA\ntitle: Clima laboral\nquestions:\n"
                 "  - {code: p1, text: Ambiente, type: likert5, index: true}\n"
                 "  - {code: q1, text: \"¿Presentó una queja?\", type: yes_no, complaint: true}\n")
    response = post_form(client, "/encuestas/cargar",
                         {"file": (io.BytesIO(yaml_text.encode()), "q.yaml")},
                         token_from="/encuestas/", content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        version = db.session.scalar(select(SurveyVersion))
        assert version.status == VersionStatus.DRAFT and len(version.questions) == 2


def test_wave_targets_and_status(app, login_as):
    wave_id = make_wave(app)
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        survey_id = wave.survey_id
    client = login_as("calidad")
    response = post_form(client, f"/encuestas/{survey_id}/rondas/nueva", {
        "code": "2025-1", "name": "Ronda 2025", "starts_on": "2025-03-01",
        "ends_on": "2025-02-01"})
    assert "no puede ser anterior" in response.get_data(as_text=True)
    response = post_form(client, f"/encuestas/{survey_id}/rondas/nueva", {
        "code": "2025-1", "name": "Ronda 2025", "starts_on": "2025-03-01",
        "ends_on": "2025-03-31"})
    assert response.status_code == 302
    with app.app_context():
        new = db.session.scalar(select(Wave).where(Wave.code == "2025-1"))
        new_id, new_version = new.id, new.version
    edit = f"/encuestas/rondas/{new_id}/editar"
    response = post_form(client, edit, {"name": "Ronda 2025", "starts_on": "2025-03-01",
                                        "ends_on": "2025-03-31", "version": new_version,
                                        "target_08": "120", "population_08": "15000",
                                        "target_05": "80"})
    assert response.status_code == 302
    with app.app_context():
        targets = db.session.get(Wave, new_id).targets
        assert {t.department_code: (t.target_sample, t.population) for t in targets} == {
            "05": (80, None), "08": (120, 15000)}
    stale = post_form(client, edit, {"name": "X", "starts_on": "2025-03-01",
                                     "ends_on": "2025-03-31", "version": new_version})
    assert "Otra persona modificó" in stale.get_data(as_text=True)
    page = f"/encuestas/rondas/{new_id}"
    post_form(client, f"{page}/estado", {"target": "closed"}, token_from=page)
    with app.app_context():
        assert db.session.get(Wave, new_id).status == WaveStatus.DRAFT  # draft → closed: no
    response = post_form(client, f"{page}/estado", {"target": "open"}, token_from=page)
    assert "ya está abierta" in client.get(page).get_data(as_text=True)  # 2024-1 is open
    post_form(client, f"/encuestas/rondas/{wave_id}/estado", {"target": "closed"},
              token_from=page)
    post_form(client, f"{page}/estado", {"target": "open"}, token_from=page)
    with app.app_context():
        assert db.session.get(Wave, new_id).status == WaveStatus.OPEN
        assert db.session.get(Wave, wave_id).status == WaveStatus.CLOSED


def test_results_page_suppresses_small_groups(app, login_as):
    wave_id = make_wave(app, import_sample=True)
    client = login_as("direccion")
    page = client.get(f"/encuestas/rondas/{wave_id}").get_data(as_text=True)
    # 19 responses nationally (≥ 10): figures; every department has 1–2: suppressed.
    assert 'id="stat-responses">19<' in page
    assert page.count("suprimido") >= 17
    assert "<svg" in page and "Índice de satisfacción por departamento" in page
    with app.app_context():
        set_setting("surveys.min_group_size", 20)
        db.session.commit()
    page = client.get(f"/encuestas/rondas/{wave_id}").get_data(as_text=True)
    assert 'id="stat-responses">suprimido<' in page
    assert "78.9" not in page and "78,9" not in page  # p1_trato's % satisfied is hidden


def test_department_drilldown_and_focus_question(app, login_as, write):
    wave_id = make_wave(app)
    rows = [good_row(n, **{"datos_generales/municipio": "0801" if n % 2 else "0802"})
            for n in range(1, 31)]
    with app.app_context():
        run_import(db.session.get(Wave, wave_id), write("f.csv", csv_bytes(rows)))
    client = login_as("auditor")
    page = client.get(f"/encuestas/rondas/{wave_id}?departamento=08&pregunta=p1_trato")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Por municipio" in html and "Distrito Central" in html
    assert ">p1_trato<" not in html and "Trato recibido" in html  # the comparison chart
    assert client.get(f"/encuestas/rondas/{wave_id}?departamento=99").status_code == 404


def test_trend_page(app, login_as):
    wave_id = make_wave(app, import_sample=True)
    with app.app_context():
        survey_id = db.session.get(Wave, wave_id).survey_id
    html = login_as("certificador").get(f"/encuestas/{survey_id}/tendencia").get_data(
        as_text=True)
    assert "Tendencia entre rondas" in html and "2024-1" in html
    assert "<polyline" not in html  # a single wave draws points, not lines


def test_results_exports(app, login_as):
    with app.app_context():
        set_setting("surveys.min_group_size", 1)
        db.session.commit()
    wave_id = make_wave(app, import_sample=True)
    client = login_as("direccion")
    text = client.get(f"/encuestas/rondas/{wave_id}/resultados.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["ambito", "codigo_ambito", "pregunta", "n"]
    p1 = next(r for r in rows if r[:3] == ["nacional", "HN", "p1_trato"])
    assert p1[3] == "19" and p1[6] == "78.9" and p1[10] == "10.5"  # 4–5 and 1–2 shares
    assert {len(r) for r in rows} == {len(rows[0])}
    book = load_workbook(io.BytesIO(client.get(
        f"/encuestas/rondas/{wave_id}/resultados.xlsx").data), read_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    assert next(rows)[0].startswith("Resultados de la ronda") and next(rows)[0] == "ambito"


def test_exported_results_hide_suppressed_groups(app, login_as):
    wave_id = make_wave(app, import_sample=True)
    text = login_as("direccion").get(f"/encuestas/rondas/{wave_id}/resultados.csv").get_data(
        as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    dept = [r for r in rows if r[0] == "departamento" and r[2] == "_indice"]
    assert len(dept) == 18 and all(r[3] in ("suprimido", "0") and r[4] in ("suprimido", "")
                                   for r in dept)


def test_anonymised_responses_have_no_keys_ids_or_free_text(app, login_as, write):
    wave_id = make_wave(app)
    rows = [good_row(1, comentario="=HYPERLINK(\"http://x\")"), good_row(2)]
    with app.app_context():
        run_import(db.session.get(Wave, wave_id), write("r.csv", csv_bytes(rows)))
        key = db.session.scalar(select(Response.beneficiary_key))
    client = login_as("calidad")
    text = client.get(f"/encuestas/rondas/{wave_id}/respuestas.csv").get_data(as_text=True)
    assert "00000000-0000-4000-8000" not in text  # no submission UUID
    assert "HN-100" not in text and key not in text
    assert "HYPERLINK" not in text and "comentario" not in text
    header = text.lstrip("\ufeff").splitlines()[0].split(";")
    assert header[:5] == ["fila", "departamento", "municipio", "canal", "fecha_envio"]
    assert "p1_trato" in header and len(text.splitlines()) == 3
    book = load_workbook(io.BytesIO(client.get(
        f"/encuestas/rondas/{wave_id}/respuestas.xlsx").data), read_only=True)
    assert len(list(book.worksheets[0].iter_rows(values_only=True))) == 4  # title, header, 2


def test_formula_injection_is_neutralised():
    from qms.core.spreadsheets import safe_cell

    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+57 9999") == "'+57 9999"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-monto") == "'-monto"
    assert safe_cell(-3) == -3 and safe_cell("texto") == "texto"


def _suggested(html: str) -> dict[str, str]:
    """What the mapping page proposes for every column (the selected options)."""
    return dict(re.findall(
        r'name="(col_\d+)">(?:(?!</select>).)*?<option value="([^"]*)" selected', html, re.S))


def test_import_from_the_browser_with_mapping(app, login_as):
    wave_id = make_wave(app)
    client = login_as("calidad")
    response = post_form(client, f"/encuestas/rondas/{wave_id}/importar",
                         {"file": (SAMPLE.open("rb"), "kobo.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    html = client.get(mapping_url).get_data(as_text=True)
    assert "ubicacion" in html and "Columnas desconocidas" in html
    response = post_form(client, mapping_url, {**_suggested(html), "save_mapping": "y",
                                               "channel": "in_person"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/progreso")
    progress = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Importación terminada" in progress and 'id="import-imported">19<' in progress
    status = client.get(response.headers["Location"].replace("/progreso", "/estado")).get_json()
    assert status["state"] == "done" and status["summary"]["imported"] == 19
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 19
        assert {c.value for c in db.session.scalars(select(Response.channel))} == {"in_person"}
        saved = db.session.scalar(select(ColumnMapping)).columns
        assert saved["satisfaccion/p1_trato"] == "p1_trato" and saved["ubicacion"] == ""
    # The upload is gone once imported (it may hold beneficiary IDs).
    token = mapping_url.rsplit("/", 1)[1]
    assert not (app.config["INSTANCE_DIR"] / "survey-imports" / token / "upload").exists()


def test_browser_import_rejection_lists_the_problems(app, login_as):
    wave_id = make_wave(app)
    client = login_as("calidad")
    data = csv_bytes([good_row(1, **{"satisfaccion/p1_trato": "7"}), good_row(2)])
    response = post_form(client, f"/encuestas/rondas/{wave_id}/importar",
                         {"file": (io.BytesIO(data), "malo.csv")},
                         content_type="multipart/form-data")
    mapping_url = response.headers["Location"]
    html = client.get(mapping_url).get_data(as_text=True)
    progress = client.get(post_form(client, mapping_url, _suggested(html)).headers["Location"])
    html = progress.get_data(as_text=True)
    assert "Importación rechazada" in html and "fuera de la escala" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 0


def test_upload_of_a_non_table_is_refused_at_once(app, login_as):
    wave_id = make_wave(app)
    client = login_as("calidad")
    response = post_form(client, f"/encuestas/rondas/{wave_id}/importar",
                         {"file": (io.BytesIO(b"%PDF-1.4 binary\x00\x01"), "x.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 200
    assert "no es CSV ni XLSX" in response.get_data(as_text=True)


def test_settings_page(app, login_as):
    client = login_as("calidad")
    response = post_form(client, "/encuestas/configuracion",
                         {"min_group_size": "0", "confidence_z": "1.96"})
    assert response.status_code == 200
    response = post_form(client, "/encuestas/configuracion",
                         {"min_group_size": "25", "confidence_z": "1.96"})
    assert response.status_code == 302
    with app.app_context():
        assert get_setting("surveys.min_group_size") == 25


def test_webhook_secret_is_shown_once(app, login_as):
    wave_id = make_wave(app)
    with app.app_context():
        survey_id = db.session.get(Wave, wave_id).survey_id
    client = login_as("calidad")
    page = post_form(client, f"/encuestas/{survey_id}/secreto",
                     token_from=f"/encuestas/{survey_id}").get_data(as_text=True)
    assert "no se volverá a mostrar" in page and "/api/v1/surveys/SAT-BVM/kobo" in page
    with app.app_context():
        stored = db.session.get(Wave, wave_id).survey.webhook_secret_hash
    assert stored and stored not in page


def test_api_results(app, client):
    from qms.auth.services import issue_token
    from tests.conftest import user

    wave_id = make_wave(app, import_sample=True)
    with app.app_context():
        _token, clear = issue_token(user("direccion"), "bi")
        db.session.commit()
    data = client.get(f"/api/v1/surveys/waves/{wave_id}/results",
                      headers={"Authorization": f"Bearer {clear}"}).get_json()
    assert data["responses"] == 19 and data["questions"]["p1_trato"]["n"] == 19
    assert data["departments"]["08"] == {"responses": None, "index": {"suppressed": True}}


def test_export_uploads_may_exceed_the_attachment_limit(app, login_as):
    wave_id = make_wave(app)
    client = login_as("calidad")
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 2000  # attachments: tiny limit for this test
    try:
        data = csv_bytes([good_row(n) for n in range(1, 40)])
        assert len(data) > 2000
        response = post_form(client, f"/encuestas/rondas/{wave_id}/importar",
                             {"file": (io.BytesIO(data), "grande.csv")},
                             content_type="multipart/form-data")
        assert response.status_code == 302
        assert post_form(client, "/encuestas/nueva",
                         {"code": "X" * 10, "title": "t" * 3000}).status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
