"""The documents card on the home page: every figure links to its filtered list, and
each is a count in SQL (no document loaded)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from qms.auth.models import Role
from qms.core import summaries
from qms.core.dashboard import Card, Figure, card_provider
from qms.core.pending import pending_count
from qms.core.permissions import can
from qms.core.time import today_local
from qms.documents import queries
from qms.documents.models import Revision, RevisionStatus
from qms.documents.services import REVIEW_DUE_DAYS
from qms.extensions import db


def _register_figures() -> tuple[int, int, int, int]:
    """Revisions in review and approved (one grouped count), documents overdue for their
    periodic review and overdue or due soon (one aggregate): kept while nothing changes."""
    queued = db.session.execute(select(
        func.count(case((Revision.status == RevisionStatus.IN_REVIEW, 1))),
        func.count(case((Revision.status == RevisionStatus.APPROVED, 1))))
        .where(Revision.status.in_([RevisionStatus.IN_REVIEW, RevisionStatus.APPROVED]))).one()
    reviews = db.session.execute(queries.review_counts(today_local(), REVIEW_DUE_DAYS)).one()
    return (*queued, *reviews)


@card_provider
def _documents_card(user) -> Card | None:
    """Shown to whoever can act on documents: read them, draft, approve or publish."""
    if not can(user, "document.view"):
        return None
    to_read = pending_count(user, "document_read").total
    figures = [Figure(_("Pendientes de leer"), to_read, url_for("documents.reading_list"))]
    if can(user, "revision.approve"):
        figures.append(Figure(_("Revisiones que usted puede aprobar"),
                              pending_count(user, "revision_approve").total,
                              url_for("core.pending", tipo="revision_approve")))
    if user.role == Role.PROCESS_OWNER:
        figures.append(Figure(_("Revisión periódica de sus documentos"),
                              pending_count(user, "document_review").total,
                              url_for("core.pending", tipo="document_review")))
    if can(user, "document.publish"):
        in_review, approved, overdue, due = summaries.kept("documents_card", _register_figures)
        figures += [
            Figure(_("En revisión"), in_review, url_for("documents.list", cola="en_revision")),
            Figure(_("Aprobadas, aún no vigentes"), approved,
                   url_for("documents.list", cola="aprobadas")),
            Figure(_("Revisión periódica vencida"), overdue,
                   url_for("documents.list", revision="overdue")),
            Figure(_("Revisión periódica próxima o vencida"), due,
                   url_for("documents.list", revision="due"))]
    if len(figures) == 1 and not to_read and not can(user, "document.create"):
        return None  # nothing to read, approve, draft or publish
    url = url_for("documents.reading_list") if to_read else url_for("documents.list")
    return Card(title=_("Documentos"), url=url, order=20, figures=figures)
