"""Field exports that must not fool the importer: each case with files written for it.

Every case comes in several variants (CSV with ``;`` and ``,``, UTF-8, UTF-16, XLSX
written with openpyxl), because real exports vary; the assertions are what an officer
would see: the row and column named, nothing imported, or the right answers stored.
"""

from __future__ import annotations

import codecs
import io
import json
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from qms.core import audit
from qms.core.audit import AuditEvent
from qms.core.db import now_utc
from qms.extensions import db
from qms.surveys import publishing, reader, services, values
from qms.surveys.models import BatchStatus, ImportBatch, Response, WaveStatus
from tests.surveys.conftest import HEADER, counts, csv_bytes, good_row, run_import


def xlsx_bytes(header: list[str], rows: list[list], extra: dict | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cell, value in (extra or {}).items():
        sheet[cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_xlsx(rows: list[dict], header: list[str] = HEADER) -> bytes:
    return xlsx_bytes(header, [[row.get(h, "") for h in header] for row in rows])


def encoded(rows: list[dict], variant: str, header: list[str] = HEADER) -> tuple[str, bytes]:
    """The same rows as one of the formats real exports come in."""
    if variant == "xlsx":
        return "export.xlsx", as_xlsx(rows, header)
    if variant == "utf16":  # Excel's "Unicode text": UTF-16 LE with BOM, tab separated
        text = csv_bytes(rows, header=header, delimiter="\t").decode("utf-8")
        return "export.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    delimiter = {"semicolon": ";", "comma": ","}[variant]
    return "export.csv", csv_bytes(rows, header=header, delimiter=delimiter)


VARIANTS = ["semicolon", "comma", "utf16", "xlsx"]


def problems_of(report) -> dict[int | None, list[str]]:
    found: dict[int | None, list[str]] = {}
    for p in report.problems:
        found.setdefault(p.row, []).append(f"{p.column}: {p.reason}")
    return found


def assert_nothing_imported(report) -> None:
    assert not report.accepted and report.imported == 0
    assert counts()["responses"] == 0 and counts()["aggregates"] == 0
    batch = db.session.get(ImportBatch, report.batch_id)
    assert batch.status == BatchStatus.REJECTED


# ------------------------------------------------------------------ repeated submissions


@pytest.mark.parametrize("variant", VARIANTS)
def test_one_submission_id_with_different_answers_names_both_rows(wave, write, variant):
    rows = [good_row(1), good_row(2), good_row(3, **{"_uuid": good_row(1)["_uuid"],
                                                     "satisfaccion/p1_trato": "1"}),
            good_row(4)]
    name, data = encoded(rows, variant)
    report = run_import(wave, write(name, data))
    found = problems_of(report)
    uuid = good_row(1)["_uuid"]
    assert any(uuid in r and "fila 4" in r for r in found[2])  # row 2 names row 4
    assert any(uuid in r and "fila 2" in r for r in found[4])  # and row 4 names row 2
    assert report.invalid == 2
    assert_nothing_imported(report)


def test_with_skip_invalid_neither_conflicting_row_is_imported(wave, write):
    rows = [good_row(1), good_row(2, **{"_uuid": good_row(1)["_uuid"],
                                        "satisfaccion/p2_informacion": "1"}), good_row(3)]
    report = run_import(wave, write("x.csv", csv_bytes(rows)), skip_invalid=True)
    assert report.accepted and report.imported == 1 and report.invalid == 2
    stored = db.session.scalars(select(Response.submission_uuid)).all()
    assert stored == [good_row(3)["_uuid"]]


@pytest.mark.parametrize("variant", VARIANTS)
def test_identical_repeats_are_folded_and_said_and_reimport_adds_nothing(wave, write,
                                                                         variant):
    rows = [good_row(1), good_row(1), good_row(2), good_row(1), good_row(2)]
    name, data = encoded(rows, variant)
    report = run_import(wave, write(name, data))
    assert report.accepted, report.problems
    assert (report.imported, report.folded, report.duplicates) == (2, 3, 0)
    again = run_import(wave, write(name, data))
    assert (again.imported, again.duplicates, again.folded) == (0, 2, 3)
    assert counts()["responses"] == 2
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "import").order_by(AuditEvent.id)).first()
    assert json.loads(event.note)["folded"] == 3


# ------------------------------------------------------------------ ragged rows


