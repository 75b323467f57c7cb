"""The insert event of a record names the record, so its history starts with its creation."""

from qms.core import audit
from qms.extensions import db
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process
from tests.conftest import user


def test_insert_event_carries_the_new_row_id(app_ctx):
    with audit.acting_as(audit.SYSTEM):
        process = create_process(code="NEW", name="Nuevo", category=ProcessCategory.SUPPORT,
                                 owner=user("duenio"))
        db.session.commit()
    events = audit.history(db.session, process)
    assert [e.action for e in events] == ["insert"]
    assert events[0].entity_id == str(process.id)
