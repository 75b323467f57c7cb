"""The register export reads plain rows in batches: the same content as the NCs' own
objects give, in the CSV and in the XLSX, and a query count that grows by a fixed step
per batch of NCs, never per NC."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select, update

from qms.core import audit, geo
from qms.core.time import to_local, today_local
from qms.extensions import db
from qms.nonconformities import export, figures, register, services
from qms.nonconformities.models import CorrectiveAction, Nonconformity
from tests.conftest import PASSWORD, user
from tests.nonconformities.conftest import (
    make_nc,
    make_process,
    to_action_plan,
    to_analysis,
    to_implementation,
    to_verification,
    verified,
)

P = "/no-conformidades"


def _known_register() -> list[Nonconformity]:
    """NCs in every state, with what each export column summarises: several owners, an
    overdue action, a pending, an effective and a not-effective verification, a second
    analysis round, a closing, a place, formula-like text."""
    pag, sal = make_process("PAG"), make_process("SAL", owner="calidad")
    ncs = [make_nc(pag, title="=HYPERLINK(\"http://x.example\")", department_code="08",
                   municipality_code="0801"),
           to_analysis(make_nc(sal, source="citizen_complaint", severity="minor")),
           to_action_plan(make_nc(pag, description="@SUM(1)")),
           to_implementation(make_nc(sal), owners=("duenio", "calidad", "duenio")),
           to_verification(make_nc(pag, department_code="01")),
           verified(make_nc(sal), result="not_effective"),
           verified(make_nc(pag))]
    services.close_nonconformity(ncs[-1], expected_version=ncs[-1].version,
                                 actor=user("admin"), password=PASSWORD)
    # one action past its due date (the services refuse to plan one in the past)
    db.session.execute(update(CorrectiveAction).where(
        CorrectiveAction.nc_id == ncs[3].id, CorrectiveAction.number == 2)
        .values(due_on=today_local() - timedelta(days=2)))
    figures.rebuild()  # a row written without the ORM: recount the maintained figures
    db.session.commit()
    db.session.expire_all()
    return ncs


def _from_objects(filters: register.Filters) -> tuple[list[list], list[list]]:
    """The export's rows computed from the ORM objects, the way the export computed them
    before it read plain rows: the reference the new export must equal."""
    ncs = db.session.scalars(register.register_query(filters)).all()
    rows, actions = [], []
    for nc in ncs:
        analysis = nc.current_analysis or (nc.analyses[-1] if nc.analyses else None)
        dep, mun = geo.department(nc.department_code), geo.municipality(nc.municipality_code)
        open_actions = nc.open_actions
        verification = nc.verifications[-1] if nc.verifications else None
        rows.append([
            nc.code, nc.title, nc.status.label, nc.last_result.label if nc.last_result else "",
            nc.source.label, nc.severity.label, f"{nc.process.code} {nc.process.name}",
            dep.name if dep else "", mun.name if mun else "", nc.detected_on,
            nc.detected_by.full_name, len(nc.actions), len(open_actions),
            "Sí" if nc.overdue else "No", min((a.due_on for a in open_actions), default=None),
            ", ".join(sorted({a.owner.full_name for a in nc.actions})),
            verification.planned_on if verification else None,
            verification.verifier.full_name if verification else "",
            to_local(verification.verified_at).date()
            if verification and verification.verified_at else None,
            (analysis.root_cause if analysis else "") or "",
            to_local(nc.closed_at).date() if nc.closed_at else None, nc.description])
        for a in nc.actions:
            actions.append([nc.code, "Acción correctiva", a.number, a.round, a.description,
                            a.owner.full_name, a.due_on,
                            a.status.label + (" · vencida" if a.overdue else ""),
                            a.completed_at, "", a.evidence or ""])
        for v in nc.verifications:
            result = v.result.label if v.result else "Pendiente"
            actions.append([nc.code, "Verificación de la eficacia", "", v.round, result,
                            v.verifier.full_name, v.planned_on, result, v.verified_at,
                            v.recorded_by.full_name if v.recorded_by else "", v.evidence or ""])
    return rows, actions


FILTERS = [register.Filters(), register.Filters(sort="title"), register.Filters(sort="-status"),
           register.Filters(open_only=True, sort="process"),
           register.Filters(source=None, severity=None, q="hyperlink")]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f"sort={f.sort},q={f.q}")
def test_the_rows_are_those_of_the_ncs_objects(officer, filters):
    ncs = _known_register()
    expected_rows, expected_actions = _from_objects(filters)
    rows = list(export.export_rows(filters))
    assert rows == expected_rows
    assert list(export.action_rows(filters)) == expected_actions
    if filters == register.Filters():  # the register covers what each column means
        assert len(rows) == len(ncs)
        by_code = {row[0]: row for row in rows}
        implementation = by_code[ncs[3].code]
        assert implementation[11:14] == [3, 3, "Sí"]  # actions, open, overdue
        owners = sorted({user("duenio").full_name, user("calidad").full_name})
        assert implementation[15] == ", ".join(owners)  # each owner once, sorted
        assert by_code[ncs[5].code][3] == "No eficaz" and by_code[ncs[6].code][20] is not None
        assert by_code[ncs[0].code][7:9] == ["Francisco Morazán", "Distrito Central"]


def _csv(client, **query) -> list[list[str]]:
    text = client.get(f"{P}/exportar.csv", query_string=query).get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _cell(value) -> str:
    """A value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    value = str(value)
    return "'" + value if value.startswith(("=", "+", "-", "@")) else value


