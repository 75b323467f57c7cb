"""A register export above its threshold is built in the background: the request answers
at once with a progress page, the file is downloaded when ready, only by who asked for
it; below the threshold the export still streams in the request."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from pathlib import Path

from openpyxl import load_workbook

from qms.core import audit, export_jobs
from qms.extensions import db
from tests.conftest import login, user
from tests.nonconformities.conftest import make_nc, make_process

P = "/no-conformidades"


def _seed(app, count: int) -> None:
    with app.test_request_context(), audit.acting_as(user("calidad")):
        process = make_process()
        for i in range(count):
            make_nc(process, title=f"Caso {i}", source="other" if i % 2 else "internal_audit")
        db.session.commit()


def test_a_large_xlsx_export_runs_in_the_background_and_is_downloaded_when_ready(
        app, login_as, monkeypatch):
    _seed(app, 5)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS_XLSX", 3)
    client = login_as("calidad")
    answer = client.get(f"{P}/exportar.xlsx", query_string={"source": "other"})
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(answer.data)).active.max_row == 2 + 2  # 2 NCs: streamed

    answer = client.get(f"{P}/exportar.xlsx")
    assert answer.status_code == 302 and "/exportaciones/" in answer.headers["Location"]
    page = client.get(answer.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "El archivo está listo" in html
    assert 'id="export-done" data-progress-count="done">5</span> de 5 filas' in html
    token = answer.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    state = client.get(f"/exportaciones/{token}/estado.json").get_json()
    assert state["state"] == "done" and state["done"] == state["total"] == 5
    file = client.get(f"/exportaciones/{token}/archivo")
    assert file.status_code == 200 and "no-store" in file.headers["Cache-Control"]
    assert file.headers["Content-Disposition"].endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(file.data)).active
    assert sheet["A1"].value.startswith("Registro de no conformidades")
    assert sheet["A2"].value == "Código" and sheet.auto_filter.ref == "A2:V7"
    assert sorted(sheet[f"B{r}"].value for r in range(3, 8)) == [f"Caso {i}" for i in range(5)]

    other = app.test_client()
    assert login(other, "direccion").status_code == 302
    assert other.get(f"/exportaciones/{token}").status_code == 404
    assert other.get(f"/exportaciones/{token}/archivo").status_code == 404


def test_a_background_csv_keeps_the_filters_and_the_language(app, login_as, monkeypatch):
    _seed(app, 4)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS_CSV", 1)
    client = login_as("calidad")
    client.post("/idioma", data={"lang": "en", "csrf_token": _token(client)})
    answer = client.get(f"{P}/exportar.csv", query_string={"source": "other"})
    token = answer.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/exportaciones/{token}").get_data(as_text=True)
    assert 'href="/no-conformidades/?source=other"' in page  # back to the filtered register
    text = client.get(f"/exportaciones/{token}/archivo").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0][0] == "Code" and len(table) == 1 + 2
    assert {row[4] for row in table[1:]} == {"Other"}


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/inicio")


def test_progress_is_reported_while_the_job_runs_and_a_dead_job_says_so(app, login_as,
                                                                        monkeypatch):
    """In a thread, as in production: the first answer shows the job queued or running,
    the status then moves to done; a job whose heartbeat stopped shows as interrupted."""
    _seed(app, 3)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS_CSV", 1)
    monkeypatch.setitem(app.config, "EXPORTS_IN_THREAD", True)
    release = threading.Event()
    original = export_jobs.EXPORTERS["nc_register"]

    def slow(params, out, progress):
        release.wait(10)
        original(params, out, progress)

    monkeypatch.setitem(export_jobs.EXPORTERS, "nc_register", slow)
    client = login_as("calidad")
    token = client.get(f"{P}/exportar.csv").headers["Location"].rsplit("/", 1)[1]
    state = client.get(f"/exportaciones/{token}/estado.json").get_json()
    assert state["state"] in ("queued", "running") and state["done"] == 0
    assert client.get(f"/exportaciones/{token}/archivo").status_code == 404  # not ready
    assert 'data-state="' in client.get(f"/exportaciones/{token}").get_data(as_text=True)
    release.set()
    for _ in range(100):
        state = client.get(f"/exportaciones/{token}/estado.json").get_json()
        if state["state"] == "done":
            break
        time.sleep(0.05)
    assert state["state"] == "done" and state["done"] == 3

    status_file = Path(app.config["INSTANCE_DIR"]) / "exports" / token / "status.json"
    values = json.loads(status_file.read_text())
    status_file.write_text(json.dumps({**values, "state": "running", "heartbeat": 0}))
    assert "se interrumpió" in client.get(f"/exportaciones/{token}").get_data(as_text=True)


def test_a_failed_export_says_so_and_leaves_no_file(app, login_as, monkeypatch):
    _seed(app, 2)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS_CSV", 1)

    def broken(params, out, progress):
        out.write(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setitem(export_jobs.EXPORTERS, "nc_register", broken)
    client = login_as("calidad")
    token = client.get(f"{P}/exportar.csv").headers["Location"].rsplit("/", 1)[1]
    assert "La exportación falló" in client.get(f"/exportaciones/{token}").get_data(as_text=True)
    assert client.get(f"/exportaciones/{token}/archivo").status_code == 404
    folder = Path(app.config["INSTANCE_DIR"]) / "exports" / token
    assert sorted(p.name for p in folder.iterdir()) == ["status.json"]


def test_unknown_or_malformed_tokens_are_404(login_as):
    client = login_as("calidad")
    for token in ("nope", "../../etc", "a" * 60):
        assert client.get(f"/exportaciones/{token}").status_code == 404
