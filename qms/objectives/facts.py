"""Facts about quality objectives and their KPIs that other domains may read (the
management review, evidence packs, the dashboard). Plain data, no models.

Each function is self-contained and returns frozen dataclasses or plain values.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ObjectiveResult:
    """Where an active objective stands at the end of a window of time."""

    id: int
    code: str
    name: str
    process_code: str | None
    process_name: str | None
    owner_name: str | None
    unit: str
    #: ">=" (met at or above the target) or "<=" (met at or below it).
    direction: str
    target: float
    #: The value of the latest period that ended within the window, and that period.
    latest_value: float | None
    latest_period: str | None
    #: None when no value fell in the window.
    met: bool | None
    values_in_window: int
    #: Path of the objective's KPI page.
    url: str
    frequency: str = ""
    frequency_label: str = ""
    #: How many of the window's values met the target.
    met_in_window: int = 0


def _objective_url(objective_id: int) -> str:
    from flask import has_request_context, url_for
    from werkzeug.routing import BuildError

    if has_request_context():
        try:
            return url_for("objectives.detail", objective_id=objective_id)
        except BuildError:  # the pages are not registered (a CLI or job context)
            pass
    return f"/objetivos/{objective_id}"


def objective_results(start: date, end: date,
                      process_codes: Collection[str] | None = None) -> list[ObjectiveResult]:
    """Every active objective (of the given processes, when named) with its values whose
    period ended within [start, end]: the latest one, and whether it met the target.
    Two queries, ordered by process code then objective code."""
    from collections import defaultdict

    from sqlalchemy import select

    from qms.auth.models import User
    from qms.extensions import db
    from qms.objectives.models import KPIValue, Objective
    from qms.processes.models import Process

    query = (select(Objective.id, Objective.code, Objective.name, Objective.unit,
                    Objective.direction, Objective.target, Objective.frequency,
                    Process.code.label("process_code"), Process.name.label("process_name"),
                    User.full_name.label("owner_name"))
             .outerjoin(Process, Process.id == Objective.process_id)
             .outerjoin(User, User.id == Objective.owner_id)
             .where(Objective.active.is_(True))
             .order_by(Process.code.is_(None), Process.code, Objective.code))
    if process_codes is not None:
        query = query.where(Process.code.in_(list(process_codes)))
    objectives = db.session.execute(query).all()
    if not objectives:
        return []
    values: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for objective_id, period, value in db.session.execute(
            select(KPIValue.objective_id, KPIValue.period, KPIValue.value)
            .where(KPIValue.objective_id.in_([o.id for o in objectives]),
                   KPIValue.period_end >= start, KPIValue.period_end <= end)
            .order_by(KPIValue.objective_id, KPIValue.period_start)):
        values[objective_id].append((period, value))
    results = []
    for o in objectives:
        found = values.get(o.id, [])
        latest_period, latest = found[-1] if found else (None, None)
        results.append(ObjectiveResult(
            o.id, o.code, o.name, o.process_code, o.process_name, o.owner_name, o.unit,
            o.direction.value, o.target, latest, latest_period,
            o.direction.met(latest, o.target) if latest is not None else None, len(found),
            _objective_url(o.id), o.frequency.value, o.frequency.label,
            sum(1 for _, v in found if o.direction.met(v, o.target))))
    return results


@dataclass(frozen=True)
class KPIValueFact:
    period: str
    period_start: date
    period_end: date
    value: float
    met: bool
    #: "manual", "imported" or "computed".
    source: str
    source_label: str
    #: For computed values: the computation and its parameters; and a recomputed figure
    #: when a later recomputation differed.
    computation: str | None
    parameters: dict | None
    recomputed_value: float | None


def kpi_values(objective_id: int, start: date, end: date) -> list[KPIValueFact]:
    """The objective's values whose period ended within [start, end], oldest first."""
    from sqlalchemy import select

    from qms.extensions import db
    from qms.objectives.models import KPIValue, Objective

    objective = db.session.get(Objective, objective_id)
    if objective is None:
        return []
    rows = db.session.scalars(select(KPIValue).where(
        KPIValue.objective_id == objective_id, KPIValue.period_end >= start,
        KPIValue.period_end <= end).order_by(KPIValue.period_start))
    return [KPIValueFact(v.period, v.period_start, v.period_end, v.value,
                         objective.direction.met(v.value, objective.target), v.source.value,
                         v.source.label, v.computation, dict(v.parameters or {}) or None,
                         v.recomputed_value) for v in rows]


def objective_chart_svg(objective_id: int, start: date, end: date) -> str:
    """The KPI's values in the window as a server-side SVG line against the dashed target
    line: safe markup (every text escaped), usable in pages and PDFs. Empty string for an
    unknown objective."""
    from flask_babel import gettext as _

    from qms.core import charts
    from qms.extensions import db
    from qms.objectives.models import Objective

    objective = db.session.get(Objective, objective_id)
    if objective is None:
        return ""
    points = [(v.period, v.value) for v in kpi_values(objective_id, start, end)]
    unit = objective.unit if objective.unit in ("%",) else ""
    low = min([0.0, objective.target, *(v for _p, v in points)])
    description = _("%(name)s: %(count)d valores; meta %(direction)s %(target)s %(unit)s.",
                    name=objective.name, count=len(points),
                    direction=objective.direction.symbol, target=f"{objective.target:g}",
                    unit=objective.unit)
    return charts.line_chart(
        {_("Valor"): points}, title=f"{objective.code} · {objective.name}", unit=unit,
        y_min=low, target=objective.target,
        target_label=_("Meta %(direction)s", direction=objective.direction.symbol),
        desc=description)


def objectives_last_change() -> datetime | None:
    """When any objective or KPI value last changed (a cache key for readers)."""
    from sqlalchemy import func, select

    from qms.extensions import db
    from qms.objectives.models import KPIValue, Objective

    changed = [db.session.scalar(select(func.max(Objective.updated_at))),
               db.session.scalar(select(func.max(KPIValue.recorded_at))),
               db.session.scalar(select(func.max(KPIValue.recomputed_at)))]
    moments = [m for m in changed if m is not None]
    return max(moments) if moments else None
