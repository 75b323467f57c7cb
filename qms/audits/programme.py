"""The yearly programme's views of the audits [9.2.2 a)]: coverage grids, the
risk-based proposal and each auditor's audits (independence at a glance).

The proposal reads other domains only through their facts modules: NC figures per
process and the citizen complaints of the last twelve months. A complaint counts for the
process of the NC it raised; one without an NC counts for the process its category is
attributed to (settings ``audits.risk.complaint_process.<category>``, a process code).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from qms.audits.enums import AuditStatus
from qms.audits.models import Audit, AuditChecklistItem, AuditMember, AuditProgramme
from qms.complaints import facts as complaint_facts
from qms.core.checklists import clause_titles
from qms.core.errors import ValidationError
from qms.core.settings import get_setting, register_setting, set_setting
from qms.extensions import db
from qms.nonconformities import facts as nc_facts
from qms.processes import facts as process_facts

#: ISO/IEC 17021-1: a certificate runs three years; every process is audited within it.
CYCLE_YEARS = 3
TOP_CLAUSES = ("4", "5", "6", "7", "8", "9", "10")
LIVE = (AuditStatus.PLANNED, AuditStatus.IN_PROGRESS, AuditStatus.REPORTED, AuditStatus.CLOSED)
#: Points per factor of the risk-based ranking (shown to the reader beside each reason):
#: per open NC, per open major NC (on top of being open), per NC raised from a low
#: satisfaction result and per citizen complaint in the last 12 months, per month since
#: the last audit. A process never audited in the cycle counts the whole cycle's months.
WEIGHTS = {"open": 2, "major": 4, "survey": 2, "complaint": 2, "month": 1}
UNAUDITED_MONTHS = CYCLE_YEARS * 12

#: Which process answers for complaints of each category that raised no NC (by default).
COMPLAINT_PROCESS_DEFAULTS = {"money_request": "PAG", "payment": "PAG", "registration": "REG",
                              "service": "QUE", "other": ""}
for _category, _label in complaint_facts.complaint_category_labels().items():
    register_setting(
        f"audits.risk.complaint_process.{_category}", COMPLAINT_PROCESS_DEFAULTS.get(_category, ""),
        _l("Programa de auditorías: código del proceso al que cuentan las quejas «%(c)s»",
           c=_label),
        help=_l("Las quejas que levantaron una no conformidad cuentan para el proceso de "
                "esa no conformidad; vacío: estas quejas no se atribuyen a ningún proceso."))


def _audits(year_from: int, year_to: int) -> list[Audit]:
    return list(db.session.scalars(
        select(Audit).where(Audit.year >= year_from, Audit.year <= year_to,
                            Audit.status.in_(LIVE))
        .options(selectinload(Audit.scope_links))  # the coverage reads only the scope
        .order_by(Audit.planned_start)))


def load_programme_audits(programme: AuditProgramme) -> list[Audit]:
    """The year's audits (every status, by number) with their processes, scope and team,
    in four queries however many audits the year has; ``programme.audits`` is then
    served from them (the page's lists read it without a query per audit)."""
    audits = list(db.session.scalars(
        select(Audit).where(Audit.programme_id == programme.id)
        .options(selectinload(Audit.processes), selectinload(Audit.scope_links),
                 selectinload(Audit.members).selectinload(AuditMember.user))
        .order_by(Audit.number)))
    set_committed_value(programme, "audits", audits)
    return audits


@dataclass
class CoverageRow:
    process: process_facts.ProcessFact
    #: month (1–12) → audits of the process planned to start that month.
    months: dict[int, list[Audit]] = field(default_factory=dict)
    last_audit_on: date | None = None
    #: Not audited in the certification cycle (this year and the two before).
    gap: bool = False


def process_coverage(programme: AuditProgramme,
                     processes: list[process_facts.ProcessFact] | None = None
                     ) -> list[CoverageRow]:
    """Active processes × the year's months, with each process's last audit in the cycle."""
    if processes is None:
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
    # the checklists' clauses of every audit at once (not each audit's items)
    in_checklist: dict[int, set[str]] = defaultdict(set)
    if audits:
        for audit_id, clause in db.session.execute(
                select(AuditChecklistItem.audit_id, AuditChecklistItem.clause).distinct()
                .where(AuditChecklistItem.audit_id.in_([a.id for a in audits]))):
            in_checklist[audit_id].add(clause)
    covered: dict[str, set[str]] = defaultdict(set)
    for audit in audits:
        clauses = set(audit.criteria_clauses) | in_checklist[audit.id]
        for clause in clauses:
            if clause:
                covered[clause.split(".")[0]].add(audit.code)
    return audits, [ClauseRow(c, titles.get(c, ""), frozenset(covered.get(c, ())))
                    for c in TOP_CLAUSES]


@dataclass(frozen=True)
class Ranked:
    process: process_facts.ProcessFact
    score: int
    reasons: tuple[str, ...]
    last_audit_on: date | None


def complaints_by_process(since: date, *,
                          processes: list[process_facts.ProcessFact] | None = None,
                          attribution: dict[str, str] | None = None) -> dict[int, int]:
    """Process id → citizen complaints received since ``since`` attributed to it (counted
    in SQL; the attribution settings read once, not per complaint)."""
    counted = complaint_facts.complaint_counts_for_audit_risk(since)
    if processes is None:
        processes = process_facts.active_processes()
    if attribution is None:
        attribution = {a.category: a.code for a in complaint_attribution()}
    by_code = {p.code.upper(): p.id for p in processes}
    nc_process = nc_facts.nc_process_ids(c.nc_id for c in counted)
    counts: Counter[int] = Counter()
    for row in counted:
        process_id = nc_process.get(row.nc_id) if row.nc_id else None
        if process_id is None:
            process_id = by_code.get(attribution.get(row.category, "").strip().upper())
        if process_id is not None:
            counts[process_id] += row.count
    return dict(counts)


def months_between(earlier: date, later: date) -> int:
    return max(0, (later.year - earlier.year) * 12 + later.month - earlier.month)


def risk_proposal(programme: AuditProgramme, today: date, *,
                  processes: list[process_facts.ProcessFact] | None = None,
                  coverage: list[CoverageRow] | None = None,
                  attribution: list[Attribution] | None = None) -> list[Ranked]:
    """Processes ranked for auditing, highest risk first, each with why (ties by code).
    The page passes the processes, coverage and attribution it already read."""
    since = date(today.year - 1, today.month, 1)
    if processes is None:
        processes = process_facts.active_processes()
    if attribution is None:
        attribution = complaint_attribution()
    figures = nc_facts.nc_risk_figures_by_process(since)
    complaints = complaints_by_process(since, processes=processes,
                                       attribution={a.category: a.code for a in attribution})
    if coverage is None:
        coverage = process_coverage(programme, processes)
    last_audits = {row.process.id: row.last_audit_on for row in coverage}
    ranked = []
    for process in processes:
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
        n_complaints = complaints.get(process.id, 0)
        if n_complaints:
            score += WEIGHTS["complaint"] * n_complaints
            reasons.append(_("%(n)s quejas ciudadanas en 12 meses (+%(p)s)", n=n_complaints,
                             p=WEIGHTS["complaint"] * n_complaints))
        last = last_audits.get(process.id)
        if last is None:
            score += WEIGHTS["month"] * UNAUDITED_MONTHS
            reasons.append(_("sin auditoría en el ciclo de certificación de %(y)s años (+%(p)s)",
                             y=CYCLE_YEARS, p=WEIGHTS["month"] * UNAUDITED_MONTHS))
        elif months := months_between(last, today):
            score += WEIGHTS["month"] * months
            reasons.append(_("%(m)s meses desde su última auditoría (+%(p)s)", m=months,
                             p=WEIGHTS["month"] * months))
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


@dataclass(frozen=True)
class Attribution:
    category: str
    label: str
    #: Process code the category's complaints count for ("" for none).
    code: str


def complaint_attribution() -> list[Attribution]:
    """Which process each complaint category counts for when the complaint raised no NC."""
    return [Attribution(category, str(label),
                        str(get_setting(f"audits.risk.complaint_process.{category}") or ""))
            for category, label in complaint_facts.complaint_category_labels().items()]


def set_complaint_attribution(codes: dict[str, str]) -> None:
    """Store the attribution; a code that is not an active process is refused, naming it."""
    active = {p.code.upper() for p in process_facts.active_processes()}
    cleaned = {}
    for category, label in complaint_facts.complaint_category_labels().items():
        code = (codes.get(category) or "").strip().upper()
        if code and code not in active:
            raise ValidationError(_l("Quejas «%(c)s»: «%(p)s» no es un proceso vigente.",
                                     c=label, p=code[:20]), field=f"c-{category}")
        cleaned[category] = code
    for category, code in cleaned.items():
        set_setting(f"audits.risk.complaint_process.{category}", code)
