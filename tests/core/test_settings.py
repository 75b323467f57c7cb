"""Run-time settings stored in the database with defaults in code (qms.core.settings)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qms.core import audit
from qms.core.audit import AuditEvent
from qms.core.errors import ValidationError
from qms.core.settings import get_setting, register_setting, set_setting
from qms.extensions import db

register_setting("tests.threshold", 10, "Umbral de prueba", kind=int, minimum=1, maximum=50)


def test_default_until_somebody_changes_it(app_ctx):
    assert get_setting("tests.threshold") == 10
    with audit.acting_as(audit.SYSTEM):
        assert set_setting("tests.threshold", "25") == 25
        db.session.commit()
    assert get_setting("tests.threshold") == 25
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "setting")).one()
    assert event.after == {"key": "tests.threshold", "value": 25, "updated_at": event.after[
        "updated_at"]}


@pytest.mark.parametrize("value", ["0", "51", "diez"])
def test_out_of_range_values_are_refused(app_ctx, value):
    with pytest.raises(ValidationError):
        set_setting("tests.threshold", value)
    assert get_setting("tests.threshold") == 10


def test_unknown_keys_are_an_error(app_ctx):
    with pytest.raises(LookupError):
        get_setting("tests.nope")


def test_an_unset_key_is_read_once_per_request_and_a_change_is_seen(app):
    """A page that asks for an unset setting once per row (the complaints' deadlines in
    "Mis pendientes") makes one query, not one per row; setting it is seen at once."""
    from sqlalchemy import event

    statements = []

    def seen(conn, cursor, statement, *args):
        if "FROM setting" in statement:
            statements.append(statement)

    with app.test_request_context():
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            assert [get_setting("tests.threshold") for _ in range(50)] == [10] * 50
            assert len(statements) == 1
            with audit.acting_as(audit.SYSTEM):
                set_setting("tests.threshold", "30")
            assert get_setting("tests.threshold") == 30
            db.session.rollback()
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
