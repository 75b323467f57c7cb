"""Internal and external audits [ISO 9001:2015 9.2].

A yearly :class:`AuditProgramme` holds the :class:`Audit` records of that year. Each audit
has its processes in scope, its team (:class:`AuditMember`: lead, auditors, experts,
observers, auditees), a copy of a checklist template (:class:`AuditChecklistItem`, so a
later edit of the template never changes a past audit), its :class:`Finding` records
(an NC finding links to the Nonconformity it raised) and, once signed, its report.

Checklist templates come from ``audits/*.yaml`` and are stored versioned
(:class:`ChecklistTemplate`): a changed file becomes a new version, never an edit.

Split along the record's sections: :mod:`.programme` (programme, year counter, checklist
templates), :mod:`.audit` (audit, scope, people) and :mod:`.fieldwork` (checklist answers,
evidence, findings, offline submissions), plus :mod:`.calendar` (each person's ICS feed);
every name stays importable from here.
"""

from qms.audits.models.audit import Audit, AuditMember, AuditProcess
from qms.audits.models.calendar import AuditCalendarFeed
from qms.audits.models.fieldwork import (
    AuditChecklistItem,
    AuditEvidence,
    Finding,
    OfflineSubmission,
)
from qms.audits.models.programme import AuditProgramme, AuditYearCounter, ChecklistTemplate

ISO_CLAUSE = ("ISO 9001:2015", "9.2")
STANDARD = "ISO 9001:2015"

__all__ = [
    "ISO_CLAUSE", "STANDARD", "Audit", "AuditCalendarFeed", "AuditChecklistItem", "AuditEvidence",
    "AuditMember",
    "AuditProcess", "AuditProgramme", "AuditYearCounter", "ChecklistTemplate", "Finding",
    "OfflineSubmission",
]
