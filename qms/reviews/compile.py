"""Compile the inputs of a management review [9.3.2] from the records of the period.

Reads only other domains' ``facts`` modules (bounded aggregate queries) and this
domain's own decisions. The result is a plain JSON-able dict — the snapshot frozen when
the review is held::

    {"format": 1, "period": ["2026-01-01", "2026-12-31"], "compiled_at": "…",
     "sections": {"c4": {"figures": [{"k": "nc_opened", "v": 12, "u": "/no-…"}],
                         "tables": [{"k": "by_source", "cols": ["source", "count"],
                                     "rows": [{"c": ["Auditoría interna", 4], "u": …}]}],
                         "entered": "…", "note": null}, …}}

Figures and columns are stored by key (labels in :mod:`qms.reviews.sections`); record
content (codes, titles, enum labels) as text in the SGC's language.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from qms.core.db import now_utc
from qms.core.time import local_zone, today_local
from qms.extensions import db
from qms.reviews.enums import ReviewActionStatus, ReviewStatus
from qms.reviews.models import ManagementReview, ReviewDecision
from qms.reviews.sections import SECTIONS

SNAPSHOT_FORMAT = 1


def _url(endpoint: str, _anchor: str | None = None, **values: Any) -> str:
    """A path within the app, inside a request or not (CLI, jobs, benchmarks)."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return f"{path}#{_anchor}" if _anchor else path


def _fig(key: str, value: Any, url: str | None = None) -> dict:
    return {"k": key, "v": value, "u": url}


def _table(key: str, cols: list[str], rows: list[tuple[list, str | None]]) -> dict:
    return {"k": key, "cols": cols, "rows": [{"c": cells, "u": url} for cells, url in rows]}


def _section(figures=(), tables=(), note: str | None = None) -> dict:
    return {"figures": list(figures), "tables": list(tables), "note": note}


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = local_zone()
    return (datetime.combine(start, time.min, zone).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC))


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# ------------------------------------------------------------------ the sections


def previous_actions(review: ManagementReview) -> dict:
    """a) Actions decided in earlier reviews (held before this one), where they stand."""
    today = today_local()
    rows = db.session.scalars(
        select(ReviewDecision)
        .options(joinedload(ReviewDecision.review), joinedload(ReviewDecision.action_owner))
        .join(ManagementReview, ManagementReview.id == ReviewDecision.review_id)
        .where(ReviewDecision.action_owner_id.is_not(None), ManagementReview.id != review.id,
               ManagementReview.status.in_([ReviewStatus.HELD, ReviewStatus.MINUTES_APPROVED]),
               ManagementReview.held_on <= review.planned_on)
        .order_by(ManagementReview.held_on, ReviewDecision.number)).all()
    done = sum(1 for d in rows if d.action_status == ReviewActionStatus.DONE)
    overdue = sum(1 for d in rows if d.action_status != ReviewActionStatus.DONE
                  and d.action_due_on < today)
    table = [([d.review.code, f"{d.label} · {d.text}", d.action_owner.full_name,
               d.action_due_on.isoformat(),
               d.action_status.label + (" (vencida)" if d.action_status != ReviewActionStatus.DONE
                                        and d.action_due_on < today else "")],
              _url("reviews.detail", review_id=d.review_id, _anchor=f"d{d.id}"))
             for d in rows]
    return _section(
        [_fig("actions_total", len(rows)), _fig("actions_done", done),
         _fig("actions_open", len(rows) - done), _fig("actions_overdue", overdue)],
        [_table("actions", ["review", "decision", "owner", "due", "status"], table)] if rows
        else [])


def satisfaction(start: date, end: date) -> dict:
    """c1) Satisfaction index of the waves of the period; complaints received."""
    from qms.complaints import facts as complaints
    from qms.core.geo import department
    from qms.surveys import facts as surveys

    waves = surveys.satisfaction_waves_in_period(start, end)
    figures = [_fig("waves", len(waves), _url("surveys.list"))]
    tables = []
    wave_rows = [([f"{w.survey_code} · {w.wave_name} ({w.starts_on} – {w.ends_on})",
                   w.responses, w.index, w.moe], w.url) for w in waves]
    if wave_rows:
        tables.append(_table("waves", ["wave", "responses", "index", "moe"], wave_rows))
    latest = next((w for w in reversed(waves) if w.departments), None)
    if latest:
        lowest = sorted((d for d in latest.departments if d[2] is not None),
                        key=lambda d: d[2])[:5]
        tables.append(_table("lowest_departments", ["department", "responses", "index", "moe"], [
            ([f"{code} · {department(code).name if department(code) else code}", n, index, moe],
             _url("surveys.wave", wave_id=latest.wave_id, departamento=code))
            for code, n, index, moe in lowest]))
    since, until = _utc_bounds(start, end)
    c = complaints.complaint_figures_in_period(since, until)
    link = _url("complaints.list")
    figures += [_fig("complaints_received", c.received, link),
                _fig("complaints_answered", c.answered, link),
                _fig("complaints_open", c.open_now, link),
                _fig("complaints_days", round(c.mean_response_days, 1)
                     if c.mean_response_days is not None else None),
                _fig("complaints_nc", c.turned_into_nc,
                     _url("nonconformities.list", source="citizen_complaint",
                             detected_from=start.isoformat(), detected_to=end.isoformat()))]
    labels = complaints.complaint_category_labels()
    if c.by_category:
        tables.append(_table("complaints", ["category", "complaints"], [
            ([labels.get(k, k), n], link) for k, n in sorted(c.by_category.items())]))
    return _section(figures, tables)


