"""The master list: filters, CSV and XLSX exports, formula injection neutralised."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from qms.core import audit
from qms.core.spreadsheets import safe_cell
from qms.documents.models import DocumentType
from qms.extensions import db
from tests.conftest import user
from tests.documents.conftest import bring_into_force, make_document, make_process


def _register(app):
    with app.test_request_context():
        process = make_process("SGC", "calidad")
        _doc, revision = make_document("PR-SGC-01", process=process)
        bring_into_force(revision, days_ago=400)  # periodic review overdue
        evil, _ = make_document("FO-SGC-02", process=process, doc_type=DocumentType.FORM)
        with audit.acting_as(user("calidad")):
            evil.title = '=HYPERLINK("http://malo.example","clic")'
            db.session.flush()
        make_document("IT-SGC-03", process=process, doc_type=DocumentType.INSTRUCTION)
        db.session.commit()


def test_filters_by_status_review_type_and_text(app, login_as):
    _register(app)
    client = login_as("direccion")  # a certifier reads only within a share
    page = client.get("/documentos/").get_data(as_text=True)
    assert "PR-SGC-01" in page and "FO-SGC-02" in page and 'data-count="3"' in page
    overdue = client.get("/documentos/?revision=overdue").get_data(as_text=True)
    assert "PR-SGC-01" in overdue and "FO-SGC-02" not in overdue and "Vencida" in overdue
    preparing = client.get("/documentos/?estado=in_preparation").get_data(as_text=True)
    assert "PR-SGC-01" not in preparing and "IT-SGC-03" in preparing
    forms = client.get("/documentos/?tipo=form").get_data(as_text=True)
    assert "FO-SGC-02" in forms and "IT-SGC-03" not in forms
    search = client.get("/documentos/?q=it-sgc").get_data(as_text=True)
    assert "IT-SGC-03" in search and "PR-SGC-01" not in search


def test_csv_export_neutralises_formulas(app, login_as):
    _register(app)
    client = login_as("auditor")
    response = client.get("/documentos/lista-maestra.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Código", "Título", "Tipo"]
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["FO-SGC-02"][1] == "'=HYPERLINK(\"http://malo.example\",\"clic\")"
    assert by_code["PR-SGC-01"][6] == "1" and by_code["PR-SGC-01"][9] == "Vigente"
    filtered = client.get("/documentos/lista-maestra.csv?tipo=form")
    assert "PR-SGC-01" not in filtered.data.decode("utf-8-sig")


def test_xlsx_export_has_no_formula_cells(app, login_as):
    _register(app)
    response = login_as("direccion").get("/documentos/lista-maestra.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert any(v[0] == "PR-SGC-01" for v in values)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    evil = next(v for v in values if v[0] == "FO-SGC-02")
    assert evil[1].startswith("'=")


def test_neutralise_covers_every_trigger():
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(value) == "'" + value
    assert safe_cell("PR-SGC-01") == "PR-SGC-01" and safe_cell(3) == 3


def test_dashboard_card_counts_overdue_reviews_for_the_officer(app, login_as):
    _register(app)
    html = login_as("calidad").get("/inicio").get_data(as_text=True)
    assert ("Revisión periódica vencida</dt><dd class=\"card-figure\">"
            "<a href=\"/documentos/?revision=overdue\">1</a>") in html
