"""The shapes a filled checklist comes back in, each read as the same answers: Kobo
"Labels" exports (question texts as headers, choice labels as values, with or without
the group path, in Spanish or in English), Kobo XML-names CSV with ';' and every field
quoted, ODK Central CSV with '-' groups and KEY. Bad files name the row and the column."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from flask_babel import force_locale
from openpyxl import Workbook

from qms.audits import offline
from qms.audits.enums import ItemResult
from qms.core.errors import ValidationError
from qms.extensions import db
from tests.audits.conftest import make_audit, started

KOBO_TRAILER = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
                "_submitted_by", "__version__", "_tags", "_index"]


def _trailer(uuid: str, labels: bool) -> list[str]:
    return ["4312", uuid, "2026-11-30T17:20:54", "Approved" if labels else
            "validation_status_approved", "", "submitted_via_web", "auditor_kobo",
            "vGZ7Yx3kqT8", "", "1"]


def _labels_export(audit, answers: dict[int, str], *, groups: bool, locale="es",
                   uuid="9b1c5e0e-0001") -> tuple[list[str], list[str]]:
    """A Kobo "Labels" export of the audit's XLSForm: header and one row."""
    header = ["start", "end", "auditoria"]
    row = ["2026-11-30T08:05:17.827-06:00", "2026-11-30T11:40:02.101-06:00", audit.code]
    with force_locale(locale):
        for item in audit.items:
            prefix = (("Clause" if locale == "en" else "Cláusula") + f" {item.clause}/"
                      if groups else "")
            header += [prefix + offline.question_label(item),
                       prefix + offline.notes_label(item.position)]
            value = answers.get(item.position, "")
            row += [value, f"Visto en sitio ({item.position})" if value else ""]
    return header + KOBO_TRAILER, row + _trailer(uuid, labels=True)


def _write_csv(path: Path, header, *rows, delimiter=";", quoting=csv.QUOTE_ALL) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, quoting=quoting)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _write_xlsx(path: Path, header, *rows) -> Path:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _labelled(audit, result: ItemResult, locale="es") -> str:
    with force_locale(locale):
        return str(result.label)


def _answers(audit, locale="es"):
    answers = {i.position: _labelled(audit, ItemResult.CONFORM, locale) for i in audit.items}
    answers[2] = _labelled(audit, ItemResult.NONCONFORM, locale)
    answers[3] = _labelled(audit, ItemResult.OBSERVATION, locale)
    answers[4] = ""
    return answers


def _check_imported(audit, result):
    assert (result.submissions, result.answers) == (1, len(audit.items) - 1)
    by_position = {i.position: i for i in audit.items}
    assert by_position[2].result == ItemResult.NONCONFORM
    assert by_position[3].result == ItemResult.OBSERVATION
    assert by_position[1].result == ItemResult.CONFORM
    assert by_position[4].result is None
    assert by_position[2].notes == "Visto en sitio (2)"


@pytest.mark.parametrize(("groups", "kind"), [(False, "csv"), (True, "csv"), (True, "xlsx"),
                                              (False, "xlsx")],
                         ids=["csv", "csv-groups", "xlsx-groups", "xlsx"])
def test_kobo_labels_exports_import_as_answers(lead, process, tmp_path, groups, kind):
    audit = started(make_audit([process]))
    header, row = _labels_export(audit, _answers(audit), groups=groups)
    path = (_write_csv(tmp_path / "labels.csv", header, row) if kind == "csv"
            else _write_xlsx(tmp_path / "labels.xlsx", header, row))
    _check_imported(audit, offline.import_submission(audit, path, actor=lead))


def test_a_form_downloaded_in_english_comes_back_with_english_labels(lead, process, tmp_path):
    audit = started(make_audit([process]))
    header, row = _labels_export(audit, _answers(audit, "en"), groups=True, locale="en")
    assert any(h.startswith("Clause 8") and "Notes and evidence" in h for h in header)
    path = _write_csv(tmp_path / "en.csv", header, row)
    _check_imported(audit, offline.import_submission(audit, path, actor=lead))


def test_a_question_whose_text_holds_slashes_and_colons(lead, process, tmp_path):
    audit = started(make_audit([process]))
    audit.items[0].question = "¿Pagos/reintegros: firmados por el jefe - y archivados?"
    db.session.flush()
    header, row = _labels_export(audit, _answers(audit), groups=True)
    path = _write_csv(tmp_path / "slash.csv", header, row)
    _check_imported(audit, offline.import_submission(audit, path, actor=lead))