def _ragged_csv(delimiter: str, change) -> bytes:
    lines = csv_bytes([good_row(n) for n in range(1, 5)], delimiter=delimiter).decode()
    rows = lines.split("\r\n")
    rows[2] = change(rows[2], delimiter)  # the second data row, spreadsheet row 3
    return "\r\n".join(rows).encode()


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("change, found", [
    (lambda row, d: row.rsplit(d, 2)[0], len(HEADER) - 2),            # two cells short
    (lambda row, d: row + d + '"extra"', len(HEADER) + 1),             # one cell too many
    (lambda row, d: row.split(d, 1)[1], len(HEADER) - 1),              # the first cell lost
])
def test_ragged_rows_are_refused_with_expected_and_found_counts(wave, write, delimiter,
                                                                change, found):
    report = run_import(wave, write("ragged.csv", _ragged_csv(delimiter, change)))
    reasons = problems_of(report)
    assert list(reasons) == [3]
    assert f"{found} celdas" in reasons[3][0] and f"{len(HEADER)} columnas" in reasons[3][0]
    assert_nothing_imported(report)


def test_xlsx_value_past_the_header_is_a_ragged_row(wave, write):
    data = xlsx_bytes(HEADER, [[good_row(n)[h] for h in HEADER] for n in range(1, 4)],
                      extra={"T3": "celda suelta"})  # column 20, header has 17
    report = run_import(wave, write("ragged.xlsx", data))
    reasons = problems_of(report)
    assert list(reasons) == [3] and "20 celdas" in reasons[3][0]
    assert_nothing_imported(report)


def test_xlsx_trailing_empty_cells_are_not_ragged(wave, write):
    data = xlsx_bytes(HEADER, [[good_row(n)[h] for h in HEADER] + ["", None]
                               for n in range(1, 4)])
    report = run_import(wave, write("ok.xlsx", data))
    assert report.accepted and report.imported == 3, report.problems


# ------------------------------------------------------------------ submission dates