def _xlsx_value(value):
    """A value as it reads back from the XLSX (dates come back as datetimes)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None, second=0, microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value


def test_the_csv_and_the_xlsx_hold_the_same_rows(app, login_as):
    with app.test_request_context(), audit.acting_as(user("calidad")):
        _known_register()
        expected_rows, expected_actions = _from_objects(register.Filters())
    client = login_as("calidad")
    table = _csv(client)
    assert table[0] == [c.heading for c in export.export_columns()]
    assert table[1:] == [[_cell(v) for v in row] for row in expected_rows]

    book = load_workbook(io.BytesIO(client.get(f"{P}/exportar.xlsx").data))
    ncs, actions = book.worksheets
    assert [c.value for c in ncs[2]] == table[0]
    assert _read(ncs) == [[_xlsx_value(v) for v in row] for row in expected_rows]
    assert _read(actions) == [[_xlsx_value(v) for v in row] for row in expected_actions]
    assert ncs["J3"].number_format == "yyyy-mm-dd"  # dates are dates, not text


def _read(sheet) -> list[list]:
    """The sheet's data rows; times to the minute (the cell shows minutes, the file keeps
    milliseconds)."""
    return [[v.replace(second=0, microsecond=0) if isinstance(v, datetime) else v for v in r]
            for r in sheet.iter_rows(min_row=3, values_only=True)]


def _count_queries(filters) -> tuple[int, int]:
    seen = []
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        rows = sum(1 for _ in export.export_rows(filters))
        actions = sum(1 for _ in export.action_rows(filters))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return rows + actions, len(seen)


def test_the_queries_grow_by_a_fixed_step_per_batch_not_per_nc(officer, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_BATCH", 4)
    process = make_process("PAG")
    base = None
    for total in (8, 24):  # N and 3N NCs: 2 and 6 batches
        while db.session.scalar(select(db.func.count(Nonconformity.id))) < total:
            to_implementation(make_nc(process), owners=("duenio", "calidad"))
        db.session.commit()
        _, queries = _count_queries(register.Filters())
        batches = total // 4
        # per pass (one per sheet): the NCs' select, then actions, verifications and
        # analyses per batch
        per_batch = 3 * 2
        fixed = queries - per_batch * batches
        base = fixed if base is None else base
        assert fixed == base, (total, queries)
    assert base <= 3  # BEGIN, then the NCs' select once per sheet
