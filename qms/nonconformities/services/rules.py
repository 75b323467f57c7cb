"""What every step of the NC workflow checks: the two state machines, the states that
allow an edit, and the field checks that name the field at fault."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l

from qms.auth.models import Role, User
from qms.core import geo
from qms.core.db import now_utc
from qms.core.errors import ValidationError
from qms.core.time import today_local
from qms.core.workflow import Workflow
from qms.extensions import db
from qms.nonconformities.enums import ActionStatus, NCStatus
from qms.nonconformities.models import NCAnalysis, Nonconformity
from qms.processes.models import Process

S = NCStatus
NC_FLOW = Workflow("status", {
    S.REPORTED: {S.ANALYSIS, S.CANCELLED},
    S.ANALYSIS: {S.ACTION_PLAN, S.CANCELLED},
    S.ACTION_PLAN: {S.IMPLEMENTATION, S.ANALYSIS, S.CANCELLED},
    S.IMPLEMENTATION: {S.VERIFICATION, S.CANCELLED},
    # Back to analysis only through a "not effective" result (record_verification).
    S.VERIFICATION: {S.CLOSED, S.ANALYSIS, S.CANCELLED},
    S.CLOSED: set(),
    S.CANCELLED: set(),
})
ACTION_FLOW = Workflow("status", {
    ActionStatus.PLANNED: {ActionStatus.IN_PROGRESS},
    ActionStatus.IN_PROGRESS: {ActionStatus.DONE},
    ActionStatus.DONE: set(),
})
#: States in which the description, place and correction may still be edited.
EDITABLE = frozenset({S.REPORTED, S.ANALYSIS})
#: States in which actions may be added and worked on.
ACTION_STATES = frozenset({S.ACTION_PLAN, S.IMPLEMENTATION})
ORIGIN_TYPE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_WHYS = 10
#: A reason travels as the note of its audit-trail event (500 characters there).
MAX_REASON = 500
#: What the closing signature means. Stored with the signature exactly as shown to the
#: signer, so it is record content in the SGC's language, not a translated UI string.
CLOSE_MEANING = ("Cierro esta no conformidad: las acciones correctivas se implementaron y su "
                 "eficacia fue verificada.")
#: Audit-trail note of a "not effective" result (record content, in Spanish).
REOPEN_NOTE = "Verificación no eficaz: nuevo análisis de causas."


# ------------------------------------------------------------------------ checks


def _text(value: str | None, field: str, message, max_len: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message, field=field)
    if max_len and len(value) > max_len:
        raise ValidationError(_l("Máximo %(n)s caracteres.", n=max_len), field=field)
    return value


def _enum(enum_cls, value, field: str):
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationError(_l("Valor no válido."), field=field) from None


def _check_process(process: Process | None) -> Process:
    if process is None or not process.active:
        raise ValidationError(_l("Elija un proceso vigente."), field="process_id")
    return process


def _check_detected_on(detected_on: date | None) -> date:
    if not isinstance(detected_on, date):
        raise ValidationError(_l("Indique la fecha de detección."), field="detected_on")
    if detected_on > today_local():
        raise ValidationError(_l("La fecha de detección no puede ser futura."),
                              field="detected_on")
    return detected_on


def _check_person(user: User | None, field: str, message) -> User:
    if user is None or not user.is_active or user.role == Role.CERTIFIER:
        raise ValidationError(message, field=field)
    return user


def check_place(department_code: str | None,
                municipality_code: str | None) -> tuple[str | None, str | None]:
    """Validate Honduran codes; the municipality must belong to the department."""
    dep = geo.department(department_code) if department_code else None
    if department_code and dep is None:
        raise ValidationError(_l("Código de departamento desconocido."), field="department_code")
    if not municipality_code:
        return (dep.code if dep else None), None
    mun = geo.municipality(municipality_code)
    if mun is None:
        raise ValidationError(_l("Código de municipio desconocido."), field="municipality_code")
    if dep is not None and mun.department_code != dep.code:
        raise ValidationError(
            _l("El municipio %(m)s no pertenece al departamento %(d)s.", m=mun.name, d=dep.name),
            field="municipality_code")
    return mun.department_code, mun.code


def _check_origin(origin_type, origin_id, origin_label) -> tuple:
    origin_type = (origin_type or "").strip() or None
    origin_id = str(origin_id).strip() if origin_id not in (None, "") else None
    origin_label = (origin_label or "").strip() or None
    if origin_type is None and (origin_id or origin_label):
        raise ValidationError(_l("Indique el tipo de origen."), field="origin_type")
    if origin_type is not None and not ORIGIN_TYPE.match(origin_type):
        raise ValidationError(_l("Tipo de origen no válido."), field="origin_type")
    if origin_id and len(origin_id) > 60:
        raise ValidationError(_l("Máximo %(n)s caracteres.", n=60), field="origin_id")
    return origin_type, origin_id, (origin_label or "")[:200] or None


def _touch(nc: Nonconformity) -> None:
    """Bump the NC's version when a part of it changes, so a stale form is refused."""
    nc.updated_at = now_utc()


def _current_analysis(nc: Nonconformity) -> NCAnalysis:
    """The analysis of the current round, started from the previous round's if new."""
    analysis = nc.current_analysis
    if analysis is None:
        previous = nc.analyses[-1] if nc.analyses else None
        analysis = NCAnalysis(nc=nc, round=nc.analysis_round,
                              whys=list(previous.whys) if previous else [],
                              ishikawa=dict(previous.ishikawa) if previous else {})
        db.session.add(analysis)
    return analysis
