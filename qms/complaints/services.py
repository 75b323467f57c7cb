"""Filing and handling complaints. Services flush; the boundary commits."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from qms.complaints import codes
from qms.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from qms.core import audit, geo
from qms.core.db import now_utc
from qms.core.errors import TransitionError, ValidationError
from qms.core.settings import get_setting, register_setting
from qms.core.storage import StoredFile, store
from qms.core.time import local_zone, to_local, today_local
from qms.extensions import db

S = ComplaintStatus
ORIGIN_TYPE = "complaint"
MAX_DESCRIPTION = 4000

ACK_DAYS = register_setting(
    "complaints.acknowledge_working_days", 2, _l("Plazo para acusar recibo (días hábiles)"),
    kind=int, minimum=1, maximum=60)
ANSWER_DAYS = register_setting(
    "complaints.answer_working_days", 10, _l("Plazo para responder (días hábiles)"),
    kind=int, minimum=1, maximum=120)

_PHOTO_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


# -------------------------------------------------------------------- deadlines


def add_working_days(start: date, days: int) -> date:
    """``days`` working days (Monday–Friday) after ``start``."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def acknowledge_due(complaint: Complaint) -> date:
    return add_working_days(to_local(complaint.received_at).date(),
                            int(get_setting(ACK_DAYS.key)))


def answer_due(complaint: Complaint) -> date:
    return add_working_days(to_local(complaint.received_at).date(),
                            int(get_setting(ANSWER_DAYS.key)))


def overdue(complaint: Complaint, today: date | None = None) -> list[str]:
    """What is late: "acknowledge" and/or "answer" (derived from dates, never stored)."""
    today = today or today_local()
    late = []
    if complaint.acknowledged_at is None and complaint.status == S.RECEIVED and \
            today > acknowledge_due(complaint):
        late.append("acknowledge")
    if complaint.status in (S.RECEIVED, S.UNDER_REVIEW) and today > answer_due(complaint):
        late.append("answer")
    return late


@dataclass(frozen=True)
class LateCutoffs:
    """The moments (UTC) before which a complaint received and still unacknowledged,
    or still unanswered, is late today: the same facts as :func:`overdue`, for a whole
    register at once (and in SQL) instead of two settings reads per complaint."""

    acknowledge_before: datetime
    answer_before: datetime


def late_cutoffs(today: date | None = None) -> LateCutoffs:
    today = today or today_local()

    def first_day_on_time(days: int) -> datetime:
        # the earliest local receipt day whose deadline is not yet past (deadlines only
        # move forward with the receipt day, so every earlier day is late)
        day = today
        while add_working_days(day - timedelta(days=1), days) >= today:
            day -= timedelta(days=1)
        return datetime.combine(day, time(), tzinfo=local_zone()).astimezone(UTC)

    return LateCutoffs(first_day_on_time(int(get_setting(ACK_DAYS.key))),
                       first_day_on_time(int(get_setting(ANSWER_DAYS.key))))


def late_under(complaint: Complaint, cutoffs: LateCutoffs) -> list[str]:
    """:func:`overdue` from precomputed cutoffs."""
    late = []
    if complaint.acknowledged_at is None and complaint.status == S.RECEIVED and \
            complaint.received_at < cutoffs.acknowledge_before:
        late.append("acknowledge")
    if complaint.status in (S.RECEIVED, S.UNDER_REVIEW) and \
            complaint.received_at < cutoffs.answer_before:
        late.append("answer")
    return late


def late_clause(cutoffs: LateCutoffs):
    """SQL: the complaint is late in acknowledging or in answering."""
    return or_(and_(Complaint.acknowledged_at.is_(None), Complaint.status == S.RECEIVED,
                    Complaint.received_at < cutoffs.acknowledge_before),
               and_(Complaint.status.in_([S.RECEIVED, S.UNDER_REVIEW]),
                    Complaint.received_at < cutoffs.answer_before))


# ------------------------------------------------------------------------ filing


def _clean(text: str | None, limit: int) -> str | None:
    text = (text or "").strip()
    return text[:limit] if text else None


