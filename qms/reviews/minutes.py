"""The minutes of a management review (acta): gathered as frozen plain values from the
snapshot frozen when the review was held, rendered by ``templates/pdf/review_minutes.html``
through :mod:`qms.core.pdf`, and approved by top management with an electronic signature
(password re-entered, meaning recorded, the signed PDF stored and hashed)."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from qms.auth.models import User
from qms.auth.services import verify_signature
from qms.core.db import now_utc
from qms.core.errors import PermissionDenied, check_version
from qms.core.pdf import RenderedPDF, render_pdf
from qms.core.roles import Role
from qms.core.storage import store
from qms.core.time import to_local
from qms.extensions import db
from qms.reviews.enums import ReviewStatus
from qms.reviews.models import ManagementReview
from qms.reviews.sections import C_HEADING, SECTIONS, label
from qms.reviews.services import REVIEW_FLOW

#: What the approver's signature means, stored with it as shown to the signer (record
#: content in the SGC's language).
APPROVAL_MEANING = ("Apruebo esta acta en nombre de la alta dirección: refleja los datos de "
                    "entrada revisados, las conclusiones y las decisiones de la revisión.")
PDF_TYPES = {"application/pdf": "pdf"}


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    url: str | None


@dataclass(frozen=True)
class TableView:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[tuple[str, ...], str | None], ...]


@dataclass(frozen=True)
class SectionView:
    id: str
    clause: str
    title: str
    in_c: bool
    figures: tuple[Figure, ...]
    tables: tuple[TableView, ...]
    entered_label: str | None
    entered: str | None
    prompt: str | None
    note: str | None


def show(value: Any) -> str:
    """A compiled value as people read it: 12 345 · 87,5 · —."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_l("Sí")) if value else str(_l("No"))
    if isinstance(value, int | float):
        return format_decimal(value, format="#,##0.##")
    return str(value)


def section_views(data: dict | None) -> list[SectionView]:
    """The 9.3.2 sections of a compilation or snapshot, labelled for the reader."""
    stored = (data or {}).get("sections", {})
    views = []
    for s in SECTIONS:
        part = stored.get(s.id) or {}
        figures = tuple(Figure(label(f["k"]), show(f["v"]), f.get("u"))
                        for f in part.get("figures", ()))
        tables = tuple(TableView(label(t["k"]), tuple(label(c) for c in t["cols"]),
                                 tuple((tuple(show(c) for c in r["c"]), r.get("u"))
                                       for r in t["rows"]))
                       for t in part.get("tables", ()))
        views.append(SectionView(
            s.id, s.clause, str(s.title), s.id.startswith("c"), figures, tables,
            str(s.title) if s.entered else None, part.get("entered"),
            str(s.prompt) if s.prompt else None,
            label(part["note"]) if part.get("note") else None))
    return views


@dataclass(frozen=True)
class DecisionLine:
    label: str
    kind_label: str
    text: str
    action: str
    owner: str
    due: str
    status: str


@dataclass(frozen=True)
class MinutesData:
    code: str
    title: str
    status_label: str
    draft: bool
    planned_on: str
    held_on: str
    location: str
    period: str
    attendees: tuple[tuple[str, str], ...]
    external_attendees: tuple[str, ...]
    c_heading: str
    sections: tuple[SectionView, ...]
    conclusions: str
    decisions: tuple[DecisionLine, ...]
    snapshot_sha256: str
    compiled_at: str
    signer: str
    signed_at: str
    meaning: str
    printed_at: str


def _local(moment) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M} (America/Tegucigalpa)" if moment else ""


def gather(review: ManagementReview, *, signer: User | None = None,
           signed_at=None) -> MinutesData:
    """Everything the minutes show, from the snapshot (never from live records)."""
    snapshot = review.snapshot or {}
    approver = signer or review.minutes_approved_by
    when = signed_at or review.minutes_approved_at
    attendees = tuple((name, role_text or role) for name, role, role_text in
                      snapshot.get("attendees", ()))
    decisions = tuple(DecisionLine(
        d.label, d.kind.label, d.text, d.action_description or "",
        d.action_owner.full_name if d.action_owner else "",
        d.action_due_on.isoformat() if d.action_due_on else "",
        d.action_status.label if d.action_status else "") for d in review.decisions)
    compiled_at = snapshot.get("compiled_at")
    from datetime import datetime

    return MinutesData(
        code=review.code, title=review.title, status_label=review.status.label,
        draft=approver is None, planned_on=review.planned_on.isoformat(),
        held_on=review.held_on.isoformat() if review.held_on else "",
        location=review.location,
        period=f"{review.period_start.isoformat()} – {review.period_end.isoformat()}",
        attendees=attendees, external_attendees=tuple(snapshot.get("external_attendees", ())),
        c_heading=str(C_HEADING), sections=tuple(section_views(snapshot)),
        conclusions=review.conclusions, decisions=decisions,
        snapshot_sha256=review.snapshot_sha256 or "",
        compiled_at=_local(datetime.fromisoformat(compiled_at)) if compiled_at else "",
        signer=f"{approver.full_name} ({approver.username})" if approver else "",
        signed_at=_local(when), meaning=APPROVAL_MEANING if approver else "",
        printed_at=f"{to_local(now_utc()):%Y-%m-%d %H:%M}")


def render(data: MinutesData) -> RenderedPDF:
    return render_pdf("pdf/review_minutes.html", minutes=data)


def approve_minutes(review: ManagementReview, *, expected_version, actor: User,
                    password: str) -> ManagementReview:
    """held → minutes_approved, signed by a manager: the PDF is rendered from the snapshot,
    stored and hashed; the review is read-only from then on. Two approvals at once: the
    version check lets one through, the other gets a conflict."""
    check_version(review, expected_version)
    REVIEW_FLOW.check(review, ReviewStatus.MINUTES_APPROVED)
    if actor.role != Role.MANAGER:
        raise PermissionDenied(_l("Solo la alta dirección aprueba el acta."))
    verify_signature(actor, password or "")
    signed_at = now_utc()
    rendered = render(gather(review, signer=actor, signed_at=signed_at))
    stored = store(BytesIO(rendered.content), f"acta-{review.code}.pdf", allowed=PDF_TYPES)
    review.minutes_approved_at = signed_at
    review.minutes_approved_by_id = actor.id
    review.approval_meaning = APPROVAL_MEANING
    review.minutes_file_id = stored.id
    review.minutes_sha256 = rendered.sha256
    REVIEW_FLOW.move(review, ReviewStatus.MINUTES_APPROVED,
                     f"Firma electrónica de {actor.full_name} ({actor.username}): "
                     f"{APPROVAL_MEANING} SHA-256 del acta {rendered.sha256}")
    db.session.flush()
    return review
