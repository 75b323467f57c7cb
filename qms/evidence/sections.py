"""The sections of an evidence pack, as a registry: one gatherer per section.

A gatherer reads only other domains' ``facts`` modules (and core) and returns a
:class:`SectionData` of plain values: what the template shows, the records it cites
(for the manifest) and the files that evidence them. A section whose source domain is
not part of this installation says so (``source_missing``): it is shown, never hidden.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from qms.core.charts import bar_chart
from qms.core.settings import get_setting

#: How the manifest appendix names each kind of record.
RECORD_KINDS = {
    "process": _l("Proceso"), "document": _l("Documento"), "objective": _l("Objetivo"),
    "survey_wave": _l("Ronda de encuesta"), "audit": _l("Auditoría"),
    "management_review": _l("Revisión por la dirección"),
    "nonconformity": _l("No conformidad"),
}
#: Top-level clauses a pack covers, in order.
CLAUSES = ("4", "5", "6", "7", "8", "9", "10")


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    #: Process ids and codes in scope; None = every process.
    process_ids: tuple[int, ...] | None
    process_codes: tuple[str, ...]
    clauses: tuple[str, ...]


@dataclass(frozen=True)
class CitedFile:
    """A file the pack cites: by content address (stored blob) or as bytes in hand."""

    sha256: str
    size: int
    name: str
    mime_type: str
    #: The date the file represents (revision in force from, report signed on…).
    represents: str
    cited_by: str
    content: bytes | None = None


@dataclass(frozen=True)
class RecordRef:
    kind: str
    code: str
    last_change: str
    path: str


@dataclass(frozen=True)
class SectionData:
    key: str
    clause: str
    title: str
    template: str
    data: Any = None
    records: tuple[RecordRef, ...] = ()
    files: tuple[CitedFile, ...] = ()
    #: Why the source is absent (its domain is not installed yet), or None.
    source_missing: str | None = None
    #: How many records of this kind the section lists (for the mandatory items).
    count: int = 0
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    key: str
    clause: str
    title: Any
    template: str
    gather: Callable[[Scope], SectionData]


SECTIONS: list[Section] = []


def section(key: str, clause: str, title: Any) -> Callable:
    """Register the decorated ``gather(scope) -> dict`` as the section ``key`` of ``clause``.

    The function returns the template's ``data`` and optionally ``records``, ``files``,
    ``count``; raising :class:`SourceMissing` marks the section's source as absent."""

    def register(func: Callable[[Scope], dict]) -> Callable:
        if any(s.key == key for s in SECTIONS):
            raise RuntimeError(f"evidence section {key!r} registered twice")

        def gather(scope: Scope) -> SectionData:
            base = dict(key=key, clause=clause, title=str(title),
                        template=f"pdf/evidence/{key}.html")
            try:
                out = func(scope)
            except SourceMissing as missing:
                return SectionData(**base, source_missing=str(missing.reason))
            return SectionData(**base, data=out.get("data"),
                               records=tuple(out.get("records", ())),
                               files=tuple(out.get("files", ())), count=out.get("count", 0),
                               extra=out.get("extra", {}))

        SECTIONS.append(Section(key, clause, title, f"pdf/evidence/{key}.html", gather))
        return func

    return register


class SourceMissing(Exception):
    def __init__(self, reason: Any) -> None:
        super().__init__(str(reason))
        self.reason = reason


def _path(endpoint: str, **values: Any) -> str:
    """The app path of a record's page (no request context needed)."""
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return adapter.build(endpoint, values)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _in_scope(scope: Scope, process_id: int | None) -> bool:
    return scope.process_ids is None or process_id in scope.process_ids


# ------------------------------------------------------------------------ clause 4


