"""The yearly programme's views of the audits [9.2.2 a)]: coverage grids, the
risk-based proposal and each auditor's audits (independence at a glance).

The proposal reads other domains only through their facts modules: NC figures per
process, and complaint figures once that domain exists.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qms.audits.enums import AuditStatus
from qms.audits.models import Audit, AuditMember, AuditProgramme
from qms.core.checklists import clause_titles
from qms.extensions import db
from qms.nonconformities import facts as nc_facts
from qms.processes import facts as process_facts

#: ISO/IEC 17021-1: a certificate runs three years; every process is audited within it.
CYCLE_YEARS = 3
TOP_CLAUSES = ("4", "5", "6", "7", "8", "9", "10")
LIVE = (AuditStatus.PLANNED, AuditStatus.IN_PROGRESS, AuditStatus.REPORTED, AuditStatus.CLOSED)
#: Points per factor of the risk-based ranking (shown to the reader beside each reason).
WEIGHTS = {"open": 2, "major": 4, "survey": 2, "complaint": 2, "per_year_unaudited": 1}


def _audits(year_from: int, year_to: int) -> list[Audit]:
    return list(db.session.scalars(
        select(Audit).where(Audit.year >= year_from, Audit.year <= year_to,
                            Audit.status.in_(LIVE))
        .options(selectinload(Audit.scope_links), selectinload(Audit.members)
                 .selectinload(AuditMember.user))
        .order_by(Audit.planned_start)))


@dataclass
class CoverageRow:
    process: process_facts.ProcessFact
    #: month (1–12) → audits of the process planned to start that month.
    months: dict[int, list[Audit]] = field(default_factory=dict)
    last_audit_on: date | None = None
    #: Not audited in the certification cycle (this year and the two before).
    gap: bool = False


def process_coverage(programme: AuditProgramme) -> list[CoverageRow]:
    processes = process_facts.active_processes()
    cycle = _audits(programme.year - CYCLE_YEARS + 1, programme.year)
    rows = {p.id: CoverageRow(p) for p in processes}
    for audit in cycle:
        for link in audit.scope_links:
            row = rows.get(link.process_id)
            if row is None:
                continue
            if audit.year == programme.year:
                row.months.setdefault(audit.planned_start.month, []).append(audit)
            when = audit.actual_start or audit.planned_start
            if row.last_audit_on is None or when > row.last_audit_on:
                row.last_audit_on = when
    for row in rows.values():
        row.gap = row.last_audit_on is None
    return list(rows.values())


@dataclass(frozen=True)
class ClauseRow:
    clause: str
    title: str
    audit_codes: frozenset[str]


def clause_coverage(programme: AuditProgramme) -> tuple[list[Audit], list[ClauseRow]]:
    """Clauses 4–10 × the year's audits: which audit has which clause as a criterion or
    in its checklist."""
    audits = [a for a in programme.audits if a.status in LIVE]
    titles = clause_titles()
    covered: dict[str, set[str]] = defaultdict(set)
    for audit in audits:
        clauses = set(audit.criteria_clauses) | {i.clause for i in audit.items}
        for clause in clauses:
            covered[clause.split(".")[0]].add(audit.code)
    return audits, [ClauseRow(c, titles.get(c, ""), frozenset(covered.get(c, ())))
                    for c in TOP_CLAUSES]


@dataclass(frozen=True)
class Ranked:
    process: process_facts.ProcessFact
    score: int
    reasons: tuple[str, ...]
    last_audit_on: date | None


def _complaint_figures(since: date) -> dict[int, int]:
    """Complaints per process from the complaints domain's facts, once it exists."""
    if importlib.util.find_spec("qms.complaints") is None \
            or importlib.util.find_spec("qms.complaints.facts") is None:
        return {}
    module = importlib.import_module("qms.complaints.facts")
    reader = getattr(module, "complaints_by_process", None)
    return dict(reader(since)) if reader else {}


def risk_proposal(programme: AuditProgramme, today: date) -> list[Ranked]:
    """Processes ranked for auditing, highest risk first, each with why."""
    since = date(today.year - 1, today.month, 1)
    figures = nc_facts.nc_figures_by_process(since)
    complaints = _complaint_figures(since)
    coverage = {row.process.id: row for row in process_coverage(programme)}
    ranked = []
    for process in process_facts.active_processes():
        f = figures.get(process.id)
        reasons: list[str] = []
        score = 0
        if f and f.open_count:
            score += WEIGHTS["open"] * f.open_count
            reasons.append(_("%(n)s NC abiertas (+%(p)s)", n=f.open_count,
                             p=WEIGHTS["open"] * f.open_count))
        if f and f.open_major:
            score += WEIGHTS["major"] * f.open_major
            reasons.append(_("%(n)s NC mayores abiertas (+%(p)s)", n=f.open_major,
                             p=WEIGHTS["major"] * f.open_major))
        if f and f.from_surveys:
            score += WEIGHTS["survey"] * f.from_surveys
            reasons.append(_("%(n)s resultados de satisfacción baja convertidos en NC en 12 "
                             "meses (+%(p)s)", n=f.from_surveys,
                             p=WEIGHTS["survey"] * f.from_surveys))
        n_complaints = complaints.get(process.id, 0) + (f.from_complaints if f else 0)
        if n_complaints:
            score += WEIGHTS["complaint"] * n_complaints
            reasons.append(_("%(n)s quejas ciudadanas en 12 meses (+%(p)s)", n=n_complaints,
                             p=WEIGHTS["complaint"] * n_complaints))
        last = coverage[process.id].last_audit_on if process.id in coverage else None
        if last is None:
            score += WEIGHTS["per_year_unaudited"] * 12
            reasons.append(_("sin auditoría en el ciclo de certificación de %(y)s años (+12)",
                             y=CYCLE_YEARS))
        else:
            months = max(0, (today.year - last.year) * 12 + today.month - last.month)
            if months:
                score += months // 1
                reasons.append(_("%(m)s meses desde su última auditoría (+%(m)s)", m=months))
        if not reasons:
            reasons.append(_("sin señales de riesgo"))
        ranked.append(Ranked(process, score, tuple(reasons), last))
    return sorted(ranked, key=lambda r: (-r.score, r.process.code))


@dataclass(frozen=True)
class AuditorLine:
    name: str
    audits: tuple[tuple[Audit, str, str], ...]  # (audit, role label, processes)


def auditors_view(programme: AuditProgramme) -> list[AuditorLine]:
    """Each auditor's audits of the year with the processes audited (independence)."""
    by_person: dict[str, list[tuple[Audit, str, str]]] = defaultdict(list)
    for audit in programme.audits:
        if audit.status == AuditStatus.CANCELLED:
            continue
        codes = ", ".join(p.code for p in audit.processes)
        for member in audit.members:
            if member.role.audits:
                by_person[member.user.full_name].append((audit, member.role.label, codes))
    return [AuditorLine(name, tuple(rows)) for name, rows in sorted(by_person.items())]