def _future() -> str:
    return (now_utc() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.parametrize("variant", ["semicolon", "utf16", "xlsx"])
def test_future_submission_dates_are_errors(wave, write, variant):
    rows = [good_row(1), good_row(2, _submission_time=_future())]
    name, data = encoded(rows, variant)
    report = run_import(wave, write(name, data), allow_outside_period=True)
    reasons = problems_of(report)
    assert list(reasons) == [3] and "en el futuro" in reasons[3][0]
    assert reasons[3][0].startswith("_submission_time:")
    assert_nothing_imported(report)


@pytest.mark.parametrize("when", [
    "2024-04-02T10:00:00",            # ISO, UTC
    "2024-02-29T23:30:00-06:00",      # the day before the period, Honduras time
    "02/04/2024 10:00",               # day-first, as a Spanish Excel writes it
    "45384.5",                        # an Excel serial date (2024-04-02 12:00)
])
def test_dates_outside_the_period_are_refused_unless_confirmed(wave, write, when):
    rows = [good_row(1), good_row(2, _submission_time=when), good_row(3)]
    path = write("late.csv", csv_bytes(rows))
    refused = run_import(wave, path)
    reasons = problems_of(refused)
    assert list(reasons) == [3] and "fuera del periodo" in reasons[3][0]
    assert refused.outside_period_refused == 1
    assert_nothing_imported(refused)
    allowed = run_import(wave, path, allow_outside_period=True)
    assert allowed.accepted and allowed.imported == 3 and allowed.outside_period == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    note = json.loads(event.note)
    assert note["allow_outside_period"] is True and note["outside_period"] == 1


def test_the_period_is_local_time(wave, write):
    """2024-03-31 23:30 in Tegucigalpa is 2024-04-01 05:30 UTC: still inside the wave."""
    rows = [good_row(1, _submission_time="2024-04-01T05:30:00")]
    report = run_import(wave, write("edge.csv", csv_bytes(rows)))
    assert report.accepted and report.outside_period == 0, report.problems


def test_xlsx_date_cells_are_read_as_dates(wave, write):
    header_index = HEADER.index("_submission_time")
    cells = [[good_row(n)[h] for h in HEADER] for n in range(1, 3)]
    cells[0][header_index] = datetime(2024, 3, 5, 17, 20, 54)
    cells[1][header_index] = datetime(2024, 5, 5, 9, 0, 0)
    report = run_import(wave, write("dates.xlsx", xlsx_bytes(HEADER, cells)))
    assert list(problems_of(report)) == [3]
    assert "fuera del periodo" in problems_of(report)[3][0]


def test_webhook_refuses_future_dates(client, wave):
    secret = services.rotate_webhook_secret(wave.survey)
    db.session.commit()
    body = {**good_row(9), "_submission_time": _future()}
    response = client.post("/api/v1/surveys/SAT-BVM/kobo", json=body,
                           headers={"X-QMS-Secret": secret})
    assert response.status_code == 422
    assert "en el futuro" in response.get_json()["errors"][0]["reason"]


# ------------------------------------------------------------------ no data rows


@pytest.mark.parametrize("name, data", [
    ("solo-encabezado.csv", csv_bytes([])),
    ("solo-encabezado-blancos.csv", csv_bytes([]) + b"\r\n\r\n  \r\n"),
    ("solo-encabezado.txt", codecs.BOM_UTF16_LE + csv_bytes([], delimiter="\t")
     .decode().encode("utf-16-le")),
    ("solo-encabezado.xlsx", xlsx_bytes(HEADER, [])),
])
def test_a_header_only_file_says_it_has_no_data_rows(wave, write, name, data):
    report = run_import(wave, write(name, data))
    assert "no tiene filas de datos" in report.file_problem
    assert_nothing_imported(report)


def test_cli_exits_non_zero_on_a_header_only_file(app, wave, write):
    path = write("vacio.csv", csv_bytes([]))
    result = app.test_cli_runner().invoke(args=["qms", "import-survey", str(path), "--survey",
                                                "SAT-BVM", "--wave", "2024-1"])
    assert result.exit_code == 1
    assert "no tiene filas de datos" in result.output and "REJECTED" in result.output


# ------------------------------------------------------------------ long text


@pytest.mark.parametrize("length, kept", [(2_500, True), (values.MAX_TEXT, True),
                                          (values.MAX_TEXT + 1, False)])
@pytest.mark.parametrize("variant", ["semicolon", "xlsx"])
def test_text_answers_are_kept_whole_up_to_the_documented_limit(wave, write, length, kept,
                                                                variant):
    text = ("Comentario largo; con «comillas» y acentos: ñandú. " * 300)[:length]
    rows = [good_row(1), good_row(2, comentario=text)]
    name, data = encoded(rows, variant)
    report = run_import(wave, write(name, data))
    if kept:
        assert report.accepted, report.problems
        stored = db.session.scalar(select(Response.answers).where(
            Response.submission_uuid == good_row(2)["_uuid"]))
        assert stored["comentario"] == text.strip() and len(stored["comentario"]) >= length - 1
    else:
        reasons = problems_of(report)
        assert list(reasons) == [3] and reasons[3][0].startswith("comentario:")
        assert f"{values.MAX_TEXT:,}" in reasons[3][0]
        assert_nothing_imported(report)


def test_a_field_past_the_reader_limit_says_so_with_the_row(wave, write):
    rows = [good_row(1), good_row(2), good_row(3, comentario="x" * (reader.FIELD_LIMIT + 10))]
    report = run_import(wave, write("huge.csv", csv_bytes(rows)))
    reasons = problems_of(report)
    assert list(reasons) == [4]
    assert f"{reader.FIELD_LIMIT:,}" in reasons[4][0] and "límite" in reasons[4][0]
    assert "truncado" not in reasons[4][0]
    assert_nothing_imported(report)


# ------------------------------------------------------------------ another project's form


COMMUNITY = """
code: ORAL
title: Community heritage
questions:
  - {code: practices, text: "Which practices are alive in your community?", type: multiple,
     required: true,
     choices: {oral: "Oral storytelling", appr: "Apprenticeships",
               rituals: "Rituals and ceremonies", schools: "Schools/educational institutions",
               sms: "Mensaje de texto", lider: "Líder comunitario", texto: "Texto"}}
  - {code: rating, text: "How do you rate the programme?", type: likert5, required: true}
  - {code: porque, text: "¿Por qué?", type: text}
  - {code: porque2, text: "¿Por qué?", type: text}
"""
QUESTION = "Which practices are alive in your community?"


@pytest.fixture
def community(app_ctx):
    with audit.acting_as(audit.SYSTEM):
        version = services.load_yaml(COMMUNITY, publish=True)
        created = services.create_wave(version.survey, code="2024-1", name="Oral",
                                       starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
        services.move_wave(created, WaveStatus.OPEN)
        db.session.commit()
    return created


def _community_row(n: int, **cells) -> dict:
    return {"_uuid": f"oral-{n}", "_submission_time": "2024-03-05T10:00:00",
            "Departamento": "Francisco Morazán", "Municipio": "Distrito Central",
            "How do you rate the programme?": "Satisfecho", **cells}


BASE = ["_uuid", "_submission_time", "Departamento", "Municipio",
        "How do you rate the programme?"]
OPTIONS = [f"{QUESTION}/{label}" for label in (
    "Oral storytelling", "Apprenticeships", "Rituals and ceremonies",
    "Schools/educational institutions", "Mensaje de texto", "Líder comunitario", "Texto")]


@pytest.mark.parametrize("variant", VARIANTS)
def test_label_export_with_per_option_columns_uses_them(community, write, variant):
    """A real label export: the summary joins labels with spaces, and one label contains
    the group separator; the 1/0 columns say what was chosen."""
    header = [*BASE, QUESTION, *OPTIONS]
    rows = [
        _community_row(1, **{QUESTION: "Oral storytelling Apprenticeships Rituals and "
                                        "ceremonies", **dict.fromkeys(OPTIONS[:3], "1"),
                             **dict.fromkeys(OPTIONS[3:], "0")}),
        _community_row(2, **{QUESTION: "Schools/educational institutions",
                             **dict.fromkeys(OPTIONS, "0"), OPTIONS[3]: "1"}),
        _community_row(3, **{QUESTION: "Apprenticeships", **dict.fromkeys(OPTIONS, "0"),
                             OPTIONS[1]: "1"}),
    ]
    name, data = encoded(rows, variant, header)
    report = run_import(community, write(name, data))
    assert report.accepted, report.problems
    assert report.unknown_columns == []
    stored = {r.submission_uuid: r.answers["practices"] for r in db.session.scalars(
        select(Response))}
    assert stored == {"oral-1": ["oral", "appr", "rituals"], "oral-2": ["schools"],
                      "oral-3": ["appr"]}


@pytest.mark.parametrize("text, expected", [
    ("Oral storytelling Apprenticeships Rituals and ceremonies", ["oral", "appr", "rituals"]),
    ("Mensaje de texto Líder comunitario", ["sms", "lider"]),
    ("Texto Mensaje de texto", ["texto", "sms"]),       # a label inside another label
    ("Mensaje de texto Texto", ["sms", "texto"]),
    ("lider comunitario  MENSAJE DE TEXTO", ["lider", "sms"]),  # case, accents, spaces
    ("oral appr", ["oral", "appr"]),                    # an XML-values export
    ("Schools/educational institutions Texto", ["schools", "texto"]),
])
def test_label_summary_without_option_columns_matches_known_labels(community, write, text,
                                                                   expected):
    header = [*BASE, QUESTION]
    report = run_import(community, write("s.csv", csv_bytes(
        [_community_row(1, **{QUESTION: text})], header=header)))
    assert report.accepted, report.problems
    assert db.session.scalar(select(Response.answers))["practices"] == expected


def test_only_what_no_label_explains_is_refused(community, write):
    header = [*BASE, QUESTION]
    rows = [_community_row(1, **{QUESTION: "Oral storytelling Dancing"})]
    report = run_import(community, write("s.csv", csv_bytes(rows, header=header)))
    reason = problems_of(report)[2][0]
    assert "Dancing" in reason and "storytelling" not in reason
    assert_nothing_imported(report)


def test_duplicated_labels_are_refused_until_mapped(community, write):
    """Two questions share the label "¿Por qué?": the column is ambiguous, never guessed;
    mapping each repeated header (told apart as "¿Por qué? (2)") resolves it."""
    header = [*BASE, QUESTION, "¿Por qué?", "¿Por qué?"]
    data = csv_bytes([], header=header) + b'"oral-1";"2024-03-05T10:00:00";"08";"0801";' \
        b'"Satisfecho";"Texto";"primera";"segunda"\r\n'
    report = run_import(community, write("dup.csv", data))
    assert "¿Por qué?" in report.file_problem and "porque, porque2" in report.file_problem
    assert_nothing_imported(report)
    again = run_import(community, write("dup.csv", data),
                       mapping={"¿Por qué?": "porque", "¿Por qué? (2)": "porque2"})
    assert again.accepted, again.problems
    answers = db.session.scalar(select(Response.answers))
    assert (answers["porque"], answers["porque2"]) == ("primera", "segunda")


# ------------------------------------------------------------------ places by name


@pytest.mark.parametrize("dept, muni, expected", [
    ("Francisco Morazán", "Distrito Central", ("08", "0801")),
    ("FRANCISCO MORAZAN", "Tegucigalpa", ("08", "0801")),       # a known variant
    ("Intibucá", "San Miguelito", ("10", "1014")),               # a variant, in its dept
    ("Francisco Morazán", "San Miguelito", ("08", "0821")),      # same name, other dept
    ("", "Distrito Central", ("08", "0801")),                    # the name is unique
    ("Copán", "", ("04", None)),
])
def test_places_given_by_name_resolve_within_the_department(community, write, dept, muni,
                                                            expected):
    rows = [_community_row(1, **{QUESTION: "Texto", "Departamento": dept, "Municipio": muni})]
    report = run_import(community, write("p.csv", csv_bytes(rows, header=[*BASE, QUESTION])))
    assert report.accepted, report.problems
    stored = db.session.scalar(select(Response))
    assert (stored.department_code, stored.municipality_code) == expected


@pytest.mark.parametrize("dept, muni, column, words", [
    ("Francisco Morazán", "Ciudad Inventada", "Municipio", ["Ciudad Inventada",
                                                            "desconocido", "08"]),
    ("", "San Francisco", "Municipio", ["varios municipios", "0106", "1317"]),
    ("Atlántida Norte", "La Ceiba", "Departamento", ["Atlántida Norte", "desconocido"]),
    ("Copán", "Distrito Central", "Municipio", ["Distrito Central", "desconocido", "04"]),
    ("04", "0801", "Municipio", ["0801", "otro departamento"]),
])
def test_unknown_or_ambiguous_places_are_named(community, write, dept, muni, column, words):
    rows = [_community_row(1, **{QUESTION: "Texto", "Departamento": dept, "Municipio": muni})]
    report = run_import(community, write("p.csv", csv_bytes(rows, header=[*BASE, QUESTION])))
    reason = problems_of(report)[2][0]
    assert reason.startswith(f"{column}:")
    for word in words:
        assert word in reason
    assert_nothing_imported(report)


# ------------------------------------------------------------------ encodings


@pytest.mark.parametrize("encoding, bom", [("utf-16-le", codecs.BOM_UTF16_LE),
                                           ("utf-16-be", codecs.BOM_UTF16_BE),
                                           ("utf-16-le", b"")])
def test_utf16_unicode_text_is_detected_and_read(wave, write, encoding, bom):
    text = csv_bytes([good_row(n) for n in range(1, 4)], delimiter="\t").decode("utf-8")
    report = run_import(wave, write("unicode.txt", bom + text.encode(encoding)))
    assert report.accepted, report.problems
    assert report.file_format == "csv UTF-16 TAB" and report.imported == 3
    assert db.session.scalar(select(Response.answers))["comentario"] == \
        "Atención buena; «sin» quejas"


def test_utf8_bom_header_is_not_an_unknown_column(wave, write):
    data = codecs.BOM_UTF8 + csv_bytes([good_row(1)], delimiter=",")
    report = run_import(wave, write("bom.csv", data))
    assert report.accepted and report.unknown_columns == []


def test_nothing_is_left_behind_in_the_staging_folder(app, wave, write):
    run_import(wave, write("a.csv", csv_bytes([good_row(1)])))
    run_import(wave, write("b.csv", csv_bytes([good_row(2, **{"satisfaccion/p1_trato": "9"})])))
    folder = app.config["INSTANCE_DIR"] / "survey-imports"
    assert list(folder.glob("staging-*")) == []
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 2


def test_importer_report_batches_match(wave, write):
    report = run_import(wave, write("a.csv", csv_bytes([good_row(1), good_row(1)])))
    batch = db.session.get(ImportBatch, report.batch_id)
    assert batch.status == BatchStatus.IMPORTED and batch.rows_imported == 1
    assert publishing.recover_interrupted() == 0
