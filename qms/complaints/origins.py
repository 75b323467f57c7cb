"""An NC raised from a citizen complaint links back to it («Queja QR-2026-0412»), through
the core's origin registry; only people who may read complaints get the link."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from qms.core.origins import OriginLink, register_origin
from qms.core.permissions import can
from qms.extensions import db

ORIGIN_TYPE = "complaint"


def _complaint_origin(origin_id: str) -> OriginLink | None:
    from qms.complaints.models import Complaint

    complaint = db.session.get(Complaint, int(origin_id)) if origin_id.isdigit() else None
    if complaint is None:
        return None
    url = url_for("complaints.detail", complaint_id=complaint.id) \
        if can(current_user, "complaint.view") else None
    return OriginLink(_("Queja %(c)s", c=complaint.display_code), url)


register_origin(ORIGIN_TYPE, _complaint_origin)
