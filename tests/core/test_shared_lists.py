"""The lists every form builds the same way (people, active processes) and the one way a
register export is sent."""

from __future__ import annotations

from qms.auth.models import Role
from qms.auth.services import people, people_choices
from qms.core import audit
from qms.core.spreadsheets import send_export
from qms.extensions import db
from qms.processes.facts import process_choices
from qms.processes.services import create_process
from tests.conftest import user


def test_people_are_active_non_certifiers_by_name_and_keep_the_named_one(app_ctx):
    names = [u.username for u in people()]
    assert "certificador" not in names and "calidad" in names
    assert [u.full_name for u in people()] == sorted(u.full_name for u in people())
    owners = people(roles=[Role.PROCESS_OWNER])
    assert owners and {u.role for u in owners} == {Role.PROCESS_OWNER}
    former = user("duenio2")
    former.active = False
    db.session.flush()
    assert former not in people()
    assert former in people(keep=former)  # an edit form still shows who the record names
    choice = next(c for c in people_choices() if c.value == user("calidad").id)
    assert choice.label == f"{user('calidad').full_name} ({Role.QUALITY_OFFICER.label})"


def test_process_choices_are_the_active_ones_and_keep_the_current(app_ctx):
    with audit.acting_as(audit.SYSTEM):
        live = create_process(code="LCH", name="Vigente", category="support",
                              owner=user("duenio"))
        old = create_process(code="LCA", name="Retirado", category="support",
                             owner=user("duenio"))
        old.active = False
        db.session.flush()
    values = [c.value for c in process_choices()]
    assert live.id in values and old.id not in values
    assert old.id in [c.value for c in process_choices(keep=old.id)]
    assert next(c for c in process_choices() if c.value == live.id).label == "LCH · Vigente"


def test_send_export_names_types_and_streams_the_file(app):
    with app.test_request_context():
        csv = send_export("a;b\r\n", "lista.csv")
        assert csv.content_type == "text/csv; charset=utf-8"
        assert csv.headers["Content-Disposition"] == "attachment; filename=lista.csv"
        assert csv.headers["Cache-Control"] == "private, no-store"
        xlsx = send_export(b"PK..", "resultados-año 1.xlsx")
        assert xlsx.mimetype.endswith("spreadsheetml.sheet")
        disposition = xlsx.headers["Content-Disposition"]
        assert 'filename="resultados-ano 1.xlsx"' in disposition
        assert "filename*=UTF-8''resultados-a%C3%B1o%201.xlsx" in disposition
        streamed = send_export(iter(["uno\n", "dos\n"]), "r.csv")
        assert streamed.is_streamed
        assert streamed.get_data() == b"uno\ndos\n"
