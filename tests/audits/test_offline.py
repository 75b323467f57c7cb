"""Offline field capture: the XLSForm passes pyxform; a Kobo/ODK export comes back as the
audit's results, all or nothing, idempotent, refusing another audit's submission, unknown
items and answers that contradict what was recorded online."""

from __future__ import annotations

import csv
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from qms.audits import offline
from qms.audits.enums import AnswerSource, ItemResult
from qms.core import audit as trail
from qms.core.errors import ValidationError
from qms.extensions import db
from tests.audits.conftest import make_audit, started
from tests.conftest import user


def _export(path: Path, audit, answers: dict[int, str], *, uuid="uuid:abc-1", code=None,
            grouped=True, extra: dict | None = None, delimiter=","):
    header = ["start", "end", "auditoria"]
    row = ["2026-11-30T09:00:00-06:00", "2026-11-30T10:00:00-06:00", code or audit.code]
    for item in audit.items:
        prefix = f"c_{item.clause.replace('.', '_')}/" if grouped else ""
        header += [f"{prefix}{item.field_name}", f"{prefix}{item.field_name}_notas"]
        value = answers.get(item.position, "")
        row += [value, f"Nota {item.position}" if value else ""]
    for name, value in (extra or {}).items():
        header.append(name)
        row.append(value)
    header += ["meta/instanceID", "_uuid"]
    row += [uuid, uuid.removeprefix("uuid:")]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerow(row)
    return path


def test_the_xlsform_passes_pyxform_with_one_question_per_item(lead, process, tmp_path):
    audit = make_audit([process])
    body = offline.xlsform(audit)
    path = tmp_path / "form.xlsx"
    path.write_bytes(body)
    warnings: list[str] = []
    result = convert(xlsform=str(path), warnings=warnings, validate=False)
    xml = result.xform
    for item in audit.items:
        assert f"/{item.field_name}" in xml and f"/{item.field_name}_notas" in xml
    assert f"'{audit.code}'" in xml and "no_conforme" in xml
    sheet = load_workbook(BytesIO(body))["settings"]
    assert sheet["B2"].value == offline.form_id(audit)
    assert not [w for w in warnings if "error" in w.lower()]


def test_part_online_then_the_rest_offline(lead, process, tmp_path):
    audit = started(make_audit([process]))
    first = audit.items[0]
    from qms.audits import services

    services.answer_item(first, expected_version=first.version, result=ItemResult.CONFORM,
                         notes="Nota 1", actor=lead)
    answers = {i.position: "conforme" for i in audit.items}
    answers[3] = "no_conforme"
    result = offline.import_submission(audit, _export(tmp_path / "e.csv", audit, answers),
                                       actor=lead)
    assert (result.submissions, result.answers) == (1, len(audit.items) - 1)
    assert audit.items[2].result == ItemResult.NONCONFORM
    assert audit.items[2].notes == "Nota 3" and audit.items[2].source == AnswerSource.OFFLINE
    assert first.source == AnswerSource.WEB
    assert trail.history(db.session, audit)[-1].action == "offline_import"
    again = offline.import_submission(audit, _export(tmp_path / "e.csv", audit, answers),
                                      actor=lead)
    assert (again.submissions, again.already) == (0, 1)


def test_xlsx_export_without_groups_and_labels_as_values(lead, process, tmp_path):
    audit = started(make_audit([process]))
    book = Workbook()
    sheet = book.active
    sheet.append(["auditoria", "p1", "p1_notas", "p2", "KEY"])
    sheet.append([audit.code, "No aplica", "", "Observación", "uuid:x-9"])
    path = tmp_path / "odk.xlsx"
    book.save(path)
    with pytest.raises(ValidationError, match="pregunta 2"):  # an observation needs its note
        offline.import_submission(audit, path, actor=lead)
    sheet["D2"] = "Conforme"
    book.save(path)
    result = offline.import_submission(audit, path, actor=lead)
    assert result.answers == 2 and audit.items[0].result == ItemResult.NOT_APPLICABLE


@pytest.mark.parametrize("kwargs, message", [
    (dict(code="AI-2020-99"), "es de la auditoría «AI-2020-99»"),
    (dict(extra={"c_9/p99": "conforme"}), "la pregunta 99 no existe"),
    (dict(answers={1: "regular"}), "«regular» no es un resultado"),
])
def test_bad_submissions_are_refused_whole(lead, process, tmp_path, kwargs, message):
    audit = started(make_audit([process]))
    answers = kwargs.pop("answers", {1: "conforme", 2: "conforme"})
    path = _export(tmp_path / "e.csv", audit, answers, **kwargs)
    with pytest.raises(ValidationError) as error:
        offline.import_submission(audit, path, actor=lead)
    assert message in str(error.value.message)
    assert all(i.result is None for i in audit.items)


def test_an_answer_that_contradicts_the_online_one_is_a_conflict(lead, process, tmp_path):
    from qms.audits import services

    audit = started(make_audit([process]))
    item = audit.items[1]
    services.answer_item(item, expected_version=item.version, result=ItemResult.CONFORM,
                         notes="Visto", actor=lead)
    path = _export(tmp_path / "e.csv", audit, {1: "conforme", 2: "no_conforme"},
                   delimiter=";")
    with pytest.raises(ValidationError, match="pregunta 2: ya tiene la respuesta «Conforme»"):
        offline.import_submission(audit, path, actor=lead)
    assert audit.items[0].result is None and item.result == ItemResult.CONFORM


def test_a_planned_audit_takes_no_submission_and_junk_is_named(lead, process, tmp_path):
    audit = make_audit([process])
    with pytest.raises(ValidationError, match="en ejecución"):
        offline.import_submission(audit, _export(tmp_path / "e.csv", audit, {1: "conforme"}),
                                  actor=lead)
    started(audit)
    junk = tmp_path / "x.csv"
    junk.write_bytes(b"%PDF-1.4 not a table")
    with pytest.raises(ValidationError, match="no es CSV ni XLSX"):
        offline.import_submission(audit, junk, actor=lead)
    other = tmp_path / "o.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="auditoria"):
        offline.import_submission(audit, other, actor=user("auditor"))
