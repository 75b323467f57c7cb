"""The master list of documents (*lista maestra*): rows, filters and CSV/XLSX exports.

Exported cells are neutralised against spreadsheet formula injection: a text that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
is prefixed with an apostrophe, as OWASP recommends.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from qms.core.spreadsheets import safe_cell
from qms.documents import services
from qms.documents.models import Document
from qms.extensions import db


@dataclass(frozen=True)
class MasterRow:
    document: Document
    revision_number: int | None
    effective_from: date | None
    next_review: date | None
    review_state: str | None
    status: str
    pending_revision: str | None

    @property
    def status_label(self) -> str:
        return str(services.DOCUMENT_STATUS_LABELS[self.status])


def master_rows(*, search=None, doc_type=None, process_id=None, status=None,
                review=None) -> list[MasterRow]:
    """The register with its derived columns; ``status``/``review`` filter on derived facts."""
    rows = []
    for document in db.session.scalars(services.list_documents(
            search=search, doc_type=doc_type, process_id=process_id)):
        current = services.current_revision(document)
        pending = services.open_revision(document)
        row = MasterRow(
            document=document,
            revision_number=current.number if current else None,
            effective_from=current.effective_from if current else None,
            next_review=services.next_review_on(document),
            review_state=services.review_state(document),
            status=services.document_status(document),
            pending_revision=f"{pending.number} · {pending.status.label}" if pending else None,
        )
        if status and row.status != status:
            continue
        if review == "due" and row.review_state not in ("due", "overdue"):
            continue
        if review == "overdue" and row.review_state != "overdue":
            continue
        rows.append(row)
    return rows


def _header() -> list[str]:
    return [_("Código"), _("Título"), _("Tipo"), _("Proceso"), _("Responsable"),
            _("Confidencialidad"), _("Revisión vigente"), _("Vigente desde"),
            _("Próxima revisión"), _("Estado"), _("Revisión en preparación")]


def _values(row: MasterRow) -> list:
    d = row.document
    return [d.code, d.title, d.doc_type.label,
            f"{d.process.code} · {d.process.name}" if d.process else "",
            d.owner_label, d.confidentiality.label,
            row.revision_number if row.revision_number is not None else "",
            row.effective_from, row.next_review, row.status_label, row.pending_revision or ""]


def to_csv(rows: list[MasterRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_header())
    for row in rows:
        writer.writerow([safe_cell(v.isoformat() if isinstance(v, date) else str(v))
                         for v in _values(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8 correctly


def to_xlsx(rows: list[MasterRow], title: str) -> bytes:
    # openpyxl costs a third of a second to import: only when an XLSX is asked for.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = _("Lista maestra")[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(_header())
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        values = [safe_cell(v) for v in _values(row)]
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never let openpyxl guess a formula
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for index, width in enumerate((14, 50, 18, 30, 25, 15, 10, 14, 14, 14, 20), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(_header()))}{sheet.max_row}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
