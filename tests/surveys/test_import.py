"""Importing Kobo / ODK exports: formats, every bad input of the issue, atomicity, dedupe."""

from __future__ import annotations

import hashlib
import hmac
import io
import statistics

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from qms.core.audit import AuditEvent
from qms.extensions import db
from qms.surveys import publishing, results
from qms.surveys.models import (
    INDEX_CODE,
    Aggregate,
    BatchStatus,
    ImportBatch,
    Response,
)
from tests.surveys.conftest import HEADER, SAMPLE, counts, csv_bytes, good_row, run_import

# ------------------------------------------------------------------ the real sample


def test_sample_export_imports_and_aggregates_match_the_answers(wave):
    report = run_import(wave, SAMPLE)
    assert report.accepted
    assert (report.rows_read, report.imported, report.rejected_in_source) == (20, 19, 1)
    assert report.file_format == "csv UTF-8 ;"
    assert report.unknown_columns == ["consentimiento", "ubicacion"]  # form fields not asked
    # The aggregates say what recomputing from the stored answers says.
    answers = [r.answers for r in db.session.scalars(select(Response))]
    p1 = [a["p1_trato"] for a in answers if isinstance(a.get("p1_trato"), int)]
    data = results.wave_results(wave)
    q = {r.question.code: r.summary for r in data.questions}
    assert data.responses == 19
    assert q["p1_trato"].n == len(p1)
    assert q["p1_trato"].mean == pytest.approx(statistics.mean(p1))
    assert q["p1_trato"].pct_satisfied == pytest.approx(100 * sum(v >= 4 for v in p1) / len(p1))
    assert q["p4_acceso_pago"].n == 18  # "99" = no sabe / no responde is not an answer
    complaints = sum(a["presento_queja"] for a in answers)
    assert data.complaint.pct_satisfied == pytest.approx(100 * complaints / 19)
    assert data.complaint.n == 19


def test_reimporting_the_same_file_adds_nothing(wave):
    run_import(wave, SAMPLE)
    before = counts()
    sums_before = db.session.execute(select(Aggregate.question_code, Aggregate.n).where(
        Aggregate.question_code == INDEX_CODE)).all()
    report = run_import(wave, SAMPLE)
    assert report.accepted and report.imported == 0 and report.duplicates == 19
    after = counts()
    assert after["responses"] == before["responses"] == 19
    assert after["aggregates"] == before["aggregates"]
    assert db.session.execute(select(Aggregate.question_code, Aggregate.n).where(
        Aggregate.question_code == INDEX_CODE)).all() == sums_before


def test_identical_repeats_inside_one_file_are_folded_and_counted(wave, write):
    rows = [good_row(1), good_row(2), good_row(1), good_row(1)]
    report = run_import(wave, write("dup.csv", csv_bytes(rows)))
    assert report.accepted and report.imported == 2 and report.folded == 2
    assert report.duplicates == 0


# ------------------------------------------------------------------ formats


@pytest.mark.parametrize("encoding, delimiter, label", [
    ("utf-8", ";", "csv UTF-8 ;"),
    ("utf-8-sig", ";", "csv UTF-8 BOM ;"),
    ("latin-1", ";", "csv Latin-1 ;"),
    ("utf-8", ",", "csv UTF-8 ,"),
    ("cp1252", "\t", "csv Latin-1 TAB"),
])
def test_encodings_and_separators(wave, write, encoding, delimiter, label):
    rows = [good_row(n) for n in range(1, 4)]
    path = write("export.csv", csv_bytes(rows, delimiter=delimiter, encoding=encoding))
    report = run_import(wave, path)
    assert report.accepted, report.problems
    assert report.file_format == label
    assert report.imported == 3
    stored = db.session.scalars(select(Response).where(Response.wave_id == wave.id)).first()
    assert stored.answers["comentario"] == "Atención buena; «sin» quejas"  # accents survive


def test_labels_export_without_groups(wave, write):
    header = ["Departamento", "Municipio", "Trato recibido del personal del programa",
              "Claridad de la información sobre requisitos y fechas",
              "Puntualidad de los pagos", "Facilidad de acceso al punto de pago",
              "Satisfacción general con el programa",
              "¿Presentó alguna queja o reclamo en los últimos 6 meses?",
              "En los últimos 3 meses, ¿qué servicios usó el hogar?", "_uuid", "_submission_time",
              "_validation_status"]
    row = dict(zip(header, ["08", "0801", "Muy satisfecho", "Satisfecho",
                            "Ni satisfecho ni insatisfecho", "No sabe / No responde",
                            "Insatisfecho", "Sí", "Centro de salud", "abc-1",
                            "2024-03-05 17:20:54", "Approved"], strict=True))
    report = run_import(wave, write("labels.csv", csv_bytes([row], header=header)))
    assert report.accepted, report.problems
    answers = db.session.scalar(select(Response.answers))
    assert answers["p1_trato"] == 5 and answers["p3_puntualidad_pago"] == 3
    assert answers["p4_acceso_pago"] == "ns"
    assert answers["presento_queja"] == 1 and answers["servicios_usados"] == ["centro_salud"]


