"""Everything the portal publishes, computed once per data change from the facts modules.

:func:`build` reads the other domains' facts, aggregates them, applies the small-group
rule (:mod:`qms.portal.suppression`) and returns a :class:`Snapshot`: the open-data
tables (the very rows the CSV, the JSON and the pages show) plus page summaries.
A suppressed cell is ``None`` (an empty CSV cell, ``null`` in JSON, "—" on a page).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from qms.complaints import facts as complaint_facts
from qms.core import geo
from qms.core.db import now_utc
from qms.nonconformities import facts as nc_facts
from qms.payments import facts as payment_facts
from qms.portal.suppression import Relation, suppress
from qms.surveys import facts as survey_facts

NATIONAL = "HN"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    title: Any
    description: Any = ""


@dataclass
class Dataset:
    name: str
    title: Any
    description: Any
    source: Any
    fields: list[Field]
    primary_key: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    period: tuple[str, str] | None = None
    #: Whether the small-group rule applies (counts of people or households).
    suppressed_cells: int = 0


@dataclass
class Snapshot:
    computed_at: datetime
    stamp: tuple
    min_group: int
    datasets: dict[str, Dataset]
    pages: dict[str, Any]


def _dept_name(code: str) -> str:
    if code == NATIONAL:
        return "Honduras"
    dept = geo.department(code)
    return dept.name if dept else code


# ----------------------------------------------------------------------- payments

_PAY_FIELDS = [
    Field("hogares_programados", "integer", _l("Hogares programados"),
          _l("Hogares con pago programado en el periodo.")),
    Field("hogares_pagados", "integer", _l("Hogares pagados"),
          _l("Hogares que cobraron el bono en el periodo.")),
    Field("hogares_no_pagados", "integer", _l("Hogares no pagados"),
          _l("Programados que no cobraron.")),
    Field("monto_pagado_lps", "number", _l("Monto pagado (lempiras)"),
          _l("Suma pagada a los hogares, en lempiras.")),
]


def _payments(k: int) -> tuple[list[Dataset], dict]:
    cells = payment_facts.payment_cells()
    reasons = list(payment_facts.payment_reason_labels())
    channels = payment_facts.payment_channel_labels()
    values: dict[tuple, int] = defaultdict(int)
    amounts: dict[tuple, float] = defaultdict(float)
    periods: set[str] = set()
    munis: dict[str, set[str]] = defaultdict(set)
    used_channels: set[str] = set()
    for c in cells:
        periods.add(c.period)
        munis[c.department_code].add(c.municipality_code)
        used_channels.add(c.channel)
        unpaid = c.scheduled - c.paid
        for place in (c.municipality_code, c.department_code, NATIONAL):
            values[("s", c.period, place)] += c.scheduled
            values[("p", c.period, place)] += c.paid
            values[("u", c.period, place)] += unpaid
            amounts[(c.period, place)] += c.amount
        for reason, count in [*c.unpaid_reasons.items(),
                              ("", unpaid - sum(c.unpaid_reasons.values()))]:
            values[("r", c.period, c.department_code, reason)] += count
            values[("r", c.period, NATIONAL, reason)] += count
        values[("cs", c.period, c.channel)] += c.scheduled
        values[("cp", c.period, c.channel)] += c.paid
        amounts[(c.period, "channel:" + c.channel)] += c.amount
    relations: list[Relation] = []
    for period in periods:
        places = [NATIONAL, *munis]
        for dept, codes in munis.items():
            places.extend(codes)
            for kind in "spu":
                relations.append(Relation((kind, period, dept),
                                          tuple((kind, period, m) for m in sorted(codes))))
            relations.append(Relation(("u", period, dept), tuple(
                ("r", period, dept, r) for r in [*reasons, ""])))
        for kind in "spu":
            relations.append(Relation((kind, period, NATIONAL),
                                      tuple((kind, period, d) for d in sorted(munis))))
        relations.append(Relation(("u", period, NATIONAL), tuple(
            ("r", period, NATIONAL, r) for r in [*reasons, ""])))
        for r in [*reasons, ""]:
            relations.append(Relation(("r", period, NATIONAL, r), tuple(
                ("r", period, d, r) for d in sorted(munis))))
        for place in places:
            relations.append(Relation(("s", period, place),
                                      (("p", period, place), ("u", period, place))))
        relations.append(Relation(("s", period, NATIONAL), tuple(
            ("cs", period, ch) for ch in sorted(used_channels))))
        relations.append(Relation(("p", period, NATIONAL), tuple(
            ("cp", period, ch) for ch in sorted(used_channels))))
    hidden = suppress(values, relations, k)

    def num(key):
        return None if key in hidden else values.get(key, 0)

    def money(period, place, paid_key):
        return None if paid_key in hidden else round(amounts.get((period, place), 0.0), 2)

    muni_rows, dept_rows, channel_rows = [], [], []
    for period in sorted(periods):
        for dept in sorted(munis):
            for code in sorted(munis[dept]):
                muni = geo.municipality(code)
                muni_rows.append({
                    "periodo": period, "departamento_codigo": dept,
                    "departamento": _dept_name(dept), "municipio_codigo": code,
                    "municipio": muni.name if muni else code,
                    "hogares_programados": num(("s", period, code)),
                    "hogares_pagados": num(("p", period, code)),
                    "hogares_no_pagados": num(("u", period, code)),
                    "monto_pagado_lps": money(period, code, ("p", period, code))})
        for dept in [NATIONAL, *sorted(munis)]:
            row = {"periodo": period, "departamento_codigo": dept,
                   "departamento": _dept_name(dept),
                   "hogares_programados": num(("s", period, dept)),
                   "hogares_pagados": num(("p", period, dept)),
                   "hogares_no_pagados": num(("u", period, dept)),
                   "monto_pagado_lps": money(period, dept, ("p", period, dept))}
            s, p = row["hogares_programados"], row["hogares_pagados"]
            row["pct_pagados"] = round(100 * p / s, 1) if s and p is not None else None
            for reason in [*reasons, ""]:
                row[f"no_pago_{reason or 'sin_motivo'}"] = num(("r", period, dept, reason))
            dept_rows.append(row)
        for ch in sorted(used_channels):
            channel_rows.append({
                "periodo": period, "canal": ch, "canal_nombre": channels.get(ch, ch),
                "hogares_programados": num(("cs", period, ch)),
                "hogares_pagados": num(("cp", period, ch)),
                "monto_pagado_lps": money(period, "channel:" + ch, ("cp", period, ch))})
    span = (min(periods), max(periods)) if periods else None
    source = _l("Sistema de pagos del programa (agregados por periodo, municipio y canal)")
    period_field = Field("periodo", "yearmonth", _l("Periodo de pago"), _l("Mes, AAAA-MM."))
    dept_fields = [Field("departamento_codigo", "string", _l("Código de departamento"),
                         _l("Dos dígitos; HN = total nacional.")),
                   Field("departamento", "string", _l("Departamento"))]
    reason_labels = payment_facts.payment_reason_labels()
    reason_fields = [Field(f"no_pago_{r}", "integer", _l("No pagados: %(r)s", r=label))
                     for r, label in reason_labels.items()]
    reason_fields.append(Field("no_pago_sin_motivo", "integer",
                               _l("No pagados sin motivo registrado")))
    datasets = [
        Dataset("pagos-municipio", _l("Ejecución del bono por municipio"),
                _l("Hogares programados y pagados y monto pagado, por mes y municipio."),
                source, [period_field, *dept_fields,
                         Field("municipio_codigo", "string", _l("Código de municipio"),
                               _l("Cuatro dígitos (departamento + municipio).")),
                         Field("municipio", "string", _l("Municipio")), *_PAY_FIELDS],
                ["periodo", "municipio_codigo"], muni_rows, span),
        Dataset("pagos-departamento", _l("Ejecución del bono por departamento"),
                _l("Totales por mes y departamento (HN = nacional), con los motivos de no pago."),
                source, [period_field, *dept_fields, *_PAY_FIELDS,
                         Field("pct_pagados", "number", _l("Porcentaje de hogares pagados")),
                         *reason_fields],
                ["periodo", "departamento_codigo"], dept_rows, span),
        Dataset("pagos-canal", _l("Pagos por canal"),
                _l("Hogares y montos por mes y canal de pago (banco, billetera móvil…)."),
                source, [period_field, Field("canal", "string", _l("Canal (código)")),
                         Field("canal_nombre", "string", _l("Canal")),
                         _PAY_FIELDS[0], _PAY_FIELDS[1], _PAY_FIELDS[3]],
                ["periodo", "canal"], channel_rows, span),
    ]
    for ds in datasets:
        ds.suppressed_cells = sum(1 for r in ds.rows for v in r.values() if v is None)
    return datasets, {"periods": sorted(periods), "source_file": payment_facts.payments_source_label()}


# ------------------------------------------------------------------- satisfaction


def _satisfaction(k: int) -> Dataset:
    facts = survey_facts.satisfaction_index_by_department()
    by_wave: dict[tuple, list] = defaultdict(list)
    for f in facts:
        by_wave[(f.survey_code, f.wave_code)].append(f)
    rows = []
    for group in by_wave.values():
        values = {("r", f.department_code): f.responses for f in group}
        values.update({("n", f.department_code): f.n for f in group})
        parts = [f.department_code for f in group if f.department_code]
        relations = [Relation(("r", ""), tuple(("r", d) for d in parts)),
                     Relation(("n", ""), tuple(("n", d) for d in parts))]
        hidden = suppress(values, relations, k)
        for f in sorted(group, key=lambda f: f.department_code):
            hide = ("n", f.department_code) in hidden or ("r", f.department_code) in hidden
            rows.append({
                "encuesta": f.survey_code, "encuesta_nombre": f.survey_title,
                "ronda": f.wave_code, "inicio": f.starts_on, "fin": f.ends_on,
                "departamento_codigo": f.department_code or NATIONAL,
                "departamento": _dept_name(f.department_code or NATIONAL),
                "respuestas": None if ("r", f.department_code) in hidden else f.responses,
                "indice_satisfaccion": None if hide or f.index is None else round(f.index, 1),
                "margen_error": None if hide or f.moe is None else round(f.moe, 1)})
    dates = [r["inicio"] for r in rows] + [r["fin"] for r in rows]
    return Dataset(
        "satisfaccion-departamento", _l("Satisfacción de los hogares beneficiarios"),
        _l("Índice de satisfacción (0–100) por ronda de encuesta y departamento, con su margen "
           "de error al 95 %."),
        _l("Encuestas de satisfacción del SGC (ISO 9001 9.1.2)"),
        [Field("encuesta", "string", _l("Encuesta (código)")),
         Field("encuesta_nombre", "string", _l("Encuesta")),
         Field("ronda", "string", _l("Ronda")), Field("inicio", "date", _l("Inicio de la ronda")),
         Field("fin", "date", _l("Fin de la ronda")),
         Field("departamento_codigo", "string", _l("Código de departamento"),
               _l("Dos dígitos; HN = total nacional.")),
         Field("departamento", "string", _l("Departamento")),
         Field("respuestas", "integer", _l("Respuestas")),
         Field("indice_satisfaccion", "number", _l("Índice de satisfacción (0–100)")),
         Field("margen_error", "number", _l("Margen de error (± puntos, 95 %)"))],
        ["encuesta", "ronda", "departamento_codigo"], rows,
        (min(dates), max(dates)) if dates else None)


# --------------------------------------------------------------------- complaints


def _complaints(k: int) -> tuple[Dataset, Dataset, dict]:
    facts = complaint_facts.complaint_facts()
    labels = complaint_facts.complaint_category_labels()
    received: dict[tuple, int] = defaultdict(int)
    answered: dict[str, list[float]] = defaultdict(list)
    months = sorted({f.month for f in facts})
    for f in facts:
        received[("m", f.month, f.category)] += 1
        received[("m", f.month, "")] += 1
        received[("d", f.department_code)] += 1
        received[("d", "")] += 1
        received[("t", "")] += 1
        if f.answered:
            received[("a", f.month)] += 1
            answered[f.month].append(f.response_days or 0.0)
    relations = [Relation(("m", m, ""), tuple(("m", m, c) for c in labels)) for m in months]
    relations.append(Relation(("t", ""), tuple(("m", m, "") for m in months)))
    depts = sorted({f.department_code for f in facts})
    relations.append(Relation(("d", ""), tuple(("d", d) for d in depts)))
    hidden = suppress(received, relations, k)
    month_rows = []
    for m in months:
        n_answered = received.get(("a", m), 0)
        month_rows.append({
            "mes": m, "tipo": "total", "tipo_nombre": str(_l("Todas")),
            "recibidas": None if ("m", m, "") in hidden else received[("m", m, "")],
            "respondidas": n_answered if n_answered == 0 or n_answered >= k else None,
            "mediana_dias_respuesta": round(statistics.median(answered[m]), 1)
            if n_answered >= k else None})
        for c, label in labels.items():
            key = ("m", m, c)
            month_rows.append({"mes": m, "tipo": c, "tipo_nombre": label,
                               "recibidas": None if key in hidden else received.get(key, 0),
                               "respondidas": None, "mediana_dias_respuesta": None})
    dept_rows = [{"departamento_codigo": d, "departamento": _dept_name(d),
                  "recibidas": None if ("d", d) in hidden else received[("d", d)]}
                 for d in depts]
    all_days = [d for days in answered.values() for d in days]
    summary = {
        "received": received.get(("t", ""), 0) if received.get(("t", ""), 0) >= k or
        not facts else None,
        "answered": len(all_days) if len(all_days) >= k or not all_days else None,
        "median_days": round(statistics.median(all_days), 1) if len(all_days) >= k else None,
    }
    source = _l("Registro de quejas ciudadanas del SGC")
    span = (months[0], months[-1]) if months else None
    by_month = Dataset(
        "quejas-mes", _l("Quejas y denuncias por mes"),
        _l("Quejas recibidas por mes y tipo; respondidas y mediana de días hasta la respuesta "
           "(fila «total»)."), source,
        [Field("mes", "yearmonth", _l("Mes de recepción"), _l("AAAA-MM, hora de Honduras.")),
         Field("tipo", "string", _l("Tipo (código)")), Field("tipo_nombre", "string", _l("Tipo")),
         Field("recibidas", "integer", _l("Quejas recibidas")),
         Field("respondidas", "integer", _l("Quejas respondidas")),
         Field("mediana_dias_respuesta", "number", _l("Mediana de días hasta la respuesta"))],
        ["mes", "tipo"], month_rows, span)
    by_dept = Dataset(
        "quejas-departamento", _l("Quejas y denuncias por departamento"),
        _l("Quejas recibidas desde el inicio del registro, por departamento."), source,
        [Field("departamento_codigo", "string", _l("Código de departamento")),
         Field("departamento", "string", _l("Departamento")),
         Field("recibidas", "integer", _l("Quejas recibidas"))],
        ["departamento_codigo"], dept_rows, span)
    for ds in (by_month, by_dept):
        ds.suppressed_cells = sum(1 for r in ds.rows for v in (r["recibidas"],) if v is None)
    return by_month, by_dept, summary


# ---------------------------------------------------------------- nonconformities


def _nonconformities() -> Dataset:
    rows = [{"trimestre": f.quarter, "proceso_codigo": f.process_code, "proceso": f.process_name,
             "abiertas": f.opened, "cerradas": f.closed}
            for f in nc_facts.nc_counts_per_quarter_by_process()]
    quarters = sorted({r["trimestre"] for r in rows})
    return Dataset(
        "no-conformidades-trimestre", _l("No conformidades por trimestre y proceso"),
        _l("No conformidades registradas y cerradas por trimestre y proceso (solo cantidades). "
           "Cuentan registros del sistema de calidad, no personas: no se suprimen."),
        _l("Registro de no conformidades del SGC (ISO 9001 10.2)"),
        [Field("trimestre", "string", _l("Trimestre"), _l("AAAA-T1 … AAAA-T4.")),
         Field("proceso_codigo", "string", _l("Proceso (código)")),
         Field("proceso", "string", _l("Proceso")),
         Field("abiertas", "integer", _l("No conformidades registradas")),
         Field("cerradas", "integer", _l("No conformidades cerradas"))],
        ["trimestre", "proceso_codigo"], rows, (quarters[0], quarters[-1]) if quarters else None)


# --------------------------------------------------------------------------- all


def stamp() -> tuple:
    """What changes when any published figure may have changed."""
    from qms.core.settings import get_setting
    from qms.documents import facts as document_facts

    return (payment_facts.payments_last_change(), complaint_facts.complaints_last_change(),
            nc_facts.nonconformities_last_change(), survey_facts.surveys_last_change(),
            document_facts.documents_last_change(),
            *(get_setting(key) for key in SETTING_KEYS))


SETTING_KEYS = ("portal.min_group_size", "portal.certification_status",
                "portal.certification_scope", "portal.certification_body",
                "portal.certificate_valid_until", "portal.license")


def build(current_stamp: tuple | None = None) -> Snapshot:
    from qms.core.settings import get_setting
    from qms.documents import facts as document_facts

    k = int(get_setting("portal.min_group_size"))
    payments, pay_info = _payments(k)
    satisfaction = _satisfaction(k)
    by_month, by_dept, complaint_summary = _complaints(k)
    ncs = _nonconformities()
    datasets = {d.name: d for d in [*payments, satisfaction, by_month, by_dept, ncs]}
    pages = {
        "payments": pay_info, "complaints": complaint_summary,
        "documents": document_facts.public_documents(),
        "certification": {key.split(".", 1)[1]: get_setting(key) for key in SETTING_KEYS[1:]},
    }
    return Snapshot(now_utc(), current_stamp or stamp(), k, datasets, pages)
