"""A wave's anonymised responses above the export threshold are built in the background:
the same file as in the request (Kobo's ``;``, no keys), downloaded by who asked."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from qms.extensions import db
from qms.surveys.models import Wave
from tests.conftest import login
from tests.surveys.conftest import csv_bytes, good_row, make_wave, run_import


def test_a_large_response_export_runs_in_the_background(app, login_as, write, monkeypatch):
    wave_id = make_wave(app)
    with app.app_context():
        run_import(db.session.get(Wave, wave_id),
                   write("r.csv", csv_bytes([good_row(n) for n in range(1, 6)])))
    client = login_as("calidad")
    streamed = client.get(f"/encuestas/rondas/{wave_id}/respuestas.csv").get_data(as_text=True)

    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS_CSV", 3)
    answer = client.get(f"/encuestas/rondas/{wave_id}/respuestas.csv")
    assert answer.status_code == 302 and "/exportaciones/" in answer.headers["Location"]
    token = answer.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/exportaciones/{token}").get_data(as_text=True)
    assert "El archivo está listo" in page and f'href="/encuestas/rondas/{wave_id}"' in page
    file = client.get(f"/exportaciones/{token}/archivo")
    assert "sgc-respuestas-anonimizadas-" in file.headers["Content-Disposition"]
    text = file.get_data(as_text=True)
    assert text == streamed  # the same file as in the request
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:2] == ["fila", "departamento"] and len(rows) == 1 + 5

    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS_XLSX", 3)
    answer = client.get(f"/encuestas/rondas/{wave_id}/respuestas.xlsx")
    token = answer.headers["Location"].rsplit("/", 1)[1]
    sheet = load_workbook(io.BytesIO(client.get(f"/exportaciones/{token}/archivo").data)).active
    assert sheet["A1"].value.startswith("Respuestas anonimizadas de la ronda")
    assert sheet["A2"].value == "fila" and sheet.max_row == 2 + 5

    other = app.test_client()
    assert login(other, "direccion").status_code == 302
    assert other.get(f"/exportaciones/{token}/archivo").status_code == 404  # not theirs
