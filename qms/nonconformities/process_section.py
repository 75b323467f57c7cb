"""The process page's "No conformidades abiertas" section (see qms.processes.sections)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from qms.core.permissions import can
from qms.extensions import db
from qms.nonconformities.enums import OPEN_STATUSES
from qms.nonconformities.models import Nonconformity
from qms.processes.sections import (
    SECTION_LIMIT,
    ProcessSection,
    SectionItem,
    register_process_section,
)


@register_process_section("nonconformities", order=20)
def open_nonconformities_section(process_id: int, user) -> ProcessSection | None:
    if not can(user, "nc.view"):
        return None
    where = (Nonconformity.process_id == process_id, Nonconformity.status.in_(OPEN_STATUSES))
    total = db.session.scalar(select(func.count(Nonconformity.id)).where(*where)) or 0
    ncs = db.session.scalars(select(Nonconformity).where(*where)
                             .order_by(Nonconformity.year.desc(), Nonconformity.number.desc())
                             .limit(SECTION_LIMIT)).all()
    items = []
    for nc in ncs:
        due = min((a.due_on for a in nc.open_actions), default=None)
        items.append(SectionItem(nc.code, nc.title,
                                 url_for("nonconformities.detail", nc_id=nc.id),
                                 status=nc.status.label, when=due, overdue=nc.overdue))
    return ProcessSection(
        "nonconformities", _("No conformidades abiertas"), items, total,
        more_url=url_for("nonconformities.list", process_id=process_id),
        empty_text=_("Ninguna no conformidad abierta en este proceso."),
        when_label=_("Próxima acción vence"), order=20)
