"""Factories for objective tests: a process, an objective of any frequency, values."""

from __future__ import annotations

from qms.extensions import db
from qms.objectives import services
from qms.processes.models import Process, ProcessCategory
from qms.processes.services import create_process
from tests.conftest import user


def make_process(code="PAG", owner="duenio") -> Process:
    found = db.session.query(Process).filter_by(code=code).one_or_none()
    return found or create_process(code=code, name=f"Proceso {code}",
                                   category=ProcessCategory.OPERATIONAL, owner=user(owner))


def make_objective(code="OBJ-PAG-01", *, process="PAG", owner="duenio", frequency="quarterly",
                   direction=">=", target=95.0, **overrides):
    fields = dict(name="Pagos acreditados a tiempo", unit="%", direction=direction,
                  target=target, process=make_process(process) if process else None,
                  owner=user(owner), plan_what="Conciliar a diario con los bancos.",
                  plan_resources="Analista de pagos", plan_who="Jefatura de pagos",
                  plan_evaluation="Informe trimestral de conciliación")
    fields.update(overrides)
    return services.create_objective(code=code, frequency=frequency, **fields)
