""""Mis pendientes" of audits: findings on the processes I own that still await my answer."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from qms.audits.enums import AuditStatus
from qms.audits.models import Audit, Finding
from qms.core.pending import PendingItem, pending_provider
from qms.extensions import db
from qms.processes.models import Process


@pending_provider("audit_finding", _l("Hallazgos de auditoría por responder"))
def findings_to_answer(user) -> list[PendingItem]:
    findings = db.session.scalars(
        select(Finding).join(Finding.audit).join(Finding.process)
        .where(Process.owner_id == user.id, Finding.auditee_response.is_(None),
               Audit.status.in_([AuditStatus.IN_PROGRESS, AuditStatus.REPORTED]))
        .options(contains_eager(Finding.audit)).order_by(Audit.code, Finding.number))
    return [PendingItem("audit_finding", _("Responder el hallazgo"),
                        f"{f.audit.code} · {f.label} · {f.finding_type.label}",
                        url_for("audits.finding", finding_id=f.id),
                        detail=f.description[:120])
            for f in findings]
