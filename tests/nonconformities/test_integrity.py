"""Whoever the record names is whoever did it: effectiveness verification and signed
closure (separation of duties), in services, on the page and through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qms.core import audit
from qms.core.errors import PermissionDenied, ValidationError
from qms.core.settings import set_setting
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities import services
from qms.nonconformities.enums import NCStatus
from qms.nonconformities.models import Nonconformity
from tests.conftest import PASSWORD, csrf_token, post_form, user
from tests.nonconformities.conftest import (
    finish_actions,
    make_nc,
    make_process,
    to_implementation,
    to_verification,
)

P = "/no-conformidades"


def _record(nc, actor, **extra):
    return services.record_verification(nc, expected_version=nc.version, result="effective",
                                        evidence="Sin repeticiones.", actor=user(actor),
                                        **extra)


def test_only_the_assigned_verifier_records_the_result(officer, process):
    nc = to_verification(make_nc(process))
    with pytest.raises(PermissionDenied, match="Usuario Auditor"):
        _record(nc, "calidad")
    assert nc.pending_verification is not None and nc.pending_verification.result is None
    verification = _record(nc, "auditor")
    assert verification.recorded_by == user("auditor") == verification.verifier


def test_a_quality_officer_reassigns_with_a_reason_then_records(officer, process):
    nc = to_verification(make_nc(process))
    with pytest.raises(ValidationError) as err:
        services.reassign_verifier(nc, expected_version=nc.version, verifier=user("calidad"),
                                   reason="  ", actor=user("calidad"))
    assert err.value.field == "reason"
    with pytest.raises(ValidationError) as err:
        services.reassign_verifier(nc, expected_version=nc.version, verifier=user("duenio"),
                                   reason="Vacaciones", actor=user("calidad"))
    assert err.value.field == "verifier_id"
    services.reassign_verifier(nc, expected_version=nc.version, verifier=user("direccion"),
                               reason="El auditor está de vacaciones", actor=user("calidad"))
    db.session.flush()
    event = audit.history(db.session, nc.pending_verification)[-1]
    assert event.action == "reassign_verifier"
    assert "Usuario Auditor → Usuario Direccion" in event.note and "vacaciones" in event.note
    with pytest.raises(PermissionDenied):
        _record(nc, "auditor")
    assert _record(nc, "direccion").recorded_by == user("direccion")


def test_an_early_result_needs_a_confirmation_and_a_reason(officer, process):
    nc = to_implementation(make_nc(process))
    finish_actions(nc)
    planned = today_local() + timedelta(days=30)
    services.send_to_verification(nc, expected_version=nc.version, planned_on=planned,
                                  verifier=user("auditor"))
    for extra in ({}, {"confirm_early": True}, {"early_reason": "Auditoría externa"},
                  {"confirm_early": True, "early_reason": "   "}):
        with pytest.raises(ValidationError) as err:
            _record(nc, "auditor", **extra)
        assert err.value.field == "early_reason"
    verification = _record(nc, "auditor", confirm_early=True,
                           early_reason="La auditoría externa es antes")
    db.session.flush()
    event = audit.history(db.session, verification)[-1]
    assert event.action == "result:effective"
    assert "antes de la fecha prevista" in event.note and "auditoría externa" in event.note


def _ready_to_close(process, action_owner):
    nc = to_implementation(make_nc(process), owners=(action_owner,))
    finish_actions(nc)
    services.send_to_verification(nc, expected_version=nc.version, planned_on=today_local(),
                                  verifier=user("auditor"))
    _record(nc, "auditor")
    return nc


def test_the_owner_of_the_last_action_does_not_sign_the_closure(officer, process):
    nc = _ready_to_close(process, "calidad")
    with pytest.raises(PermissionDenied, match="Separación de funciones"):
        services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                     password=PASSWORD)
    assert nc.status == NCStatus.VERIFICATION
    services.close_nonconformity(nc, expected_version=nc.version, actor=user("admin"),
                                 password=PASSWORD)
    assert nc.close_meaning == services.CLOSE_MEANING


def test_the_verifier_does_not_sign_the_closure(officer, process):
    nc = to_verification(make_nc(process), verifier="calidad")
    _record(nc, "calidad")
    with pytest.raises(PermissionDenied):
        services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                     password=PASSWORD)


def test_a_small_team_setting_allows_it_and_the_closure_says_so(officer, process):
    set_setting(services.ALLOW_SELF_CLOSE.key, True)
    nc = _ready_to_close(process, "calidad")
    services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                 password=PASSWORD)
    assert nc.status == NCStatus.CLOSED
    assert "Sin separación de funciones" in nc.close_meaning
    db.session.flush()
    assert "Sin separación de funciones" in audit.history(db.session, nc)[-1].note


def _seed(app, builder):
    with app.test_request_context(), audit.acting_as(user("calidad")):
        from qms.processes.models import Process

        process = db.session.query(Process).filter_by(code="PAG").first() or make_process()
        nc = builder(make_nc(process))
        db.session.commit()
        return nc.id


def test_the_page_names_the_recorder_and_refuses_anyone_else(app, login_as):
    nc_id = _seed(app, to_verification)
    officer = login_as("calidad")
    page = officer.get(f"{P}/{nc_id}").get_data(as_text=True)
    assert "Solo esa persona puede registrar el resultado" in page
    assert "nc-verification-result" not in page and "nc-verifier-reassign" in page
    refused = post_form(officer, f"{P}/{nc_id}/verificacion/resultado",
                        {"result": "effective", "evidence": "x"}, token_from=f"{P}/{nc_id}")
    assert refused.status_code == 403
    officer.post("/logout", data={"csrf_token": csrf_token(officer, f"{P}/{nc_id}")})
    auditor = login_as("auditor")
    with app.app_context():
        version = db.session.get(Nonconformity, nc_id).version
    done = post_form(auditor, f"{P}/{nc_id}/verificacion/resultado",
                     {"result": "effective", "evidence": "Sin repeticiones.",
                      "version": version}, token_from=f"{P}/{nc_id}")
    assert done.status_code == 302
    page = auditor.get(f"{P}/{nc_id}").get_data(as_text=True)
    assert "Registrado por" in page
    cell = page.split('class="nc-recorded-by">', 1)[1].split("<", 1)[0]
    assert cell == "Usuario Auditor"


def test_the_early_warning_keeps_the_typed_evidence(app, login_as):
    def early(nc):
        to_implementation(nc)
        finish_actions(nc)
        services.send_to_verification(nc, expected_version=nc.version,
                                      planned_on=today_local() + timedelta(days=9),
                                      verifier=user("auditor"))
        return nc

    nc_id = _seed(app, early)
    auditor = login_as("auditor")
    with app.app_context():
        version = db.session.get(Nonconformity, nc_id).version
    refused = post_form(auditor, f"{P}/{nc_id}/verificacion/resultado",
                        {"result": "effective", "evidence": "Texto escrito con cuidado",
                         "version": version}, token_from=f"{P}/{nc_id}")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Texto escrito con cuidado" in html and "explique el motivo" in html


def test_assigned_to_me_lists_what_waits_for_me(app, login_as):
    mine = _seed(app, lambda nc: to_implementation(nc, owners=("auditor",)))
    to_verify = _seed(app, to_verification)
    not_mine = _seed(app, lambda nc: to_implementation(nc, owners=("calidad",)))
    with app.app_context():
        codes = {i: db.session.get(Nonconformity, i).code for i in (mine, to_verify, not_mine)}
    client = login_as("auditor")
    page = client.get(f"{P}/?mine=1").get_data(as_text=True)
    assert codes[mine] in page and codes[to_verify] in page and codes[not_mine] not in page
    assert 'id="f-mine" name="mine" value="1" checked' in page
    everything = client.get(f"{P}/").get_data(as_text=True)
    assert codes[not_mine] in everything
    exported = client.get(f"{P}/exportar.csv?mine=1").get_data(as_text=True)
    assert codes[mine] in exported and codes[not_mine] not in exported