def strip_photo(stream: IO[bytes]) -> tuple[io.BytesIO, str]:
    """Check an upload is a JPEG or PNG image by its content and re-encode its pixels only,
    so no EXIF, GPS, XMP or comment survives. Returns the clean bytes and an extension."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(stream) as image:
            kind = image.format
            if kind not in _PHOTO_TYPES:
                raise ValidationError(_l("La foto debe ser JPG o PNG."), field="photo")
            if image.width * image.height > 40_000_000:
                raise ValidationError(_l("La foto es demasiado grande."), field="photo")
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the orientation, drop the tag
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA" if kind == "PNG" else "RGB")
            clean = Image.new(image.mode, image.size)  # a new image: pixels, no metadata
            clean.paste(image)
            out = io.BytesIO()
            if kind == "JPEG":
                clean.convert("RGB").save(out, "JPEG", quality=85)
            else:
                clean.save(out, "PNG")
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError(_l("El archivo no es una imagen JPG o PNG válida."),
                              field="photo") from None
    out.seek(0)
    return out, _PHOTO_TYPES[kind][1]


def file_complaint(*, category: ComplaintCategory | str, description: str,
                   department_code: str, municipality_code: str | None = None,
                   anonymous: bool = False, contact_name: str | None = None,
                   contact_phone: str | None = None, contact_email: str | None = None,
                   photo: IO[bytes] | None = None) -> Complaint:
    """Register a complaint from the portal with a fresh tracking code."""
    try:
        category = ComplaintCategory(category)
    except ValueError:
        raise ValidationError(_l("Elija el tipo de queja."), field="category") from None
    description = (description or "").strip()
    if len(description) < 10:
        raise ValidationError(_l("Cuente qué pasó (al menos 10 caracteres)."),
                              field="description")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError(_l("Use como máximo %(n)s caracteres.", n=MAX_DESCRIPTION),
                              field="description")
    dept = geo.department(department_code)
    if dept is None:
        raise ValidationError(_l("Elija el departamento."), field="department_code")
    muni = geo.municipality(municipality_code) if municipality_code else None
    if municipality_code and (muni is None or muni.department_code != dept.code):
        raise ValidationError(_l("Ese municipio no pertenece al departamento elegido."),
                              field="municipality_code")
    contact = {"contact_name": _clean(contact_name, 120),
               "contact_phone": _clean(contact_phone, 30),
               "contact_email": _clean(contact_email, 254)}
    if anonymous:
        contact = dict.fromkeys(contact)
    stored: StoredFile | None = None
    if photo is not None:
        clean, ext = strip_photo(photo)
        stored = store(clean, f"foto-queja.{ext}", field="photo",
                       allowed={"image/jpeg": "jpg", "image/png": "png"})
    for _attempt in range(5):  # 60 random bits: a collision is astronomically rare
        code = codes.new_code()
        if db.session.scalar(select(Complaint.id).where(Complaint.tracking_code == code)) is None:
            break
    complaint = Complaint(tracking_code=code, category=category, description=description,
                          department_code=dept.code, municipality_code=muni.code if muni else None,
                          anonymous=bool(anonymous), photo=stored, status=S.RECEIVED,
                          received_at=now_utc(), **contact)
    db.session.add(complaint)
    audit.annotate(db.session, complaint, "file")
    try:
        db.session.flush()
    except IntegrityError:
        raise ValidationError(_l("No se pudo registrar la queja; inténtelo de nuevo.")) from None
    return complaint


def find_by_code(text: str | None) -> tuple[str, Complaint | None]:
    """("invalid", None) for a code that cannot exist (mistyped), ("unknown", None) for a
    well-formed code nobody holds, ("found", complaint) otherwise."""
    code = codes.parse(text)
    if code is None:
        return "invalid", None
    complaint = db.session.scalar(select(Complaint).where(Complaint.tracking_code == code))
    return ("found", complaint) if complaint else ("unknown", None)


# ---------------------------------------------------------------------- handling


def _require(complaint: Complaint, *allowed: ComplaintStatus) -> None:
    if complaint.status not in allowed:
        raise TransitionError(_l("La queja está «%(s)s»: ese paso no es posible.",
                                 s=complaint.status.label))


def acknowledge(complaint: Complaint, actor) -> Complaint:
    _require(complaint, S.RECEIVED)
    complaint.status = S.UNDER_REVIEW
    complaint.acknowledged_at = now_utc()
    complaint.handled_by_id = actor.id
    audit.annotate(db.session, complaint, "acknowledge")
    db.session.flush()
    return complaint


def answer(complaint: Complaint, actor, *, public_answer: str, internal_note: str | None,
           expected_version: int | None) -> Complaint:
    from qms.core.errors import check_version

    check_version(complaint, expected_version)
    _require(complaint, S.RECEIVED, S.UNDER_REVIEW, S.ANSWERED)
    text = (public_answer or "").strip()
    if len(text) < 10:
        raise ValidationError(_l("Escriba la respuesta que leerá la ciudadanía."),
                              field="public_answer")
    if complaint.acknowledged_at is None:
        complaint.acknowledged_at = now_utc()
    complaint.public_answer = text[:MAX_DESCRIPTION]
    note = (internal_note or "").strip()
    if note:
        complaint.internal_note = note[:MAX_DESCRIPTION]
    complaint.status = S.ANSWERED
    complaint.answered_at = complaint.answered_at or now_utc()
    complaint.handled_by_id = actor.id
    audit.annotate(db.session, complaint, "answer")
    db.session.flush()
    return complaint


def close(complaint: Complaint, actor) -> Complaint:
    _require(complaint, S.ANSWERED)
    complaint.status = S.CLOSED
    complaint.closed_at = now_utc()
    complaint.handled_by_id = actor.id
    audit.annotate(db.session, complaint, "close")
    db.session.flush()
    return complaint


def raise_nonconformity(complaint_id: int, actor, *, process, severity, title: str | None):
    """Report a Nonconformity with source "citizen complaint", linked both ways.

    Run inside :func:`qms.core.uow.write_first` (it takes the yearly NC counter): the
    complaint is read again inside that transaction.
    """
    from qms.nonconformities.enums import NCSource
    from qms.nonconformities.services import report_nonconformity

    complaint = db.session.get(Complaint, complaint_id)
    _require(complaint, S.RECEIVED, S.UNDER_REVIEW, S.ANSWERED)
    if complaint.nc_id is not None:
        raise ValidationError(_l("Esta queja ya tiene la no conformidad %(c)s.",
                                 c=complaint.nc_code), field="process_id")
    place = geo.municipality(complaint.municipality_code) or geo.department(
        complaint.department_code)
    nc = report_nonconformity(
        title=(title or "").strip() or f"{complaint.category.label} ({place.name})"[:200],
        description=complaint.description, source=NCSource.CITIZEN_COMPLAINT, process=process,
        severity=severity, detected_on=to_local(complaint.received_at).date(),
        detected_by=actor, department_code=complaint.department_code,
        municipality_code=complaint.municipality_code, origin_type=ORIGIN_TYPE,
        origin_id=str(complaint.id), origin_label=complaint.display_code)
    complaint.nc_id, complaint.nc_code = nc.id, nc.code
    if complaint.status == S.RECEIVED:
        complaint.status = S.UNDER_REVIEW
        complaint.acknowledged_at = now_utc()
    complaint.handled_by_id = actor.id
    audit.annotate(db.session, complaint, "raise_nc", nc.code)
    db.session.flush()
    return complaint, nc


def reveal_contact(complaint: Complaint) -> dict[str, str | None]:
    """The complainant's contact, for a handler; the reading itself is an audit event."""
    audit.record(db.session, complaint, "view_contact")
    return {"name": complaint.contact_name, "phone": complaint.contact_phone,
            "email": complaint.contact_email}


def register_query(*, status: str | None = None, category: str | None = None,
                   department: str | None = None, overdue_only: bool = False,
                   open_only: bool = False):
    query = select(Complaint).order_by(Complaint.received_at.desc())
    if status in {s.value for s in S}:
        query = query.where(Complaint.status == S(status))
    if category in {c.value for c in ComplaintCategory}:
        query = query.where(Complaint.category == ComplaintCategory(category))
    if department and geo.department(department):
        query = query.where(Complaint.department_code == geo.department(department).code)
    if overdue_only or open_only:
        query = query.where(Complaint.status.in_([S.RECEIVED, S.UNDER_REVIEW]))
    if overdue_only:
        query = query.where(late_clause(late_cutoffs()))
    return query


def response_days(received: datetime, answered: datetime) -> float:
    return (answered - received).total_seconds() / 86400
