"""The audit trail: an event per change in the same transaction, chained, tamper-evident."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from qms.core import audit
from qms.core.audit import AuditEvent
from qms.core.cli import qms
from qms.extensions import db
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process, update_process
from tests.conftest import user


def _events(entity_type: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    return list(db.session.scalars(query))


def _new_process(code="PAG", **kw):
    return create_process(code=code, name=kw.get("name", "Entrega del bono"),
                          category=ProcessCategory.OPERATIONAL, owner=user("duenio"),
                          description=kw.get("description", ""))


def test_insert_and_update_write_events_with_actor_and_diff(app_ctx):
    officer = user("calidad")
    with audit.acting_as(officer):
        process = _new_process()
        db.session.commit()
        update_process(process, expected_version=process.version, name="Pago del bono",
                       category=ProcessCategory.OPERATIONAL, description="Planilla y pago")
        db.session.commit()
    insert, update = _events("process")
    assert insert.entity_id == update.entity_id == str(process.id)
    assert audit.history(db.session, process) == [insert, update]
    assert (insert.action, insert.actor_label, insert.actor_id) == ("insert", "calidad", officer.id)
    assert insert.after["code"] == "PAG" and insert.before is None
    assert update.action == "update"
    assert update.before == {"name": "Entrega del bono", "description": ""}
    assert update.after == {"name": "Pago del bono", "description": "Planilla y pago"}


def test_a_value_set_after_a_commit_keeps_its_real_before_and_a_same_value_is_no_change(app_ctx):
    """After a commit the attributes are expired: setting one without reading it gave
    SQLAlchemy no old value, and the trail showed "name: None → …"."""
    with audit.acting_as(user("calidad")):
        process = _new_process()
        db.session.commit()
        process.name = "Pago del bono"  # expired: the old name was never loaded
        db.session.commit()
        process.description = ""  # the value it already has
        db.session.commit()
    events = _events("process")
    assert [e.action for e in events] == ["insert", "update"]
    assert events[1].before == {"name": "Entrega del bono"}
    assert events[1].after == {"name": "Pago del bono"}


def test_rolled_back_change_leaves_no_event(app_ctx):
    before = db.session.scalar(select(func.count(AuditEvent.id)))
    _new_process()
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count(AuditEvent.id))) == before


def test_password_hash_is_redacted(app_ctx):
    from qms.auth.services import update_user

    admin = user("admin")
    with audit.acting_as(admin):
        target = user("auditor")
        update_user(target, expected_version=target.version, full_name=target.full_name,
                    email=target.email, role=target.role, active=True, access_expires_on=None,
                    new_password="otra-clave-segura-1")
        db.session.commit()
    event = _events("user")[-1]
    assert event.after["password_hash"] == "***"
    assert "argon2" not in str(event.before) + str(event.after)


def test_events_are_chained(app_ctx):
    _new_process("AAA")
    _new_process("BBB")
    db.session.commit()
    events = _events()
    assert events[0].prev_hash == audit.GENESIS_HASH
    for previous, current in zip(events, events[1:], strict=False):
        assert current.prev_hash == previous.hash
    assert audit.verify_chain(db.session) == (len(events), None)


def test_orm_refuses_to_change_an_event(app_ctx):
    _new_process()
    db.session.commit()
    event = _events()[-1]
    event.note = "edited"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_update_and_delete(app_ctx):
    _new_process()
    db.session.commit()
    for statement in ("UPDATE audit_event SET note = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()


# ------------------------------------------------------------------ tamper detection
# An attacker with direct database access drops the guards; the chain still tells.


def _tamper(statements: list[str]) -> None:
    db.session.execute(text("DROP TRIGGER audit_event_no_update"))
    db.session.execute(text("DROP TRIGGER audit_event_no_delete"))
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()


@pytest.fixture
def trail(app_ctx):
    for code in ("AAA", "BBB", "CCC", "DDD"):
        _new_process(code)
        db.session.commit()
    ids = [e.id for e in _events()]
    return ids


def _verify(app):
    return app.test_cli_runner().invoke(qms, ["verify-audit-log"])


def test_verify_passes_on_an_intact_trail(app, trail):
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert f"{len(trail)} events verified" in result.output


def test_verify_names_an_altered_event(app, trail):
    target = trail[-2]
    _tamper([f"UPDATE audit_event SET after = '{{\"code\": \"ZZZ\"}}' WHERE id = {target}"])
    result = _verify(app)
    assert result.exit_code == 1
    assert f"event #{target}" in result.output and "altered" in result.output


def test_verify_names_the_event_after_a_deleted_one(app, trail):
    target = trail[-3]
    _tamper([f"DELETE FROM audit_event WHERE id = {target}"])
    result = _verify(app)
    assert result.exit_code == 1
    assert f"event #{trail[-2]}" in result.output and "prev_hash" in result.output


def test_verify_detects_reordered_events(app, trail):
    a, b = trail[-3], trail[-2]
    _tamper([
        f"UPDATE audit_event SET id = -1 WHERE id = {a}",
        f"UPDATE audit_event SET id = {a} WHERE id = {b}",
        f"UPDATE audit_event SET id = {b} WHERE id = -1",
    ])
    result = _verify(app)
    assert result.exit_code == 1
    assert f"event #{a}" in result.output
