"""A change of an NC's severity needs a reason — on the form, in the API and in the
service — and the reason is the note of the audit-trail event, shown in the history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qms.core import audit
from qms.core.audit import AuditEvent
from qms.core.errors import ValidationError
from qms.extensions import db
from qms.nonconformities import services
from qms.nonconformities.enums import NCSeverity
from tests.conftest import csrf_token, user
from tests.nonconformities.conftest import api_token, seed_process
from tests.nonconformities.test_api import API, _create
from tests.nonconformities.test_views import P, _nc, _seed


def _severity_events(nc_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "nonconformity", AuditEvent.entity_id == str(nc_id),
        AuditEvent.action == "severity")))


def _update(nc, **changes):
    data = dict(expected_version=nc.version, title=nc.title, description=nc.description,
                source=nc.source, process=nc.process, severity=nc.severity,
                detected_on=nc.detected_on)
    return services.update_nonconformity(nc, **{**data, **changes})


def test_the_service_refuses_a_severity_change_without_a_reason(app, app_ctx):
    nc_id = _seed(app)
    nc = db.session.merge(_nc(app, nc_id))
    with audit.acting_as(user("calidad")):
        with pytest.raises(ValidationError) as refused:
            _update(nc, severity=NCSeverity.MINOR, severity_reason="   ")
        assert refused.value.field == "severity_reason"
        db.session.rollback()
        nc = db.session.merge(_nc(app, nc_id))
        _update(nc, title="Sin cambio de severidad")  # no reason needed
        db.session.commit()
        _update(nc, severity=NCSeverity.MINOR, severity_reason="Un caso aislado, sin pérdida.")
        db.session.commit()
    [event] = _severity_events(nc_id)
    assert event.note == "Un caso aislado, sin pérdida."
    assert (event.before["severity"], event.after["severity"]) == ("major", "minor")


def test_the_api_requires_the_reason_and_names_the_field(app, client):
    pid = seed_process(app)
    officer = api_token(app, "calidad")
    nc = _create(client, officer, pid, severity="major")
    body = {k: nc[k] for k in ("title", "description", "source", "process_id", "detected_on")}
    body |= {"version": nc["version"], "severity": "minor"}
    refused = client.patch(f"{API}/{nc['id']}", headers=officer, json=body)
    assert refused.status_code == 422
    assert "motivo del cambio de severidad" in str(refused.get_json()).lower()
    assert "severity_reason" in str(refused.get_json())
    done = client.patch(f"{API}/{nc['id']}", headers=officer,
                        json={**body, "severity_reason": "Reclasificada tras revisar casos."})
    assert done.status_code == 200 and done.get_json()["severity"] == "minor"
    with app.app_context():
        [event] = _severity_events(nc["id"])
        assert event.note == "Reclasificada tras revisar casos."


def test_the_form_asks_for_the_reason_and_the_history_shows_it(app, login_as):
    nc_id = _seed(app)
    client = login_as("calidad")
    nc = _nc(app, nc_id)
    form = {"csrf_token": csrf_token(client, f"{P}/{nc_id}/editar"), "version": nc.version,
            "title": nc.title, "description": nc.description, "source": nc.source.value,
            "process_id": nc.process_id, "severity": "minor",
            "detected_on": nc.detected_on.isoformat()}
    page = client.get(f"{P}/{nc_id}/editar").get_data(as_text=True)
    assert 'name="severity_reason"' in page
    refused = client.post(f"{P}/{nc_id}/editar", data=form)
    assert refused.status_code == 200
    assert "Indique el motivo del cambio de severidad" in refused.get_data(as_text=True)
    assert _nc(app, nc_id).severity == NCSeverity.MAJOR
    done = client.post(f"{P}/{nc_id}/editar",
                       data={**form, "severity_reason": "Afecta a una sola familia."})
    assert done.status_code == 302
    detail = client.get(f"{P}/{nc_id}").get_data(as_text=True)
    assert "Severidad cambiada (con su motivo)" in detail
    assert "Afecta a una sola familia." in detail
