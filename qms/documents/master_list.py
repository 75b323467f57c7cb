"""The master list of documents (*lista maestra*): rows, filters and CSV/XLSX exports.

Exported cells are neutralised against spreadsheet formula injection: a text that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
is prefixed with an apostrophe, as OWASP recommends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from qms.core.spreadsheets import Column, csv_chunks, xlsx_bytes
from qms.documents import services
from qms.documents.models import Document, RevisionStatus
from qms.extensions import db

S = RevisionStatus


@dataclass(frozen=True)
class MasterRow:
    document: Document
    revision_number: int | None
    effective_from: date | None
    next_review: date | None
    review_state: str | None
    status: str
    pending_revision: str | None
    pending_status: RevisionStatus | None = None

    @property
    def status_label(self) -> str:
        return str(services.DOCUMENT_STATUS_LABELS[self.status])


#: The revision queue filter (``?cola=``): documents whose revision in preparation is…
QUEUES = {"en_revision": S.IN_REVIEW, "aprobadas": S.APPROVED}


def master_rows(*, search=None, doc_type=None, process_id=None, status=None,
                review=None, queue=None, processes=None) -> list[MasterRow]:
    """The register with its derived columns; ``status``/``review`` filter on derived facts,
    ``queue`` ("en_revision", "aprobadas") on the revision in preparation; ``processes``
    as in :func:`services.list_documents`."""
    documents = db.session.scalars(services.list_documents(
        search=search, doc_type=doc_type, process_id=process_id, processes=processes))
    return filtered_rows(documents, status=status, review=review, queue=queue)


def row_for(document: Document) -> MasterRow:
    """The document's line of the master list, derived from its loaded revisions (a
    :class:`Document`, or the register page's light stand-in with the same attributes)."""
    current = services.current_revision(document)
    pending = services.open_revision(document)
    return MasterRow(
        document=document,
        revision_number=current.number if current else None,
        effective_from=current.effective_from if current else None,
        next_review=services.next_review_on(document),
        review_state=services.review_state(document),
        status=services.document_status(document),
        pending_revision=f"{pending.number} · {pending.status.label}" if pending else None,
        pending_status=pending.status if pending else None,
    )


def filtered_rows(documents, *, status=None, review=None, queue=None) -> list[MasterRow]:
    """The rows of ``documents`` that pass the filters on derived facts."""
    rows = []
    for document in documents:
        row = row_for(document)
        if status and row.status != status:
            continue
        if queue in QUEUES and row.pending_status != QUEUES[queue]:
            continue
        if review == "due" and row.review_state not in ("due", "overdue"):
            continue
        if review == "overdue" and row.review_state != "overdue":
            continue
        rows.append(row)
    return rows


def _columns() -> list[Column]:
    return [Column(_("Código"), 14), Column(_("Título"), 50), Column(_("Tipo"), 18),
            Column(_("Proceso"), 30), Column(_("Responsable"), 25),
            Column(_("Confidencialidad"), 15), Column(_("Revisión vigente"), 10),
            Column(_("Vigente desde"), 14), Column(_("Próxima revisión"), 14),
            Column(_("Estado"), 14), Column(_("Revisión en preparación"), 20)]


def _values(row: MasterRow) -> list:
    d = row.document
    return [d.code, d.title, d.doc_type.label,
            f"{d.process.code} · {d.process.name}" if d.process else "",
            d.owner_label, d.confidentiality.label,
            row.revision_number if row.revision_number is not None else "",
            row.effective_from, row.next_review, row.status_label, row.pending_revision or ""]


def to_csv(rows: list[MasterRow]) -> Iterator[str]:
    return csv_chunks(_columns(), (_values(row) for row in rows))


def to_xlsx(rows: list[MasterRow], title: str) -> bytes:
    return xlsx_bytes(title, _("Lista maestra"), _columns(), (_values(row) for row in rows))