def test_labels_export_with_groups_in_headers(wave, write):
    header = ["Datos generales/Departamento", "Datos generales/Municipio",
              "Satisfacción (1 = Muy insatisfecho ... 5 = Muy satisfecho)/Trato recibido del "
              "personal del programa",
              "Satisfacción (1 = Muy insatisfecho ... 5 = Muy satisfecho)/Claridad de la "
              "información sobre requisitos y fechas",
              "Satisfacción/Puntualidad de los pagos", "Satisfacción/Facilidad de acceso al punto "
              "de pago", "Satisfacción/Satisfacción general con el programa",
              "Quejas y reclamos/¿Presentó alguna queja o reclamo en los últimos 6 meses?", "_uuid"]
    values = ["08", "0801", "Satisfecho", "Muy satisfecho", "Insatisfecho", "Satisfecho",
              "Satisfecho", "No", "lbl-1"]
    report = run_import(wave, write("labels-groups.csv", csv_bytes(
        [dict(zip(header, values, strict=True))], header=header)))
    assert report.accepted, (report.problems, report.unknown_columns)
    assert report.unknown_columns == []
    answers = db.session.scalar(select(Response.answers))
    assert (answers["p1_trato"], answers["p2_informacion"], answers["presento_queja"]) == (4, 5, 0)


