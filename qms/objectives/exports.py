"""An objective's KPI values as CSV or XLSX (the shared export machinery)."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from qms.core.spreadsheets import Column, csv_chunks, xlsx_bytes
from qms.core.time import to_local, today_local
from qms.extensions import db
from qms.objectives.models import KPIValue, Objective


def columns() -> list[Column]:
    return [Column(_("Objetivo"), 14), Column(_("Periodo"), 10), Column(_("Inicio"), 12),
            Column(_("Fin"), 12), Column(_("Valor"), 10), Column(_("Unidad"), 8),
            Column(_("Meta"), 12), Column(_("Cumple la meta"), 10), Column(_("Origen"), 18),
            Column(_("Cálculo"), 26), Column(_("Parámetros"), 26),
            Column(_("Valor recalculado"), 12), Column(_("Observación"), 40),
            Column(_("Registrado por"), 24), Column(_("Registrado el"), 18)]


def rows(objective: Objective) -> Iterator[list]:
    values = db.session.scalars(
        select(KPIValue).options(joinedload(KPIValue.recorded_by))
        .where(KPIValue.objective_id == objective.id).order_by(KPIValue.period_start))
    target = f"{objective.direction.symbol} {objective.target:g}"
    for v in values:
        params = ", ".join(f"{k}={val}" for k, val in sorted((v.parameters or {}).items()))
        yield [objective.code, v.period, v.period_start, v.period_end, v.value, objective.unit,
               target, _("Sí") if objective.direction.met(v.value, objective.target) else _("No"),
               v.source.label, v.computation or "", params, v.recomputed_value, v.note,
               v.recorded_by.full_name if v.recorded_by else "",
               to_local(v.recorded_at).strftime("%Y-%m-%d %H:%M")]


def values_csv(objective: Objective) -> Iterator[str]:
    return csv_chunks(columns(), rows(objective))


def values_xlsx(objective: Objective) -> bytes:
    title = _("%(code)s · %(name)s · valores al %(d)s", code=objective.code,
              name=objective.name, d=today_local().isoformat())
    return xlsx_bytes(title, _("Valores"), columns(), rows(objective))
