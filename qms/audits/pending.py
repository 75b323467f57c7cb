""""Mis pendientes" of audits: findings on the processes I own that still await my answer."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from qms.audits.enums import AuditStatus
from qms.audits.models import Audit, Finding
from qms.core.pending import (
    PendingItem,
    PendingWindow,
    count_columns,
    pending_counter,
    pending_provider,
)
from qms.extensions import db
from qms.processes.models import Process


def _to_answer(user_id: int) -> tuple:
    return (Process.owner_id == user_id, Finding.auditee_response.is_(None),
            Audit.status.in_([AuditStatus.IN_PROGRESS, AuditStatus.REPORTED]))


@pending_provider("audit_finding", _l("Hallazgos de auditoría por responder"))
def findings_to_answer(user, window: PendingWindow) -> list[PendingItem]:
    findings = db.session.scalars(window.apply(
        select(Finding).join(Finding.audit).join(Finding.process).where(*_to_answer(user.id))
        .options(contains_eager(Finding.audit)), None, Audit.code, Finding.number))
    return [PendingItem("audit_finding", _("Responder el hallazgo"),
                        f"{f.audit.code} · {f.label} · {f.finding_type.label}",
                        url_for("audits.finding", finding_id=f.id),
                        detail=f.description[:120])
            for f in findings]


@pending_counter("audit_finding")
def count_findings_to_answer(user, today):
    return (select(*count_columns(None, today)).select_from(Finding).join(Finding.audit)
            .join(Finding.process).where(*_to_answer(user.id)))