def test_kobo_xml_names_csv_semicolons_all_quoted_and_odk_central(lead, process, tmp_path):
    audit = started(make_audit([process]))
    header = ["start", "end", "auditoria"]
    row = ["2026-11-30T08:05:17.827-06:00", "2026-11-30T11:40:02.101-06:00", audit.code]
    odk_header = ["SubmissionDate", "start", "end", "auditoria"]
    odk_row = ["2026-11-30T17:20:54.000Z", row[0], row[1], audit.code]
    names = {1: "conforme", 2: "no_conforme", 3: "observacion", 4: ""}
    for item in audit.items:
        value = names.get(item.position, "no_aplica")
        group = f"c_{item.clause.replace('.', '_')}"
        header += [f"{group}/{item.field_name}", f"{group}/{item.field_name}_notas"]
        odk_header += [f"{group}-{item.field_name}", f"{group}-{item.field_name}_notas"]
        cells = [value, f"Visto en sitio ({item.position})" if value else ""]
        row += cells
        odk_row += cells
    kobo = _write_csv(tmp_path / "kobo.csv", header + KOBO_TRAILER,
                      row + _trailer("9b1c5e0e-0002", labels=False))
    result = offline.import_submission(audit, kobo, actor=lead)
    assert result.answers == len(audit.items) - 1
    # the same answers from ODK Central are the same submission only if the key is; a new
    # key with identical answers adds a submission and no answer
    odk_header += ["meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "ReviewState"]
    odk_row += ["uuid:odk-7", "uuid:odk-7", "5", "auditor", ""]
    odk = _write_csv(tmp_path / "odk.csv", odk_header, odk_row, delimiter=",",
                     quoting=csv.QUOTE_MINIMAL)
    again = offline.import_submission(audit, odk, actor=lead)
    assert (again.submissions, again.answers, again.already) == (1, 0, 0)


def test_a_bad_value_in_a_labels_export_names_row_and_column(lead, process, tmp_path):
    audit = started(make_audit([process]))
    answers = _answers(audit)
    answers[3] = "Más o menos"
    header, row = _labels_export(audit, answers, groups=True)
    second_header, second = _labels_export(audit, _answers(audit), groups=True, uuid="x-2")
    path = _write_csv(tmp_path / "bad.csv", header, second, row)
    with pytest.raises(ValidationError) as error:
        offline.import_submission(audit, path, actor=lead)
    column = header.index(next(h for h in header if h.endswith(offline.question_label(
        audit.items[2])))) + 1
    message = str(error.value.message)
    assert f"Fila 3, columna {column} («Cláusula" in message, message
    assert "«Más o menos» no es un resultado" in message
    assert all(i.result is None for i in audit.items), "nothing of the file is written"


def test_a_labels_export_of_another_version_of_the_form_is_refused(lead, process, tmp_path):
    audit = started(make_audit([process]))
    header, row = _labels_export(audit, _answers(audit), groups=False)
    header[3] = "1. ¿Una pregunta que esta lista no tiene?"
    header.insert(5, "40. ¿Otra pregunta?")
    row.insert(5, "Conforme")
    path = _write_csv(tmp_path / "old.csv", header, row)
    with pytest.raises(ValidationError) as error:
        offline.import_submission(audit, path, actor=lead)
    message = str(error.value.message)
    assert "Columna 4 («1. ¿Una pregunta que esta lista no tiene?»): la pregunta 1" in message
    assert "otra versión del formulario" in message
    assert "Columna 6 («40. ¿Otra pregunta?»): la pregunta 40 no existe" in message
    assert all(i.result is None for i in audit.items)


def test_two_columns_for_the_same_question_are_refused(lead, process, tmp_path):
    audit = started(make_audit([process]))
    header, row = _labels_export(audit, _answers(audit), groups=False)
    header.append("c_8_1/p1")
    row.append("conforme")
    path = _write_xlsx(tmp_path / "dup.xlsx", header, row)
    with pytest.raises(ValidationError) as error:
        offline.import_submission(audit, path, actor=lead)
    assert f"Columna {len(header)} («c_8_1/p1») repite la pregunta 1 de la columna 4" in str(
        error.value.message)
