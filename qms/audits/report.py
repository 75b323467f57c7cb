"""The audit report [ISO 19011 6.5]: gathered as frozen plain data, rendered by
``templates/pdf/audit_report.html``, printed by :mod:`qms.core.pdf`, signed by the lead
auditor (password re-entered, meaning recorded), stored and hashed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from io import BytesIO

from flask_babel import lazy_gettext as _l

from qms.audits.enums import AuditStatus, ItemResult
from qms.audits.models import Audit
from qms.audits.services import AUDIT_FLOW, nc_facts_for
from qms.auth.models import User
from qms.auth.services import verify_signature
from qms.core.checklists import clause_titles
from qms.core.db import now_utc
from qms.core.errors import TransitionError, ValidationError, check_version
from qms.core.pdf import render_pdf
from qms.core.storage import store
from qms.core.time import to_local, today_local
from qms.extensions import db

#: What the lead auditor's signature means, stored with it as shown to the signer
#: (record content in the SGC's language, not a translated UI string).
SIGN_MEANING = ("Firmo este informe como auditor(a) líder: refleja las evidencias, los "
                "hallazgos y las conclusiones de la auditoría.")
PDF_TYPES = {"application/pdf": "pdf"}


@dataclass(frozen=True)
class ItemLine:
    position: int
    clause: str
    question: str
    result: str
    notes: str


@dataclass(frozen=True)
class FindingLine:
    label: str
    type_label: str
    clause: str
    process: str
    description: str
    evidence: str
    response: str
    nc_code: str
    nc_status: str


@dataclass(frozen=True)
class ReportData:
    code: str
    title: str
    type_label: str
    status_label: str
    certification_body: str
    objectives: str
    scope: str
    location: str
    processes: tuple[str, ...]
    clauses: tuple[str, ...]
    documents: tuple[str, ...]
    planned: str
    actual: str
    team: tuple[tuple[str, str], ...]
    auditees: tuple[str, ...]
    template: str
    items: tuple[ItemLine, ...]
    results: tuple[tuple[str, int], ...]
    findings: tuple[FindingLine, ...]
    conclusion: str
    signer: str
    signed_at: str
    meaning: str
    printed_at: str


def gather(audit: Audit, *, conclusion: str | None = None, signer: User | None = None,
           signed_at=None) -> ReportData:
    """Everything the report shows, as plain frozen values (no lazy loads while rendering)."""
    titles = clause_titles()
    ncs = nc_facts_for(audit.findings)
    counts = Counter(i.result for i in audit.items)
    results = tuple((r.label, counts.get(r, 0)) for r in ItemResult) + (
        (str(_l("Sin responder")), counts.get(None, 0)),)
    findings = []
    for f in audit.findings:
        nc = ncs.get(f.nc_id) if f.nc_id else None
        findings.append(FindingLine(
            f.label, f.finding_type.label, f.clause, f"{f.process.code} · {f.process.name}",
            f.description, f.evidence, f.auditee_response or "", nc.code if nc else "",
            nc.status_label if nc else ""))
    actual = (f"{audit.actual_start.isoformat()} – "
              f"{(audit.actual_end or today_local()).isoformat()}"
              if audit.actual_start else "—")
    when = signed_at or audit.reported_at
    return ReportData(
        code=audit.code, title=audit.title, type_label=audit.audit_type.label,
        status_label=audit.status.label, certification_body=audit.certification_body or "",
        objectives=audit.objectives, scope=audit.scope, location=audit.location,
        processes=tuple(f"{p.code} · {p.name}" for p in audit.processes),
        clauses=tuple(f"{c} {titles.get(c, '')}".strip() for c in audit.criteria_clauses),
        documents=tuple(f"{d['code']} rev. {d['revision']} · {d['title']} "
                        f"(vigente desde {d['effective_from']})" for d in audit.criteria_documents),
        planned=f"{audit.planned_start.isoformat()} – {audit.planned_end.isoformat()}",
        actual=actual,
        team=tuple((m.user.full_name, m.role.label) for m in audit.team),
        auditees=tuple(m.user.full_name for m in audit.auditees),
        template=(f"{audit.template.code} v{audit.template.version_no} · {audit.template.title}"
                  if audit.template else ""),
        items=tuple(ItemLine(i.position, i.clause, i.question,
                             i.result.label if i.result else "—", i.notes) for i in audit.items),
        results=results, findings=tuple(findings),
        conclusion=conclusion if conclusion is not None else (audit.conclusion or ""),
        signer=(f"{signer.full_name} ({signer.username})" if signer else
                (f"{audit.reported_by.full_name} ({audit.reported_by.username})"
                 if audit.reported_by else "")),
        signed_at=f"{to_local(when):%Y-%m-%d %H:%M} (America/Tegucigalpa)" if when else "",
        meaning=SIGN_MEANING if (signer or audit.reported_by) else "",
        printed_at=f"{to_local(now_utc()):%Y-%m-%d %H:%M}")


def render(data: ReportData):
    return render_pdf("pdf/audit_report.html", report=data)


def sign_report(audit: Audit, *, expected_version: int | None, actor: User, password: str,
                conclusion: str, actual_end=None) -> Audit:
    """in_progress → reported, signed by the lead: the PDF is rendered, stored and hashed;
    the audit is locked from then on."""
    check_version(audit, expected_version)
    AUDIT_FLOW.check(audit, AuditStatus.REPORTED)
    conclusion = (conclusion or "").strip()
    if not conclusion:
        raise ValidationError(_l("Escriba las conclusiones de la auditoría."), field="conclusion")
    unanswered = [str(i.position) for i in audit.items if i.result is None]
    if unanswered:
        raise TransitionError(_l("Faltan respuestas en la lista de verificación: preguntas "
                                 "%(n)s.", n=", ".join(unanswered[:15])))
    verify_signature(actor, password or "")
    end = actual_end or today_local()
    if audit.actual_start and end < audit.actual_start:
        raise ValidationError(_l("La fecha de fin real es anterior al inicio real."),
                              field="actual_end")
    signed_at = now_utc()
    audit.actual_end = end
    rendered = render(gather(audit, conclusion=conclusion, signer=actor, signed_at=signed_at))
    stored = store(BytesIO(rendered.content), f"informe-{audit.code}.pdf", allowed=PDF_TYPES)
    audit.conclusion = conclusion
    audit.reported_at = signed_at
    audit.reported_by_id = actor.id
    audit.report_meaning = SIGN_MEANING
    audit.report_file_id = stored.id
    audit.report_sha256 = rendered.sha256
    AUDIT_FLOW.move(audit, AuditStatus.REPORTED,
                    f"Firma electrónica de {actor.full_name} ({actor.username}): {SIGN_MEANING} "
                    f"SHA-256 {rendered.sha256}")
    db.session.flush()
    return audit
