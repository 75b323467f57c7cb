"""Day one on an NC: whoever marks an action done is whoever the record names (or a quality
officer on the owner's behalf, with a reason); an overdue action is re-planned with a
reason and the old date stays visible; nothing typed is lost when a step is refused."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from qms.core import audit
from qms.core.audit import AuditEvent
from qms.core.errors import PermissionDenied, TransitionError, ValidationError
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities import services
from qms.nonconformities.enums import ActionStatus, NCStatus
from qms.nonconformities.models import CorrectiveAction, Nonconformity
from tests.conftest import post_form, user
from tests.nonconformities.conftest import make_nc, make_process, to_implementation

P = "/no-conformidades"


def _events(obj, action):
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == obj.__tablename__, AuditEvent.entity_id == str(obj.id),
        AuditEvent.action == action)).all()


def _started(nc):
    action = nc.actions[0]
    services.update_action(action, expected_version=action.version, status="in_progress",
                           evidence="Cruce por DNI configurado.", actor=action.owner)
    return action


# ------------------------------------------------------------------- completing


def test_the_owner_completes_their_action_and_is_recorded(officer, process):
    nc = to_implementation(make_nc(process))
    action = _started(nc)
    services.update_action(action, expected_version=action.version, status="done",
                           actor=user("duenio"))
    assert action.status == ActionStatus.DONE and action.completed_by == user("duenio")


def test_nobody_else_marks_someone_elses_action_done(officer, process):
    nc = to_implementation(make_nc(process), owners=("duenio2",))
    action = _started(nc)
    with pytest.raises(PermissionDenied) as err:  # the process owner is not the action's owner
        services.update_action(action, expected_version=action.version, status="done",
                               actor=user("duenio"))
    assert "Solo el responsable de AC-1" in str(err.value.message)
    assert action.status == ActionStatus.IN_PROGRESS and action.completed_by_id is None


def test_a_quality_officer_completes_on_behalf_only_with_a_reason(officer, process):
    nc = to_implementation(make_nc(process))
    action = _started(nc)
    with pytest.raises(ValidationError) as err:
        services.update_action(action, expected_version=action.version, status="done",
                               actor=user("calidad"), on_behalf_reason="  ")
    assert err.value.field == "on_behalf_reason"
    services.update_action(action, expected_version=action.version, status="done",
                           actor=user("calidad"), on_behalf_reason="El dueño está de licencia.")
    db.session.flush()
    assert action.completed_by == user("calidad") and action.owner == user("duenio")
    [event] = _events(action, "complete_on_behalf")
    assert "en nombre de" in event.note and "El dueño está de licencia." in event.note


def test_the_page_shows_who_recorded_the_action(app, login_as):
    with app.test_request_context(), audit.acting_as(user("calidad")):
        nc = to_implementation(make_nc(make_process()))
        action = _started(nc)
        db.session.commit()
        nc_id, action_id, version = nc.id, action.id, action.version
    client = login_as("calidad")
    path = f"{P}/{nc_id}/acciones/{action_id}"
    refused = post_form(client, path, {"version": version, "status": "done",
                                       "evidence": "Texto que escribí", "on_behalf_reason": ""},
                        token_from=f"{P}/{nc_id}")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "indique por qué la registra usted" in html
    assert "Texto que escribí" in html  # the evidence typed is still in the form
    with app.app_context():
        version = db.session.get(CorrectiveAction, action_id).version
    done = post_form(client, path, {"version": version, "status": "done",
                                    "evidence": "Texto que escribí",
                                    "on_behalf_reason": "Vacaciones del dueño"},
                     token_from=f"{P}/{nc_id}", follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "registrada por Usuario Calidad en nombre de Usuario Duenio" in html


# ------------------------------------------------------------------- re-planning


def _overdue_action(app):
    """An action due 10 days ago, of an NC in implementation on duenio's process."""
    with app.test_request_context(), audit.acting_as(user("calidad")):
        nc = make_nc(make_process(), detected_on=today_local() - timedelta(days=40))
        to_implementation(nc)
        action = nc.actions[0]
        action.due_on = today_local() - timedelta(days=10)
        db.session.commit()
        return nc.id, action.id


def test_replanning_keeps_the_old_date_and_the_reason(app):
    nc_id, action_id = _overdue_action(app)
    with app.test_request_context(), audit.acting_as(user("duenio")):
        action = db.session.get(CorrectiveAction, action_id)
        old = action.due_on
        new = today_local() + timedelta(days=20)
        with pytest.raises(ValidationError) as err:
            services.replan_action(action, expected_version=action.version, actor=user("duenio"),
                                   reason="", due_on=new)
        assert err.value.field == "reason"
        with pytest.raises(ValidationError) as err:
            services.replan_action(action, expected_version=action.version, actor=user("duenio"),
                                   reason="x", due_on=today_local() - timedelta(days=1))
        assert err.value.field == "due_on"
        services.replan_action(action, expected_version=action.version, actor=user("duenio"),
                               reason="El proveedor entrega en enero.", due_on=new,
                               owner=user("duenio2"))
        db.session.commit()
        assert (action.due_on, action.previous_due_on, action.owner) == (new, old, user("duenio2"))
        assert not action.overdue
        [event] = _events(action, "replan")
        assert old.isoformat() in event.note and "El proveedor entrega en enero." in event.note
        assert "responsable" in event.note


