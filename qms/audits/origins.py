"""An NC raised from an audit finding links back to it («Hallazgo H-2 de la auditoría
AI-2026-01»), through the core's origin registry."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from qms.audits.services.rules import ORIGIN_TYPE
from qms.core.origins import OriginLink, register_origin
from qms.extensions import db


def _finding_origin(origin_id: str) -> OriginLink | None:
    from qms.audits.models import Finding

    finding = db.session.get(Finding, int(origin_id)) if origin_id.isdigit() else None
    if finding is None:
        return None
    return OriginLink(_("Hallazgo %(f)s de la auditoría %(a)s", f=finding.label,
                        a=finding.audit.code), url_for("audits.finding", finding_id=finding.id))


register_origin(ORIGIN_TYPE, _finding_origin)