def _objective_results(start: date, end: date):
    """The objectives' results, or None while the objectives register is not installed."""
    try:
        from qms.objectives import facts as objectives
    except ImportError:  # pragma: no cover - the objectives domain ships with issue 14
        return None
    return objectives.objective_results(start, end)


def objectives_met(start: date, end: date, results) -> dict:
    """c2) Each quality objective against its target in the period."""
    if results is None:
        return _section(note="objectives_unavailable")
    met = sum(1 for r in results if r.met is True)
    not_met = sum(1 for r in results if r.met is False)
    rows = [([f"{r.code} · {r.name}", r.process_code or "—",
              f"{r.direction} {_num(r.target)} {r.unit}".strip(),
              f"{_num(r.latest_value)} {r.unit}".strip() if r.latest_value is not None else "—",
              r.latest_period or "—",
              {True: "Sí", False: "No", None: "Sin datos"}[r.met]], r.url) for r in results]
    return _section(
        [_fig("objectives_total", len(results)), _fig("objectives_met", met),
         _fig("objectives_not_met", not_met),
         _fig("objectives_no_data", len(results) - met - not_met)],
        [_table("objectives", ["objective", "process", "target", "latest", "period", "met"],
                rows)] if rows else [])


def _num(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.2f}"


def _payment_months(start: date, end: date) -> tuple[str, str]:
    return f"{start:%Y-%m}", f"{end:%Y-%m}"


def processes(start: date, end: date, results, channels) -> dict:
    """c3) Per process: NCs of the period, open ones, objectives met; the bond's payment
    execution as the conformity of the service delivered."""
    from qms.nonconformities import facts as ncs

    per_process = ncs.nc_figures_by_process_in_period(start, end)
    objectives: dict[str, list] = {}
    for r in results or ():
        objectives.setdefault(r.process_code, []).append(r.met)
    rows = []
    for p in per_process:
        mets = objectives.get(p.process_code, [])
        ratio = f"{sum(1 for m in mets if m)} / {len(mets)}" if mets else "—"
        rows.append(([f"{p.process_code} · {p.process_name}", p.opened, p.opened_major,
                      p.open_now, p.from_complaints, ratio],
                     _url("nonconformities.list", process_id=p.process_id,
                             detected_from=start.isoformat(), detected_to=end.isoformat())))
    scheduled = sum(c.scheduled for c in channels)
    paid = sum(c.paid for c in channels)
    return _section(
        [_fig("processes", len(per_process), _url("processes.list")),
         _fig("payment_rate", _pct(paid, scheduled), _url("payments.list"))],
        [_table("processes", ["process", "ncs_opened", "ncs_major", "ncs_open_now",
                              "ncs_from_complaints", "objectives_ratio"], rows)] if rows else [])


def nonconformities(start: date, end: date) -> dict:
    """c4) NCs detected, closed and open; corrective actions and their effectiveness."""
    from qms.nonconformities import facts as ncs

    f = ncs.nc_review_figures(start, end, today_local())
    period = {"detected_from": start.isoformat(), "detected_to": end.isoformat()}
    register = _url("nonconformities.list", **period)
    labels = ncs.nc_source_labels()
    return _section(
        [_fig("nc_opened", f.opened, register),
         _fig("nc_major", f.opened_major,
              _url("nonconformities.list", severity="major", **period)),
         _fig("nc_closed", f.closed, _url("nonconformities.list", status="closed")),
         _fig("nc_cancelled", f.cancelled,
              _url("nonconformities.list", status="cancelled", **period)),
         _fig("nc_open_at_end", f.open_at_end, _url("nonconformities.list", open_only=1)),
         _fig("nc_median_days", f.median_days_to_close),
         _fig("ca_due", f.actions_due), _fig("ca_done", f.actions_done),
         _fig("ca_overdue", f.actions_overdue_now, _url("nonconformities.list", overdue=1)),
         _fig("ver_effective", f.verifications_effective),
         _fig("ver_not_effective", f.verifications_not_effective)],
        [_table("by_source", ["source", "count"], [
            ([labels.get(k, k), n], _url("nonconformities.list", source=k, **period))
            for k, n in sorted(f.by_source.items())])] if f.by_source else [])


