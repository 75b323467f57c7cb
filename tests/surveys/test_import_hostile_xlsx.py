"""Hostile XLSX exports: a zip bomb, a shared-strings table too big to hold, too many
columns or rows, broken XML. Each becomes a clear refusal (``FileProblem`` for the
importer, a form error on the upload page), never a 500 or a memory blow-up, and in
well under a second."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook

from qms.surveys.reader import FileProblem, open_table
from tests.conftest import post_form
from tests.surveys.conftest import HEADER, good_row, make_wave, run_import
from tests.surveys.test_import import _assert_nothing_imported


def _book(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewrite(data: bytes, member: str, change) -> bytes:
    """The same workbook with one member's bytes replaced by ``change(bytes)``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == member:
                body = change(body)
            target.writestr(item.filename, body, compress_type=zipfile.ZIP_DEFLATED,
                            compresslevel=9)
    return out.getvalue()


def _good() -> list[list]:
    return [HEADER] + [[good_row(n)[h] for h in HEADER] for n in range(1, 3)]


def zip_bomb(inflated_mb: int = 60) -> bytes:
    """A valid workbook whose sheet XML carries ``inflated_mb`` MB of whitespace: the file
    weighs about 60 KB, reading it would parse 60 MB."""
    padding = b" " * (inflated_mb * 1_000_000)
    return _rewrite(_book(_good()), "xl/worksheets/sheet1.xml",
                    lambda body: body.replace(b"<sheetData>", b"<sheetData>" + padding, 1))


@pytest.fixture
def bounds(app_ctx):
    """Set parser bounds for one test; restore them after."""
    saved = dict(app_ctx.config)

    def _set(**values):
        app_ctx.config.update(values)

    yield _set
    for name in ("XLSX_MAX_ROWS", "XLSX_MAX_COLUMNS", "XLSX_MAX_RATIO", "XLSX_MIN_INFLATED",
                 "XLSX_MAX_SHARED_STRINGS"):
        app_ctx.config[name] = saved[name]


def _refused(path, match: str) -> FileProblem:
    started = time.perf_counter()
    with pytest.raises(FileProblem) as caught:
        table = open_table(path)
        try:
            for _ in table.rows:
                pass
        finally:
            table.close()
    assert time.perf_counter() - started < 2
    assert match in str(caught.value.message)
    return caught.value


def test_a_zip_bomb_is_refused_before_it_is_inflated(wave, write, bounds):
    path = write("bomba.xlsx", zip_bomb())
    assert path.stat().st_size < 200_000
    problem = _refused(path, "bomba de compresión")
    assert "60 MB" in str(problem.message)
    report = run_import(wave, path)
    assert "bomba de compresión" in report.file_problem
    _assert_nothing_imported(report)


def test_a_large_real_export_is_not_mistaken_for_a_bomb(wave, write):
    """Ordinary XLSX inflates 5–20×: far below the ratio bound."""
    rows = [HEADER] + [[good_row(n)[h] for h in HEADER] for n in range(1, 400)]
    data = _book(rows)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        inflated = sum(m.file_size for m in archive.infolist())
    assert inflated / len(data) < 20
    report = run_import(wave, write("grande.xlsx", data))
    assert report.accepted, report.problems


def _with_shared_strings(data: bytes, part: str, count: int) -> bytes:
    """The workbook plus a shared-strings table of ``count`` distinct strings, declared in
    ``[Content_Types].xml`` under ``part`` (where openpyxl looks for it)."""
    strings = b"".join(b"<si><t>%08x-%d-%s</t></si>" % (n * 2654435761 % 2**32, n, b"x" * 40)
                       for n in range(count))
    table = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats'
             b'.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>'
             % (count, count, strings))
    override = (f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-'
                'officedocument.spreadsheetml.sharedStrings+xml"/></Types>').encode()
    with_types = _rewrite(data, "[Content_Types].xml",
                          lambda body: body.replace(b"</Types>", override))
    out = io.BytesIO(with_types)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(part, table)
    return out.getvalue()


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/otro-nombre.xml"])
def test_a_huge_shared_strings_table_is_refused(write, bounds, part):
    bounds(XLSX_MAX_SHARED_STRINGS=200_000)
    data = _with_shared_strings(_book(_good()), part, 5_000)
    _refused(write("textos.xlsx", data), "tabla de textos")


def test_a_small_shared_strings_table_is_read(write):
    data = _with_shared_strings(_book(_good()), "xl/sharedStrings.xml", 50)
    table = open_table(write("textos.xlsx", data))
    try:
        assert table.header == HEADER
        assert len(list(table.rows)) == 2
    finally:
        table.close()


def test_too_many_columns_are_refused_with_the_row(write, bounds):
    bounds(XLSX_MAX_COLUMNS=10)
    problem = _refused(write("ancho.xlsx", _book([[f"c{n}" for n in range(30)]])),
                       "más de 10 columnas")
    assert problem.row == 1


def test_a_broken_shared_strings_table_is_a_file_problem(write):
    data = _with_shared_strings(_book(_good()), "xl/sharedStrings.xml", 5)
    data = _rewrite(data, "xl/sharedStrings.xml", lambda body: body[:-20])
    _refused(write("roto.xlsx", data), "XLSX")


def test_too_many_rows_are_refused_with_the_row(wave, write, bounds):
    bounds(XLSX_MAX_ROWS=3)
    rows = [HEADER] + [[good_row(n)[h] for h in HEADER] for n in range(1, 6)]
    problem = _refused(write("largo.xlsx", _book(rows)), "más de 3 filas")
    assert problem.row == 4
    # Not a damaged row to skip: the whole file is refused, even when skipping invalid rows.
    report = run_import(wave, write("largo.xlsx", _book(rows)), skip_invalid=True)
    assert "más de 3 filas" in report.file_problem
    _assert_nothing_imported(report)


@pytest.mark.parametrize("member, change", [
    ("xl/worksheets/sheet1.xml", lambda body: body[: len(body) // 2]),  # cut XML
    ("xl/workbook.xml", lambda body: b"<workbook"),
    ("[Content_Types].xml", lambda body: b"\x00\xff not xml"),
])
def test_broken_xml_inside_a_valid_zip_is_a_file_problem(write, member, change):
    data = _rewrite(_book(_good()), member, change)
    _refused(write("roto.xlsx", data), "XLSX")


def test_the_upload_page_refuses_a_zip_bomb_with_a_message(app, login_as):
    wave_id = make_wave(app)
    client = login_as("calidad")
    response = post_form(client, f"/encuestas/rondas/{wave_id}/importar",
                         {"file": (io.BytesIO(zip_bomb()), "ronda.xlsx")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert "bomba de compresión" in response.get_data(as_text=True)
