"""Bounded parsers: a YAML alias bomb and an XLSX that lies about its size cost nothing."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
from openpyxl import Workbook

from qms.core import parsers
from tests.conftest import post_form

BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
       for i in range(8)]
    + ["code: BOMBA", "title: Bomba", "questions: []"]
)


def test_a_yaml_alias_bomb_is_refused_at_once(app, login_as):
    client = login_as("calidad")
    started = time.perf_counter()
    response = post_form(client, "/encuestas/cargar",
                         {"file": (io.BytesIO(BOMB.encode()), "bomba.yaml")},
                         token_from="/encuestas/", content_type="multipart/form-data",
                         follow_redirects=True)
    elapsed = time.perf_counter() - started
    assert elapsed < 2, elapsed
    assert "anclas o alias" in response.get_data(as_text=True)


def test_plain_yaml_still_loads_and_oversized_yaml_is_refused(app_ctx):
    assert parsers.load_yaml("code: A\nquestions: [1, 2]") == {"code": "A", "questions": [1, 2]}
    app_ctx.config["YAML_MAX_BYTES"] = 100
    try:
        with pytest.raises(parsers.ParseLimit, match="supera"):
            parsers.load_yaml("x: " + "y" * 200)
    finally:
        app_ctx.config["YAML_MAX_BYTES"] = 1024 * 1024


def _lying_xlsx() -> bytes:
    """A small workbook whose sheet claims 2,000,000 rows × 16,384 columns."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["_uuid", "p1_trato", "p2_tiempo"])
    sheet.append(["u1", 5, 4])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD2000000"/>',
                              data)
            target.writestr(item, data)
    return out.getvalue()


def test_an_xlsx_header_is_read_without_trusting_the_claimed_size(app_ctx):
    started = time.perf_counter()
    header = parsers.xlsx_header(io.BytesIO(_lying_xlsx()))
    assert time.perf_counter() - started < 1
    assert header == ("_uuid", "p1_trato", "p2_tiempo")


def test_xlsx_rows_stop_at_the_row_cap(app_ctx):
    app_ctx.config["XLSX_MAX_ROWS"] = 1
    try:
        rows = parsers.open_xlsx_rows(io.BytesIO(_lying_xlsx()))
        assert next(rows) == ("_uuid", "p1_trato", "p2_tiempo")
        with pytest.raises(parsers.ParseLimit, match="más de 1 filas"):
            next(rows)
    finally:
        app_ctx.config["XLSX_MAX_ROWS"] = 1_000_000