def test_a_done_action_is_not_replanned(officer, process):
    nc = to_implementation(make_nc(process))
    action = _started(nc)
    services.update_action(action, expected_version=action.version, status="done",
                           actor=user("duenio"))
    with pytest.raises(TransitionError):
        services.replan_action(action, expected_version=action.version, actor=user("calidad"),
                               reason="x", due_on=today_local() + timedelta(days=3))


def test_replanning_through_the_page_shows_the_old_date(app, login_as):
    nc_id, action_id = _overdue_action(app)
    with app.app_context():
        action = db.session.get(CorrectiveAction, action_id)
        old, version = action.due_on, action.version
    client = login_as("duenio")
    path = f"{P}/{nc_id}/acciones/{action_id}/replanificar"
    new = today_local() + timedelta(days=15)
    refused = post_form(client, path, {"version": version, "due_on": new.isoformat(),
                                       "owner_id": user_id(app, "duenio"), "reason": ""},
                        token_from=f"{P}/{nc_id}")
    assert refused.status_code == 422
    assert f'value="{new.isoformat()}"' in refused.get_data(as_text=True)  # typed date kept
    page = post_form(client, path, {"version": version, "due_on": new.isoformat(),
                                    "owner_id": user_id(app, "duenio"),
                                    "reason": "Falta la firma del contrato"},
                     token_from=f"{P}/{nc_id}", follow_redirects=True).get_data(as_text=True)
    due_cell = page.split('class="nc-action-due"')[1].split("</td>")[0]
    assert "antes" in due_cell and str(old.day) in due_cell.split("antes")[1]
    assert "Falta la firma del contrato" in page  # in the timeline


def user_id(app, username):
    with app.app_context():
        return user(username).id


# ------------------------------------------------------------- nothing typed is lost


def test_a_refused_upload_keeps_the_evidence_typed(app, login_as):
    with app.test_request_context(), audit.acting_as(user("calidad")):
        nc = to_implementation(make_nc(make_process()))
        action = nc.actions[0]
        db.session.commit()
        nc_id, action_id, version = nc.id, action.id, action.version
    client = login_as("duenio")
    response = post_form(client, f"{P}/{nc_id}/acciones/{action_id}", {
        "version": version, "status": "", "evidence": "Lista de pagos revisada a mano",
        "file": (io.BytesIO(b"\x00\x01binario"), "evidencia.exe")},
        token_from=f"{P}/{nc_id}", content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Tipo de archivo no permitido" in html
    assert "Lista de pagos revisada a mano" in html
    with app.app_context():  # and it was saved before the upload was refused
        assert db.session.get(CorrectiveAction, action_id).evidence == \
            "Lista de pagos revisada a mano"


def test_csv_and_text_evidence_are_accepted_by_content(app, login_as):
    with app.test_request_context(), audit.acting_as(user("calidad")):
        nc = to_implementation(make_nc(make_process()))
        db.session.commit()
        nc_id, action_id, version = nc.id, nc.actions[0].id, nc.actions[0].version
    client = login_as("duenio")
    csv_bytes = "dni;monto\n0801199912345;1.500,00\nÑandú;0\n".encode("latin-1")
    ok = post_form(client, f"{P}/{nc_id}/acciones/{action_id}", {
        "version": version, "status": "", "evidence": "Planilla",
        "file": (io.BytesIO(csv_bytes), "pagos.csv")},
        token_from=f"{P}/{nc_id}", content_type="multipart/form-data")
    assert ok.status_code == 302
    with app.app_context():
        [attachment] = db.session.get(CorrectiveAction, action_id).attachments
        assert attachment.stored.mime_type == "text/csv"
    page = client.get(f"{P}/{nc_id}").get_data(as_text=True)
    assert "Tipos aceptados:" in page and "CSV" in page and "TXT" in page


def test_saving_the_correction_and_starting_the_analysis_is_one_form(app, login_as):
    with app.test_request_context(), audit.acting_as(user("calidad")):
        nc = make_nc(make_process())
        db.session.commit()
        nc_id, version = nc.id, nc.version
    client = login_as("duenio")
    bad_day = (today_local() + timedelta(days=3)).isoformat()
    refused = post_form(client, f"{P}/{nc_id}/correccion", {
        "version": version, "correction": "Pagos suspendidos en la agencia",
        "correction_on": bad_day, "advance": "1"}, token_from=f"{P}/{nc_id}")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Pagos suspendidos en la agencia" in html
    done = post_form(client, f"{P}/{nc_id}/correccion", {
        "version": version, "correction": "Pagos suspendidos en la agencia", "advance": "1"},
        token_from=f"{P}/{nc_id}")
    assert done.status_code == 302
    with app.app_context():
        nc = db.session.get(Nonconformity, nc_id)
        assert nc.status == NCStatus.ANALYSIS and nc.correction == "Pagos suspendidos en la agencia"


def test_a_stale_correction_keeps_the_text(app, login_as):
    with app.test_request_context(), audit.acting_as(user("calidad")):
        nc = make_nc(make_process())
        db.session.commit()
        nc_id, version = nc.id, nc.version
    client = login_as("duenio")
    refused = post_form(client, f"{P}/{nc_id}/correccion", {
        "version": version - 1 if version > 1 else version + 5,
        "correction": "Texto largo que no quiero perder"}, token_from=f"{P}/{nc_id}")
    assert refused.status_code == 409
    assert "Texto largo que no quiero perder" in refused.get_data(as_text=True)
