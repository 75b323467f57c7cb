"""The process page's "Auditorías" section: audits whose scope covers the process,
newest first (see qms.processes.sections)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from qms.audits.models import Audit, AuditProcess
from qms.core.permissions import can
from qms.extensions import db
from qms.processes.sections import (
    SECTION_LIMIT,
    ProcessSection,
    SectionItem,
    register_process_section,
)


@register_process_section("audits", order=30)
def audits_section(process_id: int, user) -> ProcessSection | None:
    if not can(user, "audit.view"):
        return None
    covering = select(AuditProcess.audit_id).where(AuditProcess.process_id == process_id)
    where = (Audit.id.in_(covering),)
    total = db.session.scalar(select(func.count(Audit.id)).where(*where)) or 0
    audits = db.session.scalars(select(Audit).where(*where)
                                .order_by(Audit.planned_start.desc(), Audit.id.desc())
                                .limit(SECTION_LIMIT)).all()
    items = [SectionItem(a.code, a.title, url_for("audits.detail", audit_id=a.id),
                         status=a.status.label, when=a.planned_start) for a in audits]
    return ProcessSection(
        "audits", _("Auditorías"), items, total,
        more_url=url_for("audits.index"),
        empty_text=_("Ninguna auditoría ha cubierto este proceso."),
        when_label=_("Inicio planificado"), order=30)
