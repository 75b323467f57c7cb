"""Creating objectives and recording their KPI values; the rules live here.

Values are refused for a period that is not of the objective's frequency, for a period
that already has a value, and when they are not a finite number. A CSV import checks
every row first and writes nothing when any row is wrong.
"""

from __future__ import annotations

import math
import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from qms.auth.models import User
from qms.core import audit
from qms.core.db import now_utc
from qms.core.errors import ValidationError, check_version
from qms.core.roles import Role
from qms.core.time import today_local
from qms.extensions import db
from qms.objectives import computations
from qms.objectives.enums import Direction, Frequency, MeasureMethod, ValueSource
from qms.objectives.models import KPIValue, Objective
from qms.objectives.periods import Period, latest_complete_period, parse_period, periods_between
from qms.processes.models import Process

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,29}$")
OWNER_ROLES = (Role.PROCESS_OWNER, Role.QUALITY_OFFICER, Role.MANAGER, Role.ADMIN)
#: Values beyond this are typing errors, not measurements.
MAX_ABS_VALUE = 1e9


def list_objectives(*, include_inactive: bool = False, process_id: int | None = None):
    query = (select(Objective).options(joinedload(Objective.process), joinedload(Objective.owner))
             .outerjoin(Process, Process.id == Objective.process_id)
             .order_by(Process.code.is_(None), Process.code, Objective.code))
    if not include_inactive:
        query = query.where(Objective.active.is_(True))
    if process_id is not None:
        query = query.where(Objective.process_id == process_id)
    return query


def _text(value: str | None, field: str, label, *, required: bool = False, limit: int = 5000):
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(_l("Indique %(what)s.", what=label), field=field)
    if len(value) > limit:
        raise ValidationError(_l("Máximo %(n)d caracteres.", n=limit), field=field)
    return value


def parse_number(raw, field: str = "value") -> float:
    """A finite number from a float or from text with a decimal point or comma."""
    if isinstance(raw, bool):
        raise ValidationError(_l("El valor debe ser un número."), field=field)
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw or "").strip().replace(" ", "")
        if re.fullmatch(r"-?\d+,\d+", text):
            text = text.replace(",", ".")
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise ValidationError(_l("«%(value)s» no es un número.", value=str(raw or "")[:40]),
                                  field=field)
        value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
        raise ValidationError(_l("El valor debe ser un número finito."), field=field)
    return value


def _check_owner(owner: User | None) -> User:
    if owner is None or not owner.is_active or owner.role not in OWNER_ROLES:
        raise ValidationError(_l("El responsable debe ser un usuario activo con rol de dueño de "
                                 "proceso, responsable de calidad, alta dirección o "
                                 "administrador."), field="owner_id")
    return owner


def _measure(method, computation: str | None, params: dict | None) -> tuple:
    method = MeasureMethod(method)
    if method is MeasureMethod.MANUAL:
        return method, None, {}
    found = computations.get(computation)
    if found is None:
        raise ValidationError(_l("Elija el cálculo del indicador."), field="computation")
    try:
        return method, found.key, found.clean_params(params)
    except ValueError as exc:
        raise ValidationError(_l("Parámetro del cálculo no válido: %(name)s.", name=str(exc)),
                              field="computation_params") from None


def _apply(objective: Objective, fields: dict) -> None:
    objective.name = _text(fields["name"], "name", _l("el nombre del objetivo"), required=True,
                           limit=250)
    objective.process = fields.get("process")
    objective.owner = _check_owner(fields.get("owner"))
    objective.unit = _text(fields["unit"], "unit", _l("la unidad"), required=True, limit=30)
    objective.direction = Direction(fields["direction"])
    objective.target = parse_number(fields["target"], "target")
    objective.method, objective.computation, objective.computation_params = _measure(
        fields.get("method", MeasureMethod.MANUAL), fields.get("computation"),
        fields.get("computation_params"))
    for name in ("plan_what", "plan_resources", "plan_who", "plan_evaluation"):
        setattr(objective, name, _text(fields.get(name), name, ""))
    objective.plan_due_on = fields.get("plan_due_on")


def create_objective(*, code: str, frequency, **fields) -> Objective:
    """A new objective. The frequency is fixed once values exist, so it is set here."""
    code = (code or "").strip().upper()
    if not CODE_PATTERN.match(code):
        raise ValidationError(_l("El código debe tener de 2 a 30 caracteres: letras mayúsculas, "
                                 "cifras y guiones."), field="code")
    if db.session.scalar(select(Objective.id).where(Objective.code == code)) is not None:
        raise ValidationError(_l("Ya existe un objetivo con el código %(code)s.", code=code),
                              field="code")
    objective = Objective(code=code, frequency=Frequency(frequency))
    _apply(objective, fields)
    try:
        with db.session.begin_nested():
            db.session.add(objective)
    except IntegrityError:
        raise ValidationError(_l("Ya existe un objetivo con el código %(code)s.", code=code),
                              field="code") from None
    return objective


