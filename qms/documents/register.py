"""The document register page: the master list, filtered, sorted and paginated.

The derived columns (revision in force, next periodic review, status, revision in
preparation) come from each document's revisions, so the page reads every matching
document and revision as plain rows (two queries, no ORM objects: a few columns each),
derives the facts with the same functions as the master-list export, filters and sorts
on them, and loads only the page's 50 documents to render (one more query, and one for
their processes) — four queries whatever the register's size.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qms.core.paging import ListPage
from qms.documents import services
from qms.documents.master_list import MasterRow, filtered_rows
from qms.documents.models import Document, DocumentType, Revision, RevisionStatus
from qms.extensions import db
from qms.processes.models import Process

PER_PAGE = 50


@dataclass(slots=True)
class _Revision:
    """The columns of a revision the derived facts read."""

    number: int
    status: RevisionStatus
    effective_from: date | None
    effective_until: date | None

    in_force_on = Revision.in_force_on


@dataclass(slots=True)
class _Document:
    """The columns of a document the derived facts, the filters and the sorts read."""

    id: int
    code: str
    title: str
    doc_type: DocumentType
    process_code: str | None
    last_reviewed_on: date | None
    review_interval_months: int
    revisions: list[_Revision] = dataclasses.field(default_factory=list)


#: ``?orden=`` values (a leading "-" sorts descending) and the row's key.
SORTS: dict[str, Callable[[MasterRow], str | date | int | None]] = {
    "codigo": lambda row: row.document.code,
    "titulo": lambda row: row.document.title.casefold(),
    "tipo": lambda row: row.document.doc_type.value,
    "proceso": lambda row: row.document.process_code,
    "vigente_desde": lambda row: row.effective_from,
    "proxima_revision": lambda row: row.next_review,
    "estado": lambda row: row.status,
}
DEFAULT_SORT = "codigo"


def parse_sort(value: str | None) -> str:
    """The sort asked for, or the default when it names no column."""
    return value if value and value.removeprefix("-") in SORTS else DEFAULT_SORT


def sort_rows(rows: list[MasterRow], sort: str) -> list[MasterRow]:
    """``rows`` by the sort's key, then by code; rows without a value (no revision in
    force, no review date) last in either direction."""
    descending = sort.startswith("-")
    key = SORTS[sort.removeprefix("-")]
    by_code = sorted(rows, key=lambda row: row.document.code)
    valued = [row for row in by_code if key(row) is not None]
    empty = [row for row in by_code if key(row) is None]
    return sorted(valued, key=key, reverse=descending) + empty


def _light_documents(*, search=None, doc_type=None, process_id=None,
                     processes=None) -> list[_Document]:
    matching = services.list_documents(search=search, doc_type=doc_type,
                                       process_id=process_id, options=(),
                                       processes=processes)
    documents = {}
    for row in db.session.execute(matching.with_only_columns(
            Document.id, Document.code, Document.title, Document.doc_type, Process.code,
            Document.last_reviewed_on, Document.review_interval_months)
            .outerjoin(Process, Document.process_id == Process.id)):
        documents[row[0]] = _Document(*row)
    revisions = (select(Revision.document_id, Revision.number, Revision.status,
                        Revision.effective_from, Revision.effective_until)
                 .where(Revision.document_id.in_(
                     matching.with_only_columns(Document.id).order_by(None)))
                 .order_by(Revision.document_id, Revision.number))
    for document_id, *columns in db.session.execute(revisions):
        documents[document_id].revisions.append(_Revision(*columns))
    return list(documents.values())


def register_page(*, page: int = 1, per_page: int | None = None, sort: str = DEFAULT_SORT,
                  search=None, doc_type=None, process_id=None, status=None, review=None,
                  queue=None, processes=None) -> ListPage:
    """Page ``page`` (clamped to the last) of the register under the filters and sort,
    within ``processes`` (see :func:`services.list_documents`)."""
    per_page = per_page or PER_PAGE
    rows = sort_rows(filtered_rows(
        _light_documents(search=search, doc_type=doc_type, process_id=process_id,
                         processes=processes),
        status=status, review=review, queue=queue), parse_sort(sort))
    last = max(1, math.ceil(len(rows) / per_page))
    page = min(max(1, page), last)
    shown = rows[(page - 1) * per_page:page * per_page]
    loaded = {d.id: d for d in db.session.scalars(
        select(Document).options(selectinload(Document.process))
        .where(Document.id.in_([row.document.id for row in shown])))}
    return ListPage(
        items=[dataclasses.replace(row, document=loaded[row.document.id]) for row in shown],
        page=page, per_page=per_page, total=len(rows))
