"""Importing the payment system's aggregates: checks, all or nothing, idempotent per period."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from qms.core import audit
from qms.core.audit import AuditEvent
from qms.extensions import db
from qms.payments import importer
from qms.payments.demo import HEADER
from qms.payments.models import ImportStatus, PaymentAggregate, PaymentImport, PaymentPeriod
from tests.conftest import post_form
from tests.payments.conftest import payments_csv, row


def _import(data: bytes, name="pagos.csv"):
    with audit.acting_as(audit.SYSTEM):
        report = importer.import_payments(data, name)
        db.session.commit()
    return report


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_good_file_is_imported_with_one_audit_event_carrying_its_sha256(app_ctx):
    data = payments_csv([row(), row(muni="0802", channel="billetera"),
                         row(period="2025-02", scheduled=50, paid=50, reasons=(0,) * 5)])
    report = _import(data)
    assert report.periods == {"2025-01": "new", "2025-02": "new"}
    assert _count(PaymentAggregate) == 3
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "payment_import")).all()
    assert len(events) == 1
    assert events[0].action == "import"
    assert events[0].after["file_sha256"] == report.file_sha256
    assert report.file_sha256 in events[0].note
    # Aggregate rows leave no events of their own: one event per batch.
    assert db.session.scalar(select(func.count(AuditEvent.id))) == \
        db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.entity_type != "payment_aggregate"))


def test_the_same_file_twice_changes_nothing_and_new_figures_replace_the_period(app_ctx):
    data = payments_csv([row(), row(period="2025-02")])
    _import(data)
    again = _import(data)
    assert again.periods == {"2025-01": "unchanged", "2025-02": "unchanged"}
    assert _count(PaymentAggregate) == 2
    corrected = _import(payments_csv([row(scheduled=120, paid=110)]), "correccion.csv")
    assert corrected.periods == {"2025-01": "replaced"}
    cell = db.session.scalar(select(PaymentAggregate).join(PaymentPeriod).where(
        PaymentPeriod.code == "2025-01"))
    assert (cell.households_scheduled, cell.households_paid) == (120, 110)
    assert _count(PaymentAggregate) == 2
    assert _count(PaymentImport) == 3


def test_every_bad_row_and_column_is_named_and_nothing_is_written(app_ctx):
    data = payments_csv([
        row(),
        row(muni="0101"),                            # not in department 08
        row(period="2025-13"),                       # no such month
        row(scheduled="diez"),                       # not a number
        row(paid=120),                               # more paid than scheduled
        row(reasons=(9, 9, 0, 0, 0)),                # reasons exceed unpaid
        row(channel="paloma mensajera"),
        row(),                                       # repeats row 2
    ])
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_payments(data, "malo.csv")
    db.session.rollback()
    problems = {(p.row, p.column) for p in caught.value.report.problems}
    assert {(3, "municipio"), (4, "periodo"), (5, "hogares_programados"),
            (6, "hogares_pagados"), (7, "no_pago_*"), (8, "canal"), (9, "municipio")} <= problems
    assert not any(p.row == 2 for p in caught.value.report.problems)
    assert _count(PaymentAggregate) == 0 and _count(PaymentPeriod) == 0


def test_a_missing_column_rejects_the_file(app_ctx):
    header = [h for h in HEADER if h != "hogares_pagados"]
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_payments(payments_csv([row()], header=header), "x.csv")
    assert [(p.row, p.column) for p in caught.value.report.problems] == [(1, "hogares_pagados")]


def test_xlsx_and_semicolon_csv_are_read_alike(app_ctx):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["2025-03", "08", "0801", "Banco", 100, 95, 95000.0, 3, 2, 0, 0, 0])
    out = io.BytesIO()
    book.save(out)
    report = _import(out.getvalue(), "pagos.xlsx")
    assert report.file_format == "xlsx" and report.periods == {"2025-03": "new"}
    report = _import(payments_csv([row(period="2025-04")], delimiter=";"))
    assert report.file_format.endswith(";")
    assert _count(PaymentAggregate) == 2


def test_cli_imports_and_fails_with_the_row_and_column(app, tmp_path):
    good = tmp_path / "pagos.csv"
    good.write_bytes(payments_csv([row()]))
    bad = tmp_path / "malo.csv"
    bad.write_bytes(payments_csv([row(), row(muni="9999")]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["qms", "import-payments", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 periods (1 new" in result.output
    result = runner.invoke(args=["qms", "import-payments", str(good)])
    assert "1 unchanged" in result.output
    result = runner.invoke(args=["qms", "import-payments", str(bad)])
    assert result.exit_code == 1
    assert "fila 3, municipio" in result.output and "REJECTED" in result.output
    with app.app_context():
        statuses = [b.status for b in db.session.scalars(
            select(PaymentImport).order_by(PaymentImport.id))]
        assert statuses == [ImportStatus.IMPORTED, ImportStatus.IMPORTED, ImportStatus.REJECTED]
        assert _count(PaymentAggregate) == 1


def test_browser_upload_shows_the_problems(app, login_as):
    client = login_as("calidad")
    data = {"file": (io.BytesIO(payments_csv([row(paid=101)])), "pagos.csv")}
    response = post_form(client, "/pagos/importar", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "fila 2, hogares_pagados" in response.get_data(as_text=True)
    data = {"file": (io.BytesIO(payments_csv([row()])), "pagos.csv")}
    response = post_form(client, "/pagos/importar", data, content_type="multipart/form-data",
                         follow_redirects=True)
    assert response.status_code == 200
    assert "2025-01" in response.get_data(as_text=True)
    with app.app_context():
        rejected = db.session.scalar(select(PaymentImport).where(
            PaymentImport.status == ImportStatus.REJECTED))
        assert rejected.problems[0]["column"] == "hogares_pagados"
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.entity_type == "payment_import", AuditEvent.action == "import"))
        assert event.actor_label == "calidad"
        assert json.loads(event.note)["periods"] == {"2025-01": "new"}


def test_a_hostile_xlsx_is_refused_as_a_problem_of_the_file(app_ctx):
    """A compression bomb and a sheet past the row bound: refused, nothing written."""
    from tests.surveys.test_import_hostile_xlsx import zip_bomb

    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_payments(zip_bomb(), "bomba.xlsx")
    assert "bomba de compresión" in caught.value.report.problems[0].reason
    book = Workbook()
    book.active.append(HEADER)
    for n in range(5):
        book.active.append([f"2025-0{n + 1}", "08", "0801", "Banco", 100, 95, 95000.0,
                            3, 2, 0, 0, 0])
    out = io.BytesIO()
    book.save(out)
    app_ctx.config["XLSX_MAX_ROWS"] = 3
    try:
        with pytest.raises(importer.ImportRejected) as caught:
            importer.import_payments(out.getvalue(), "largo.xlsx")
    finally:
        app_ctx.config["XLSX_MAX_ROWS"] = 1_000_000
    assert any("más de 3 filas" in p.reason for p in caught.value.report.problems)
    assert _count(PaymentAggregate) == 0