def monitoring(start: date, end: date, results, channels) -> dict:
    """c5) What was measured in the period: KPI values, survey responses, payment
    periods reported, documents overdue for their periodic review."""
    from qms.documents import facts as documents
    from qms.surveys import facts as surveys

    waves = surveys.satisfaction_waves_in_period(start, end)
    due = documents.documents_due_for_review(end, min(end, today_local()))
    figures = []
    if results is not None:
        figures += [_fig("kpi_values", sum(r.values_in_window for r in results)),
                    _fig("kpi_measured", sum(1 for r in results if r.values_in_window))]
    scheduled = sum(c.scheduled for c in channels)
    figures += [
        _fig("survey_responses", sum(w.responses for w in waves), _url("surveys.list")),
        _fig("payment_periods", max((c.periods for c in channels), default=0),
             _url("payments.list")),
        _fig("payment_rate", _pct(sum(c.paid for c in channels), scheduled),
             _url("payments.list")),
        _fig("documents_review_due", len(due), _url("documents.list"))]
    return _section(figures)


def audits(start: date, end: date) -> dict:
    """c6) Internal and external audits of the period with their findings."""
    from qms.audits import facts as audit_facts

    found = audit_facts.audit_results_for_review(start, end)

    def total(kind: str) -> int:
        return sum(a.findings.get(kind, 0) for a in found)

    rows = [([f"{a.code} · {a.title}", a.type_label, a.status_label,
              " / ".join(str(a.findings.get(k, 0))
                         for k in ("major_nc", "minor_nc", "observation", "opportunity"))],
             a.url) for a in found]
    return _section(
        [_fig("audits_total", len(found), _url("audits.index")),
         _fig("audits_internal", sum(1 for a in found if not a.external)),
         _fig("audits_external", sum(1 for a in found if a.external)),
         _fig("audits_reported", sum(1 for a in found if a.status in ("reported", "closed"))),
         _fig("findings_major", total("major_nc")), _fig("findings_minor", total("minor_nc")),
         _fig("findings_obs", total("observation")), _fig("findings_ofi", total("opportunity"))],
        [_table("audits", ["audit", "type", "status", "findings"], rows)] if rows else [])


def providers(channels) -> dict:
    """c7) The paying banks and wallets: households scheduled and paid per channel."""
    link = _url("payments.list")
    rows = [([c.channel_label, c.periods, c.scheduled, c.paid,
              round(c.execution_rate, 1) if c.execution_rate is not None else None,
              round(c.amount, 2)], link) for c in channels]
    return _section([_fig("channels", len(channels), link)],
                    [_table("channels", ["channel", "periods", "scheduled", "paid", "rate",
                                         "amount"], rows)] if rows else [])


def improvement(start: date, end: date) -> dict:
    """f) Opportunities for improvement recorded by audits (and complaints «other»)."""
    from qms.audits import facts as audit_facts

    found = audit_facts.audit_opportunities_for_review(start, end)
    rows = [([f"{o.audit_code} {o.label}", o.type_label, o.process_code, o.description], o.url)
            for o in found]
    return _section([_fig("ofis", len(found))],
                    [_table("ofis", ["finding", "type", "process", "description"], rows)]
                    if rows else [])


# ---------------------------------------------------------------------- compile


def compile_inputs(review: ManagementReview) -> dict:
    """Every 9.3.2 section for the review's period, with the entered texts, as plain data.

    Compiled in the SGC's own language (record content), whoever asks.
    """
    start, end = review.period_start, review.period_end
    from qms.payments import facts as payments

    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "es")):
        results = _objective_results(start, end)
        channels = payments.payment_channel_figures_in_period(*_payment_months(start, end))
        builders: dict[str, Callable[[], dict]] = {
            "a": lambda: previous_actions(review),
            "b": lambda: _section(),
            "c1": lambda: satisfaction(start, end),
            "c2": lambda: objectives_met(start, end, results),
            "c3": lambda: processes(start, end, results, channels),
            "c4": lambda: nonconformities(start, end),
            "c5": lambda: monitoring(start, end, results, channels),
            "c6": lambda: audits(start, end),
            "c7": lambda: providers(channels),
            "d": lambda: _section(),
            "e": lambda: _section(),
            "f": lambda: improvement(start, end),
        }
        sections = {}
        for s in SECTIONS:
            sections[s.id] = builders[s.id]()
            sections[s.id]["entered"] = getattr(review, s.entered) if s.entered else None
    return {"format": SNAPSHOT_FORMAT, "period": [start.isoformat(), end.isoformat()],
            "compiled_at": now_utc().isoformat(), "sections": sections}


def canonical_json(data: dict) -> bytes:
    """The bytes the snapshot's SHA-256 is taken over (sorted keys, no spaces)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def snapshot_hash(data: dict) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()
