"""Factories for NC tests: processes, an NC in any state, API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qms.auth.services import issue_token
from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities import services
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process
from tests.conftest import PASSWORD, user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_process(code="PAG", owner="duenio"):
    return create_process(code=code, name=f"Proceso {code}", category=ProcessCategory.OPERATIONAL,
                          owner=user(owner))


def make_nc(process, **overrides):
    fields = dict(title="Pago acreditado a un beneficiario equivocado",
                  description="El bono se acreditó en la billetera de otra persona.",
                  source="process_monitoring", process=process, severity="major",
                  detected_on=today_local() - timedelta(days=10), detected_by=user("calidad"))
    fields.update(overrides)
    return services.report_nonconformity(**fields)


def to_analysis(nc):
    services.record_correction(nc, expected_version=nc.version, correction="Pago bloqueado.")
    services.start_analysis(nc, expected_version=nc.version)
    return nc


def to_action_plan(nc):
    to_analysis(nc)
    services.save_analysis(nc, expected_version=nc.version,
                           whys=["Se pagó a otro", "Cruce por nombre"], ishikawa={},
                           root_cause="El cruce usa el nombre como llave.")
    services.submit_analysis(nc, expected_version=nc.version)
    return nc


def to_implementation(nc, owners=("duenio",)):
    to_action_plan(nc)
    for owner in owners:
        services.add_action(nc, expected_version=nc.version, description=f"Acción de {owner}",
                            owner=user(owner), due_on=today_local() + timedelta(days=5))
    services.start_implementation(nc, expected_version=nc.version)
    return nc


def finish_actions(nc):
    for action in nc.actions:
        if action.status.value == "planned":
            services.update_action(action, expected_version=action.version, status="in_progress",
                                   actor=action.owner)
        if action.status.value == "in_progress":
            services.update_action(action, expected_version=action.version, status="done",
                                   evidence="Hecho y comprobado.", actor=action.owner)
    return nc


def to_verification(nc, verifier="auditor"):
    to_implementation(nc)
    finish_actions(nc)
    services.send_to_verification(nc, expected_version=nc.version, planned_on=today_local(),
                                  verifier=user(verifier))
    return nc


def verified(nc, result="effective"):
    to_verification(nc)
    services.record_verification(nc, expected_version=nc.version, result=result,
                                 evidence="Sin repeticiones en 2 pagos.", actor=user("auditor"))
    return nc


@pytest.fixture
def officer(app_ctx):
    with audit.acting_as(user("calidad")):
        yield user("calidad")


@pytest.fixture
def process(app_ctx):
    with audit.acting_as(audit.SYSTEM):
        found = make_process()
        db.session.commit()
    return found


def api_token(app, username: str) -> dict:
    with app.app_context():
        _, secret = issue_token(user(username), "tests")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def seed_process(app, code="PAG", owner="duenio") -> int:
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        found = make_process(code, owner)
        db.session.commit()
        return found.id


__all__ = ["PASSWORD", "PNG", "api_token", "finish_actions", "make_nc", "make_process",
           "seed_process", "to_action_plan", "to_analysis", "to_implementation",
           "to_verification", "verified"]
