"""The audit trail's export above its threshold is built in the background, with the
page's filters, and downloaded by who asked; below it, it streams in the request."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from qms.core import audit
from qms.core.audit import AuditEvent
from qms.extensions import db
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process
from tests.conftest import login, user


def _processes(app, count: int) -> None:
    with app.app_context(), audit.acting_as(user("calidad")):
        for n in range(count):
            create_process(code=f"EX{n}", name=f"Proceso {n}",
                           category=ProcessCategory.OPERATIONAL, owner=user("duenio"))
        db.session.commit()


def _events(app, entity_type: str | None = None) -> int:
    with app.app_context():
        query = select(func.count(AuditEvent.id))
        if entity_type:
            query = query.where(AuditEvent.entity_type == entity_type)
        return db.session.scalar(query)


def test_a_large_trail_export_runs_in_the_background_with_its_filters(
        app, login_as, monkeypatch):
    _processes(app, 3)
    client = login_as("calidad")
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS_CSV", 2)
    answer = client.get("/auditoria/exportar.csv", query_string={"tipo": "process"})
    assert answer.status_code == 302 and "/exportaciones/" in answer.headers["Location"]
    token = answer.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/exportaciones/{token}").get_data(as_text=True)
    assert "El archivo está listo" in page
    assert 'href="/auditoria?tipo=process"' in page  # back to the filtered trail
    file = client.get(f"/exportaciones/{token}/archivo")
    assert file.headers["Content-Disposition"].endswith(".csv")
    assert "sgc-pista-de-auditoria-" in file.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(file.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:3] == ["#", "Fecha y hora", "Quién"]
    assert len(table) - 1 == _events(app, "process") >= 3
    assert {row[4] for row in table[1:]} == {"Proceso"}
    ids = [int(row[0]) for row in table[1:]]
    assert ids == sorted(ids, reverse=True)  # newest first, as the page

    other = app.test_client()
    assert login(other, "direccion").status_code == 302
    assert other.get(f"/exportaciones/{token}/archivo").status_code == 404


def test_the_background_xlsx_has_the_shape_of_every_export(app, login_as, monkeypatch):
    _processes(app, 2)
    client = login_as("calidad")
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS_XLSX", 1)
    answer = client.get("/auditoria/exportar.xlsx")
    token = answer.headers["Location"].rsplit("/", 1)[1]
    sheet = load_workbook(io.BytesIO(client.get(f"/exportaciones/{token}/archivo").data)).active
    assert sheet.title == "Pista de auditoría"
    assert sheet["A1"].value.startswith("Pista de auditoría · exportada el")
    assert sheet["A2"].value == "#" and sheet.freeze_panes == "A3"
    total = _events(app)
    assert sheet.max_row == 2 + total and sheet.auto_filter.ref == f"A2:J{2 + total}"


def test_a_small_trail_export_streams_in_the_request(app, login_as):
    _processes(app, 1)
    client = login_as("calidad")
    answer = client.get("/auditoria/exportar.csv", query_string={"tipo": "process"})
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) - 1 == _events(app, "process")
