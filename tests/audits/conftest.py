"""Factories for audit tests: processes, a programme, an audit in any state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qms.audits import checklists, services
from qms.audits.enums import AuditType, ItemResult
from qms.core import audit as trail
from qms.core.time import today_local
from qms.extensions import db
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process
from tests.conftest import PASSWORD, user


def make_process(code="PAG", owner="duenio"):
    return create_process(code=code, name=f"Proceso {code}", category=ProcessCategory.OPERATIONAL,
                          owner=user(owner))


def template(code="LV-PAG-01"):
    if not checklists.templates():
        checklists.sync_checklists()
    return services.latest_template(code)


def make_audit(processes, *, lead="auditor", kind=AuditType.INTERNAL_PROCESS, tpl="LV-PAG-01",
               start=None, days=1, **extra):
    start = start or today_local()
    prog = services.programme_for(start.year, create=True)
    return services.plan_audit(
        prog, audit_type=kind, title=extra.pop("title", "Auditoría del proceso de pago"),
        scope="Oficina central; registros del año.", processes=processes,
        planned_start=start, planned_end=start + timedelta(days=days),
        lead=user(lead) if lead else None, template=template(tpl) if tpl else None, **extra)


def started(audit):
    services.start_audit(audit, expected_version=audit.version, actual_start=today_local())
    return audit


def answer_all(audit, actor="auditor", result=ItemResult.CONFORM):
    for item in audit.items:
        if item.result is None:
            services.answer_item(item, expected_version=item.version, result=result,
                                 notes="Visto en sitio.", actor=user(actor))
    return audit


@pytest.fixture
def lead(app_ctx):
    with trail.acting_as(user("auditor")):
        yield user("auditor")


@pytest.fixture
def process(app_ctx):
    with trail.acting_as(trail.SYSTEM):
        found = make_process()
        db.session.commit()
    return found


__all__ = ["PASSWORD", "answer_all", "make_audit", "make_process", "started", "template"]