@section("scope", "4", _l("4.3 y 4.4 Alcance del SGC y mapa de procesos"))
def gather_scope(scope: Scope) -> dict:
    from qms.processes.facts import active_processes

    processes = [p for p in active_processes() if _in_scope(scope, p.id)]
    text = str(get_setting("portal.certification_scope") or "")
    return {"data": {"scope_text": text, "processes": processes},
            "records": [RecordRef("process", p.code, "", _path("processes.detail",
                                                              process_id=p.id))
                        for p in processes],
            "count": 1 if text.strip() else 0}


# ------------------------------------------------------------------ documents


def _documents(scope: Scope):
    from qms.documents.facts import documents_in_force_between

    return documents_in_force_between(scope.start, scope.end, scope.process_ids)


def _document_rows(documents) -> dict:
    records, files = [], []
    for d in documents:
        records.append(RecordRef("document", d.code, _iso(d.updated_at),
                                 _path("documents.detail", document_id=d.id)))
        for r in d.revisions:
            if r.file:
                files.append(CitedFile(r.file.sha256, r.file.size, r.file.name,
                                       r.file.mime_type, r.effective_from,
                                       f"{d.code} rev. {r.number}"))
    return {"data": {"documents": documents}, "records": records, "files": files,
            "count": len(documents)}


@section("policy", "5", _l("5.2 Política de la calidad"))
def gather_policy(scope: Scope) -> dict:
    return _document_rows([d for d in _documents(scope) if d.doc_type in ("policy", "manual")])


@section("master_list", "7", _l("7.5 Información documentada: lista maestra"))
def gather_master_list(scope: Scope) -> dict:
    return _document_rows(_documents(scope))


@section("operations", "8", _l("8.1 y 8.5.1 Procedimientos e instructivos de la operación"))
def gather_operations(scope: Scope) -> dict:
    return _document_rows([d for d in _documents(scope)
                           if d.doc_type in ("procedure", "instruction", "form")])


# ------------------------------------------------------------------ objectives


@section("objectives", "6", _l("6.2 Objetivos de la calidad e indicadores"))
def gather_objectives(scope: Scope) -> dict:
    try:
        from qms.objectives import facts as objectives
    except ImportError:
        raise SourceMissing(_l("Los objetivos de la calidad y sus indicadores todavía no se "
                               "registran en este SGC.")) from None
    results = objectives.objective_results(scope.start, scope.end,
                                           list(scope.process_codes) or None)
    charts = {o.id: Markup(objectives.objective_chart_svg(o.id, scope.start, scope.end))  # noqa: S704 - SVG built by the objectives domain with escaped text
              for o in results}
    return {"data": {"objectives": results, "charts": charts},
            "records": [RecordRef("objective", o.code, "", o.url) for o in results],
            "count": len(results)}


# ------------------------------------------------------------------ surveys


@section("surveys", "9", _l("9.1.2 Satisfacción de los beneficiarios"))
def gather_surveys(scope: Scope) -> dict:
    from qms.surveys.facts import satisfaction_index_by_department

    waves: dict[str, dict] = {}
    for f in satisfaction_index_by_department():
        if f.starts_on > scope.end.isoformat() or f.ends_on < scope.start.isoformat():
            continue
        key = f"{f.survey_code}/{f.wave_code}"
        wave = waves.setdefault(key, {"fact": None, "departments": []})
        if f.department_code:
            wave["departments"].append(f)
        else:
            wave["fact"] = f
    rows = []
    for key in sorted(waves):
        wave = waves[key]
        national = wave["fact"]
        if national is None:
            continue
        chart = bar_chart([(d.department_code, d.index) for d in wave["departments"]],
                          title=str(_l("Índice de satisfacción por departamento")),
                          max_value=100) if wave["departments"] else None
        rows.append({"wave": national, "departments": wave["departments"], "chart": chart})
    return {"data": {"waves": rows},
            "records": [RecordRef("survey_wave", f"{r['wave'].survey_code}/{r['wave'].wave_code}",
                                  "", "") for r in rows],
            "count": len(rows)}


