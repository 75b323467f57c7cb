"""Chart helpers for the portal templates: pick rows from the datasets, draw server-side
SVG with :mod:`qms.core.charts` (the same numbers are always printed as a table too)."""

from __future__ import annotations

from flask_babel import gettext as _

from qms.core import formats
from qms.core.charts import bar_chart, line_chart


def fmt(value, decimals: int = 0, unit: str = "") -> str:
    """A figure in the reader's locale (:mod:`qms.core.formats`); "—" for a suppressed
    cell; a unit of " %" is the locale's own percent sign."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if unit.strip() == "%":
        return formats.percent(value, decimals)
    return f"{formats.number(value, decimals)}{unit}"


def rows(dataset, **where) -> list[dict]:
    return [r for r in dataset.rows if all(r.get(k) == v for k, v in where.items())]


def latest(values) -> str | None:
    values = sorted(values)
    return values[-1] if values else None


def national_series(ds, last: int = 12):
    national = rows(ds, departamento_codigo="HN")[-last:]
    return line_chart({
        _("Programados"): [(r["periodo"][2:], r["hogares_programados"]) for r in national],
        _("Pagados"): [(r["periodo"][2:], r["hogares_pagados"]) for r in national],
    }, title=_("Hogares programados y pagados, últimos 12 meses"), width=440, height=260)


def department_series(ds, code: str):
    data = rows(ds, departamento_codigo=code)[-12:]
    return line_chart({
        _("% pagados"): [(r["periodo"][2:], r["pct_pagados"]) for r in data],
    }, title=_("Hogares pagados, últimos 12 meses (%)"), unit=" %", y_min=0,
        y_max=100, width=440, height=240)


def paid_by_department(ds, period: str):
    data = [r for r in rows(ds, periodo=period) if r["departamento_codigo"] != "HN"]
    return bar_chart([(r["departamento"], r["pct_pagados"]) for r in data],
                     title=_("Hogares pagados por departamento, %(p)s (%%)", p=period),
                     unit=" %", max_value=100, width=440)


def index_by_department(data, title: str):
    return bar_chart([(r["departamento"], r["indice_satisfaccion"]) for r in data],
                     title=title, max_value=100, width=440, color="#2e8540")


def index_trend(data, title: str):
    return line_chart({_("Índice nacional"): [(r["ronda"], r["indice_satisfaccion"])
                                              for r in data]},
                      title=title, y_min=0, y_max=100, width=440, height=240)


def complaints_series(data):
    return line_chart({_("Recibidas"): [(r["mes"][2:], r["recibidas"]) for r in data],
                       _("Respondidas"): [(r["mes"][2:], r["respondidas"]) for r in data]},
                      title=_("Quejas recibidas y respondidas por mes"), width=440, height=240)


def nc_series(data):
    quarters = sorted({r["trimestre"] for r in data})
    opened = {q: sum(r["abiertas"] for r in data if r["trimestre"] == q) for q in quarters}
    closed = {q: sum(r["cerradas"] for r in data if r["trimestre"] == q) for q in quarters}
    return line_chart({_("Registradas"): list(opened.items()),
                       _("Cerradas"): list(closed.items())},
                      title=_("No conformidades por trimestre"), width=440, height=240)


def cells(data, first: str, columns: list[tuple[str, int]]) -> list[list[str]]:
    """Table rows: the label column, then each (column, decimals) formatted."""
    return [[r[first], *(fmt(r[name], decimals) for name, decimals in columns)] for r in data]