def update_objective(objective: Objective, *, expected_version: int | None, active: bool = True,
                     **fields) -> Objective:
    check_version(objective, expected_version)
    _apply(objective, fields)
    objective.active = bool(active)
    db.session.flush()
    return objective


def _period(objective: Objective, text: str, field: str = "period") -> Period:
    try:
        return parse_period(text, objective.frequency)
    except ValueError as exc:
        raise ValidationError(str(exc), field=field) from None


def _refuse_duplicate(objective: Objective, period: Period, field: str = "period") -> None:
    if db.session.scalar(select(KPIValue.id).where(KPIValue.objective_id == objective.id,
                                                   KPIValue.period == period.label)):
        raise ValidationError(_l("El objetivo %(code)s ya tiene un valor para el periodo "
                                 "%(period)s.", code=objective.code, period=period.label),
                              field=field)


def _id(actor: User | None) -> int | None:
    return actor.id if actor is not None else None


def add_value(value: KPIValue) -> KPIValue:
    try:
        with db.session.begin_nested():
            db.session.add(value)
    except IntegrityError:  # a concurrent entry took the period first
        raise ValidationError(_l("El objetivo ya tiene un valor para el periodo %(period)s.",
                                 period=value.period), field="period") from None
    return value


def record_value(objective: Objective, *, period: str, value, actor: User,
                 note: str = "") -> KPIValue:
    """A value measured by hand for one period of the objective's frequency."""
    if not objective.active:
        raise ValidationError(_l("El objetivo ya no está vigente."), field="period")
    found = _period(objective, period)
    number = parse_number(value)
    _refuse_duplicate(objective, found)
    return add_value(KPIValue(objective_id=objective.id, period=found.label, period_start=found.start,
                         period_end=found.end, value=number, source=ValueSource.MANUAL,
                         note=_text(note, "note", "", limit=2000), recorded_by_id=_id(actor)))


def compute(objective: Objective, period: Period) -> float | None:
    found = computations.get(objective.computation)
    if found is None:
        raise ValidationError(_l("Este objetivo no tiene un cálculo registrado."),
                              field="computation")
    return found.func(period, found.clean_params(objective.computation_params))


def compute_value(objective: Objective, *, period: str, actor: User | None) -> KPIValue | None:
    """Compute and store the value of one period; None when the period has no data."""
    if objective.method is not MeasureMethod.COMPUTED:
        raise ValidationError(_l("Los valores de este objetivo se registran a mano."),
                              field="period")
    found = _period(objective, period)
    if found.end >= today_local():
        raise ValidationError(_l("El periodo %(period)s aún no ha terminado.",
                                 period=found.label), field="period")
    _refuse_duplicate(objective, found)
    number = compute(objective, found)
    if number is None:
        return None
    return add_value(KPIValue(objective_id=objective.id, period=found.label, period_start=found.start,
                         period_end=found.end, value=number, source=ValueSource.COMPUTED,
                         computation=objective.computation,
                         parameters=dict(objective.computation_params or {}), recorded_by_id=_id(actor)))


def compute_missing(objective: Objective, *, since: date, today: date,
                    actor: User | None) -> list[KPIValue]:
    """Compute every complete period from ``since`` that has no value yet."""
    last = latest_complete_period(today, objective.frequency)
    taken = set(db.session.scalars(select(KPIValue.period)
                                   .where(KPIValue.objective_id == objective.id)))
    made = []
    for period in periods_between(since, last.end, objective.frequency):
        if period.label in taken or period.end > last.end:
            continue
        number = compute(objective, period)
        if number is not None:
            made.append(add_value(KPIValue(
                objective_id=objective.id, period=period.label, period_start=period.start,
                period_end=period.end, value=number, source=ValueSource.COMPUTED,
                computation=objective.computation,
                parameters=dict(objective.computation_params or {}), recorded_by_id=_id(actor))))
    return made


def recompute_value(value: KPIValue) -> float | None:
    """Run the stored computation again with the stored parameters; keep the result beside
    the stored value (never over it) and return the difference, if any."""
    found = computations.get(value.computation)
    if value.source is not ValueSource.COMPUTED or found is None:
        raise ValidationError(_l("Solo un valor calculado puede recalcularse."))
    period = Period(value.period_start, value.period_end, value.period)
    result = found.func(period, found.clean_params(value.parameters))
    audit.annotate(db.session, value, "recompute")
    value.recomputed_value = result
    value.recomputed_at = now_utc()
    db.session.flush()
    return value.recompute_difference