# ------------------------------------------------------------------ complaints


@section("complaints", "9", _l("9.1.2 Quejas ciudadanas atendidas"))
def gather_complaints(scope: Scope) -> dict:
    from qms.complaints.facts import complaint_category_labels, complaint_facts

    first, last = scope.start.strftime("%Y-%m"), scope.end.strftime("%Y-%m")
    facts = [f for f in complaint_facts() if first <= f.month <= last]
    labels = complaint_category_labels()
    by_category = Counter(f.category for f in facts)
    answered = [f for f in facts if f.answered]
    days = sorted(f.response_days for f in answered if f.response_days is not None)
    median = days[len(days) // 2] if days else None
    rows = [(labels.get(c, c), n, sum(1 for f in answered if f.category == c))
            for c, n in sorted(by_category.items())]
    return {"data": {"total": len(facts), "answered": len(answered), "median_days": median,
                     "rows": rows},
            "count": len(facts)}


# ------------------------------------------------------------------ audits


@section("audits", "9", _l("9.2 Auditoría interna: programa, cobertura y hallazgos"))
def gather_audits(scope: Scope) -> dict:
    from qms.audits.facts import audits_planned_between
    from qms.processes.facts import active_processes

    audits = audits_planned_between(scope.start, scope.end, scope.process_ids)
    processes = [p for p in active_processes() if _in_scope(scope, p.id)]
    grid = [(p, [a.code for a in audits if p.id in a.process_ids]) for p in processes]
    records, files = [], []
    for a in audits:
        records.append(RecordRef("audit", a.code, _iso(a.updated_at),
                                 _path("audits.detail", audit_id=a.id)))
        if a.report_file_id and a.report_sha256:
            files.append(CitedFile(a.report_sha256, a.report_size or 0,
                                   a.report_name or f"informe-{a.code}.pdf", "application/pdf",
                                   a.reported_on, f"{a.code}"))
    return {"data": {"audits": audits, "grid": grid}, "records": records, "files": files,
            "count": len(audits)}


# ------------------------------------------------------------------ reviews


@section("reviews", "9", _l("9.3 Revisión por la dirección"))
def gather_reviews(scope: Scope) -> dict:
    try:
        from qms.reviews import facts as reviews
    except ImportError:
        raise SourceMissing(_l("Las revisiones por la dirección todavía no se registran en "
                               "este SGC.")) from None
    rows = reviews.reviews_in_period(scope.start, scope.end)
    files = []
    for r in rows:
        content = reviews.review_minutes_pdf(r.id)
        if content:
            import hashlib

            files.append(CitedFile(hashlib.sha256(content).hexdigest(), len(content),
                                   f"acta-{r.code}.pdf", "application/pdf",
                                   str(r.minutes_approved_at or r.held_on)[:10], r.code,
                                   content=content))
    return {"data": {"reviews": rows}, "files": files, "count": len(rows),
            "records": [RecordRef("management_review", r.code, "", r.url) for r in rows]}


# ------------------------------------------------------------------ nonconformities


@section("nonconformities", "10", _l("10.2 No conformidades y acciones correctivas"))
def gather_nonconformities(scope: Scope) -> dict:
    from qms.nonconformities.facts import nonconformities_open_between

    ncs = nonconformities_open_between(scope.start, scope.end, scope.process_ids)
    records, files = [], []
    for nc in ncs:
        records.append(RecordRef("nonconformity", nc.code, _iso(nc.updated_at),
                                 _path("nonconformities.detail", nc_id=nc.id)))
        for f in nc.files:
            files.append(CitedFile(f.sha256, f.size, f.name, f.mime_type,
                                   f.uploaded_at.date().isoformat(), nc.code))
    verified = sum(1 for nc in ncs if any(v.result_label for v in nc.verifications))
    return {"data": {"ncs": ncs}, "records": records, "files": files, "count": len(ncs),
            "extra": {"verified": verified}}