def test_odk_central_csv(wave, write):
    header = ["SubmissionDate", "datos_generales-departamento", "datos_generales-municipio",
              "satisfaccion-p1_trato", "satisfaccion-p2_informacion",
              "satisfaccion-p3_puntualidad_pago", "satisfaccion-p4_acceso_pago",
              "satisfaccion-p5_satisfaccion_general", "quejas-presento_queja", "meta-instanceID",
              "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
              "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]
    values = ["2024-03-05T17:20:54.120Z", "5", "501", "4", "4", "4", "4", "4", "no",
              "uuid:aaaa-1", "uuid:aaaa-1", "7", "enc", "0", "0", "", "", "collect:x", "0", "1"]
    rejected = list(values)
    rejected[9] = rejected[10] = "uuid:aaaa-2"
    rejected[16] = "rejected"
    data = csv_bytes([dict(zip(header, values, strict=True)),
                      dict(zip(header, rejected, strict=True))], header=header, delimiter=",")
    report = run_import(wave, write("odk.csv", data))
    assert report.accepted, report.problems
    assert report.unknown_columns == []
    assert (report.imported, report.rejected_in_source) == (1, 1)
    stored = db.session.scalar(select(Response))
    assert stored.submission_uuid == "aaaa-1"
    assert (stored.department_code, stored.municipality_code) == ("05", "0501")
    assert stored.submitted_at.isoformat() == "2024-03-05T17:20:54.120000+00:00"


def test_select_multiple_as_one_column_per_option(wave, write):
    header = [h for h in HEADER if h != "uso_servicios/servicios_usados"] + [
        "uso_servicios/servicios_usados/centro_salud", "uso_servicios/servicios_usados/escuela",
        "uso_servicios/servicios_usados/ninguno"]
    row = good_row(1, **{"uso_servicios/servicios_usados/centro_salud": "1",
                         "uso_servicios/servicios_usados/escuela": "0",
                         "uso_servicios/servicios_usados/ninguno": "0"})
    report = run_import(wave, write("details.csv", csv_bytes([row], header=header)))
    assert report.accepted, report.problems
    assert db.session.scalar(select(Response.answers))["servicios_usados"] == ["centro_salud"]


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_export(wave, write):
    rows = [HEADER] + [[good_row(n)[h] for h in HEADER] for n in range(1, 4)]
    rows[1][HEADER.index("satisfaccion/p1_trato")] = 5  # numbers come as numbers
    report = run_import(wave, write("export.xlsx", _xlsx(rows)))
    assert report.accepted, report.problems
    assert report.file_format == "xlsx" and report.imported == 3


def test_saved_mapping_maps_a_renamed_column(wave, write):
    from qms.surveys.services import save_mapping

    header = [h if h != "satisfaccion/p1_trato" else "P1 (trato)" for h in HEADER]
    rows = [{("P1 (trato)" if k == "satisfaccion/p1_trato" else k): v
             for k, v in good_row(1).items()}]
    first = run_import(wave, write("renamed.csv", csv_bytes(rows, header=header)))
    assert not first.accepted and "P1 (trato)" in first.unknown_columns
    save_mapping(wave.survey, {"P1 (trato)": "p1_trato"})
    db.session.commit()
    second = run_import(wave, write("renamed.csv", csv_bytes(rows, header=header)))
    assert second.accepted and second.imported == 1


# ------------------------------------------------------------------ bad input


def _assert_nothing_imported(report):
    assert not report.accepted
    assert counts()["responses"] == 0
    assert counts()["aggregates"] == 0
    assert counts()["imported_batches"] == 0
    rejected = db.session.scalar(select(ImportBatch).where(ImportBatch.id == report.batch_id))
    assert rejected.status == BatchStatus.REJECTED and rejected.rows_imported == 0


@pytest.mark.parametrize("name, data, message", [
    ("informe.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "no es CSV ni XLSX"),
    ("foto.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "no es CSV ni XLSX"),
    ("viejo.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "XLS"),
    ("vacio.csv", b"", "vacío"),
    ("nota.csv", b"esto no es una tabla\nsolo texto\n", "columnas"),
])
def test_files_that_are_not_csv_or_xlsx(wave, write, name, data, message):
    report = run_import(wave, write(name, data))
    assert message in report.file_problem
    _assert_nothing_imported(report)


def test_every_bad_row_is_reported_and_nothing_is_imported(wave, write):
    rows = [
        good_row(1),
        good_row(2, **{"satisfaccion/p1_trato": "7"}),                 # row 3: Likert 7
        good_row(3, **{"datos_generales/municipio": "0899"}),          # row 4: unknown code
        good_row(4, **{"satisfaccion/p2_informacion": ""}),            # row 5: required missing
        good_row(5),
        good_row(6, **{"datos_generales/departamento": "99"}),         # row 7: unknown dept
        good_row(7, **{"_uuid": ""}),                                   # row 8: no submission id
    ]
    report = run_import(wave, write("bad.csv", csv_bytes(rows)))
    found = {(p.row, p.column) for p in report.problems}
    assert found == {
        (3, "satisfaccion/p1_trato"), (4, "datos_generales/municipio"),
        (5, "satisfaccion/p2_informacion"), (7, "datos_generales/departamento"), (8, "_uuid"),
    }
    reasons = {p.row: p.reason for p in report.problems}
    assert "fuera de la escala" in reasons[3] and "7" in reasons[3]
    assert "municipio 0899 desconocido" in reasons[4]
    assert "obligatoria" in reasons[5]
    assert report.invalid == 5
    _assert_nothing_imported(report)


def test_skip_invalid_imports_only_the_good_rows(wave, write):
    rows = [good_row(1), good_row(2, **{"satisfaccion/p1_trato": "7"}), good_row(3)]
    report = run_import(wave, write("bad.csv", csv_bytes(rows)), skip_invalid=True)
    assert report.accepted and report.imported == 2 and report.invalid == 1
    assert [(p.row, p.column) for p in report.problems] == [(3, "satisfaccion/p1_trato")]
    assert counts()["responses"] == 2
    assert sum(n for (n,) in db.session.execute(select(Aggregate.n).where(
        Aggregate.question_code == "p1_trato"))) == 2


def test_unknown_columns_are_reported_and_ignored(wave, write):
    header = [*HEADER, "pregunta_nueva", "otra/cosa"]
    rows = [good_row(1, pregunta_nueva="x")]
    report = run_import(wave, write("extra.csv", csv_bytes(rows, header=header)))
    assert report.accepted and report.imported == 1
    assert report.unknown_columns == ["pregunta_nueva", "otra/cosa"]
    assert "pregunta_nueva" not in db.session.scalar(select(Response.answers))


def test_missing_required_column_rejects_the_file(wave, write):
    header = [h for h in HEADER if h != "satisfaccion/p3_puntualidad_pago"]
    report = run_import(wave, write("short.csv", csv_bytes([good_row(1)], header=header)))
    assert "p3_puntualidad_pago" in report.file_problem
    _assert_nothing_imported(report)


def test_truncated_csv(wave, write):
    data = csv_bytes([good_row(n) for n in range(1, 6)])
    cut = data[: data.index(b"Atenci", len(data) - 200)]  # inside the last row's quoted comment
    report = run_import(wave, write("cut.csv", cut))
    assert any("truncado" in p.reason for p in report.problems)
    _assert_nothing_imported(report)
    again = run_import(wave, write("cut.csv", cut), skip_invalid=True)
    assert again.accepted and again.imported == 4


def test_truncated_xlsx(wave, write):
    data = _xlsx([HEADER] + [[good_row(n)[h] for h in HEADER] for n in range(1, 50)])
    report = run_import(wave, write("cut.xlsx", data[: len(data) // 2]))
    assert "XLSX" in report.file_problem
    _assert_nothing_imported(report)


def test_closed_wave_refuses_imports(wave, write):
    from qms.core.errors import ValidationError
    from qms.surveys.models import WaveStatus
    from qms.surveys.services import move_wave

    move_wave(wave, WaveStatus.CLOSED)
    db.session.commit()
    with pytest.raises(ValidationError):
        run_import(wave, write("ok.csv", csv_bytes([good_row(1)])))


# ------------------------------------------------------------------ atomicity


def test_failure_in_the_middle_is_undone(wave, write, monkeypatch):
    """Publishing commits short transactions; a failure after some of them deletes what
    they stored (the import-level undo) and records the batch as rejected."""
    path = write("big.csv", csv_bytes([good_row(n) for n in range(1, 101)]))
    real = publishing.publish_chunk
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(publishing, "PUBLISH_CHUNK", 20)
    monkeypatch.setattr(publishing, "publish_chunk", failing)
    with pytest.raises(OSError):
        run_import(wave, path)
    assert calls["n"] == 3  # two chunks had been committed before the failure
    assert counts() == {"responses": 0, "aggregates": 0, "answer_counts": 0,
                        "imported_batches": 0}
    batch = db.session.scalar(select(ImportBatch))
    assert batch.status == BatchStatus.REJECTED and batch.rows_imported == 0
    assert "deshizo" in batch.problems[-1]["reason"]


def test_rows_of_a_batch_still_publishing_are_invisible_and_recovered(wave, write,
                                                                      monkeypatch):
    """A process killed while publishing leaves an "importing" batch: nobody sees its rows,
    and the next import undoes it once its heartbeat is stale."""
    from datetime import timedelta

    from qms.surveys import exports

    path = write("big.csv", csv_bytes([good_row(n) for n in range(1, 41)]))
    monkeypatch.setattr(publishing, "PUBLISH_CHUNK", 10)

    def killed(*args, **kwargs):
        raise SystemExit("killed")  # as a SIGKILL would, but leaving the process alive

    real = publishing.publish_chunk
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(publishing, "publish_chunk", dying)
    monkeypatch.setattr(publishing, "undo", killed)  # the undo never runs: the process died
    with pytest.raises(SystemExit):
        run_import(wave, path)
    monkeypatch.undo()
    db.session.rollback()
    assert counts()["responses"] == 20  # stored, but…
    assert list(exports.response_rows(wave)) == []  # …invisible
    assert counts()["aggregates"] == 0
    assert publishing.recover_interrupted() == 0  # its heartbeat is fresh: maybe still running
    assert publishing.recover_interrupted(stale_after=timedelta(0)) == 1
    assert counts()["responses"] == 0
    assert db.session.scalar(select(ImportBatch.status)) == BatchStatus.REJECTED


# ------------------------------------------------------------------ privacy and audit


def test_only_a_keyed_hash_of_the_beneficiary_id_is_stored(app, wave, write):
    rows = [good_row(1, **{"datos_generales/id_hogar": "HN-0801-1985-000123"})]
    run_import(wave, write("ids.csv", csv_bytes(rows)))
    stored = db.session.scalar(select(Response))
    key = app.config["QMS_PSEUDONYM_KEY"].encode()
    assert stored.beneficiary_key == hmac.new(key, b"HN-0801-1985-000123",
                                              hashlib.sha256).hexdigest()
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    raw = app.config["TEST_DB_FILE"].read_bytes()
    for suffix in ("-wal",):
        wal = app.config["TEST_DB_FILE"].with_name(app.config["TEST_DB_FILE"].name + suffix)
        raw += wal.read_bytes() if wal.exists() else b""
    assert b"0801-1985-000123" not in raw


def test_one_audit_event_per_batch_none_per_response(wave):
    before = db.session.scalar(select(func.count(AuditEvent.id)))
    report = run_import(wave, SAMPLE)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [(e.entity_type, e.action) for e in events] == [("survey_import_batch", "import")]
    assert report.file_sha256 in events[0].note and '"imported": 19' in events[0].note
