"""Every register export has one shape: the file-name pattern, and in the XLSX a title
row, a bold header with an autofilter, column widths on every sheet.

The exports are found from the route matrix (every GET route ending in .csv, .xlsx or
.<fmt>), so an export added later is checked without a line here; the matrix's records
make each one non-empty.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from qms.core.time import today_local
from tests.matrix import PerActor
from tests.matrix.test_route_matrix import ROWS
from tests.matrix.test_route_matrix import database_template as database_template
from tests.matrix.test_route_matrix import matrix_files as matrix_files_fixture
from tests.matrix.test_route_matrix import matrix_world as matrix_world_fixture

# The route matrix's fixtures, under the names its tests use.
matrix_world = matrix_world_fixture
matrix_files = matrix_files_fixture

#: Files that are not register exports, with the reason.
NOT_REGISTERS = {
    # an XLSForm that KoboCollect loads: its sheets and columns are fixed by the format
    "/auditorias/<int:audit_id>/formulario.xlsx",
    # open data (Frictionless tabular data package): a bare table, named as its datapackage says
    "/transparencia/datos/<name>.<fmt>",
}
ACTOR = "calidad"  # the quality officer may export every register


def _export_paths(placeholders: dict) -> list[str]:
    paths = []
    for row in ROWS:
        if row.method != "GET" or row.is_api or row.rule in NOT_REGISTERS:
            continue
        if not re.search(r"\.(csv|xlsx|<fmt>)$", row.rule):
            continue
        values = {k: (v[ACTOR] if isinstance(v, PerActor) else v) for k, v in placeholders.items()}
        path = row.url.format(**values)
        for fmt in (("csv", "xlsx") if path.endswith(".<fmt>") or row.rule.endswith("<fmt>")
                    else (path.rpartition(".")[2].split("?")[0],)):
            paths.append(re.sub(r"\.(csv|xlsx)(\?|$)", rf".{fmt}\2", path))
    return sorted(set(paths))


@pytest.fixture
def officer(app, matrix_world, matrix_files):
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], matrix_world.sessions[ACTOR].cookie)
    return client


def test_every_export_has_the_same_name_title_row_filter_and_widths(officer, matrix_world):
    paths = _export_paths(matrix_world.placeholders)
    assert len(paths) >= 12, paths  # NCs, documents, complaints, surveys ×3, audit trail
    day = today_local().isoformat()
    name_pattern = re.compile(rf'filename="?sgc-[a-z0-9-]+-{day}\.(csv|xlsx)"?')
    problems = []
    for path in paths:
        response = officer.get(path)
        if response.status_code != 200:
            problems.append(f"{path}: {response.status_code}")
            continue
        disposition = response.headers["Content-Disposition"]
        if not name_pattern.search(disposition):
            problems.append(f"{path}: file name {disposition}")
        if path.split("?")[0].endswith(".csv"):
            text = response.get_data(as_text=True).lstrip("\ufeff")
            if not text.strip():
                problems.append(f"{path}: empty CSV")
            continue
        book = load_workbook(io.BytesIO(response.data))
        for sheet in book.worksheets:
            where = f"{path} [{sheet.title}]"
            header = [c.value for c in sheet[2]]
            if not sheet["A1"].value or sheet["A1"].font.b is not True:
                problems.append(f"{where}: no bold title in A1")
            if not header or not all(header) or not sheet["A2"].font.b:
                problems.append(f"{where}: row 2 is not a bold header: {header}")
            if not (sheet.auto_filter.ref or "").startswith("A2:"):
                problems.append(f"{where}: autofilter {sheet.auto_filter.ref!r}")
            widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[2]]
            if not all(w and w >= 6 for w in widths):
                problems.append(f"{where}: column widths {widths}")
            if sheet.freeze_panes != "A3":
                problems.append(f"{where}: header not frozen ({sheet.freeze_panes})")
    assert not problems, "\n".join(problems)


def test_nc_export_carries_actions_owners_due_dates_and_verifications(officer, matrix_world):
    book = load_workbook(io.BytesIO(officer.get("/no-conformidades/exportar.xlsx").data))
    assert [s.title for s in book.worksheets] == ["No conformidades", "Acciones y verificaciones"]
    ncs, actions = book.worksheets
    header = [c.value for c in ncs[2]]
    for column in ("Próximo vencimiento", "Responsables de las acciones",
                   "Verificación planificada el", "Verificador", "Verificada el"):
        assert column in header
    rows = list(actions.iter_rows(min_row=3, values_only=True))
    kinds = {r[1] for r in rows}
    assert "Acción correctiva" in kinds, rows
    action = next(r for r in rows if r[1] == "Acción correctiva")
    assert action[0].startswith("NC-") and action[5] and action[6] is not None  # owner, due
    csv_header = officer.get("/no-conformidades/exportar.csv").get_data(as_text=True) \
        .lstrip("\ufeff").splitlines()[0]
    assert "Responsables de las acciones" in csv_header and "Verificador" in csv_header
