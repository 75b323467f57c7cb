"""The audit-log page a certifier works with: filters, links to records, exports, and the
chain's status verified incrementally (qms.core.chain)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select, text

from qms.core import audit, chain
from qms.core.audit import AuditEvent
from qms.core.time import today_local
from qms.extensions import db
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process, update_process
from tests.conftest import user


def _processes(app, *codes: str, actor: str = "calidad") -> list[int]:
    with app.app_context(), audit.acting_as(user(actor)):
        ids = [create_process(code=code, name=f"Proceso {code}",
                              category=ProcessCategory.OPERATIONAL, owner=user("duenio")).id
               for code in codes]
        db.session.commit()
        return ids


def _tamper(sql: str, **params) -> None:
    """What someone with write access to the database file could do (the triggers that
    keep the trail append-only are dropped first, as in tests/core/test_audit.py)."""
    db.session.execute(text("DROP TRIGGER audit_event_no_update"))
    db.session.execute(text(sql), params)
    db.session.commit()


def test_internal_auditors_read_the_trail(app, login_as):
    assert login_as("auditor").get("/auditoria").status_code == 200


def test_filters_by_user_type_record_code_and_dates(app, login_as):
    (pag,) = _processes(app, "PAG")
    _processes(app, "TIC", actor="admin")
    client = login_as("certificador")
    with app.app_context():
        admin_id = user("admin").id
    everything = client.get("/auditoria?tipo=process").get_data(as_text=True)
    assert "Proceso PAG" in everything and "Proceso TIC" in everything
    by_admin = client.get(f"/auditoria?tipo=process&usuario={admin_id}").get_data(as_text=True)
    assert "Proceso TIC" in by_admin and "Proceso PAG" not in by_admin
    by_code = client.get("/auditoria?tipo=process&registro=pag").get_data(as_text=True)
    assert "Proceso PAG" in by_code and "Proceso TIC" not in by_code
    assert f'href="/procesos/{pag}"' in by_code  # each event links to its record
    today = today_local()
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert "Proceso PAG" in client.get(
        f"/auditoria?tipo=process&desde={today}&hasta={today}").get_data(as_text=True)
    future = client.get(f"/auditoria?tipo=process&desde={tomorrow}").get_data(as_text=True)
    assert "Ningún evento con estos filtros." in future
    system = client.get("/auditoria?usuario=sistema").get_data(as_text=True)
    assert "Proceso PAG" not in system and "Usuario Calidad" in system  # the seeded accounts


def test_a_bad_filter_says_what_is_wrong(app, login_as):
    client = login_as("calidad")
    response = client.get("/auditoria?desde=2026-13-01")
    assert response.status_code == 400
    assert "Escriba la fecha como AAAA-MM-DD." in response.get_data(as_text=True)
    backwards = client.get("/auditoria?desde=2026-05-02&hasta=2026-05-01")
    assert "anterior a la fecha «desde»" in backwards.get_data(as_text=True)
    assert "Elija el tipo de registro" in client.get(
        "/auditoria?registro=NC-2026-001").get_data(as_text=True)
    assert client.get("/auditoria/exportar.csv?usuario=x").status_code == 400


def test_exports_follow_the_filters(app, login_as):
    _processes(app, "PAG", "TIC")
    client = login_as("certificador")
    response = client.get("/auditoria/exportar.csv?tipo=process&registro=TIC")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["#", "Fecha y hora", "Quién"]
    assert len(rows) == 2 and rows[1][4] == "Proceso" and rows[1][5] == "TIC"
    assert "Código: TIC" in rows[1][6] and len(rows[1][8]) == 64  # changes, SHA-256
    book = load_workbook(io.BytesIO(client.get("/auditoria/exportar.xlsx?tipo=process").data))
    sheet = book.worksheets[0]
    assert sheet["A1"].value.startswith("Pista de auditoría")
    assert sheet.max_row == 4  # title, header, two events


def test_the_page_shows_the_chain_intact_then_broken(app, login_as):
    _processes(app, "PAG")
    client = login_as("certificador")
    page = client.get("/auditoria").get_data(as_text=True)
    assert 'data-chain="intact"' in page and "Cadena íntegra" in page
    with app.app_context():
        _tamper("UPDATE audit_event SET note = 'retocado' WHERE id = "
                "(SELECT MIN(id) FROM audit_event WHERE entity_type='process')")
    # Behind the checkpoint: the page cannot see it, the full walk can and says so.
    with app.app_context():
        count, problem = chain.verify_all(db.session)
        assert problem is not None
    page = client.get("/auditoria").get_data(as_text=True)
    assert 'data-chain="broken"' in page and f"evento #{problem.event_id}" in page


def test_new_events_are_verified_incrementally_and_a_rewritten_head_is_caught(app, app_ctx):
    with audit.acting_as(user("calidad")):
        process = create_process(code="PAG", name="Pago", category=ProcessCategory.OPERATIONAL,
                                 owner=user("duenio"))
        db.session.commit()
    first = chain.current_status(db.session)
    assert first.intact and first.pending == 0
    checkpoint = json.loads((app.config["INSTANCE_DIR"] / chain.CHECKPOINT_FILE).read_text())
    assert checkpoint["event_id"] == first.checked_up_to
    with audit.acting_as(user("calidad")):
        for n in range(5):
            update_process(process, expected_version=process.version, name=f"Pago {n}",
                           category=ProcessCategory.OPERATIONAL, description="")
            db.session.commit()
    partial = chain.current_status(db.session, budget=2)  # two of the five new events
    assert partial.intact and partial.checked_up_to == first.checked_up_to + 2
    assert partial.pending == 3 and partial.events == first.events + 2
    done = chain.current_status(db.session)
    assert done.intact and done.pending == 0 and done.events == first.events + 5
    head = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    _tamper("UPDATE audit_event SET note = 'x' WHERE id = :id", id=head)
    broken = chain.current_status(db.session)
    assert not broken.intact and broken.problem.event_id == head
