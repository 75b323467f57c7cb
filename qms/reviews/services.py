"""Management reviews: plan, compile, hold (freeze), decide, track actions.

The rules live here; views, API and CLI call these functions. Services only flush.
The minutes and their signature are in :mod:`qms.reviews.minutes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update

from qms.auth.models import User
from qms.core import audit as trail
from qms.core.db import now_utc
from qms.core.errors import PermissionDenied, TransitionError, ValidationError, check_version
from qms.core.roles import Role
from qms.core.storage import store
from qms.core.time import today_local
from qms.core.workflow import Workflow
from qms.extensions import db
from qms.reviews.compile import compile_inputs, snapshot_hash
from qms.reviews.enums import DecisionKind, ReviewActionStatus, ReviewStatus
from qms.reviews.models import (
    ENTERED_INPUTS,
    ManagementReview,
    ReviewAttendee,
    ReviewDecision,
    ReviewYearCounter,
)
from qms.reviews.sections import SECTIONS

S = ReviewStatus
REVIEW_FLOW = Workflow("status", {
    S.PLANNED: {S.HELD, S.CANCELLED},
    S.HELD: {S.MINUTES_APPROVED},
    S.MINUTES_APPROVED: set(),
    S.CANCELLED: set(),
})
#: Longest period one review may cover (a review is at least yearly; two years leave room).
MAX_PERIOD_DAYS = 366 * 2
TEXT_MAX = 20_000


def _text(value: str | None, field: str, *, required: bool = False, label=None,
          max_len: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(label or _l("Este dato es obligatorio."), field=field)
    if len(value) > max_len:
        raise ValidationError(_l("Máximo %(n)s caracteres.", n=max_len), field=field)
    return value


def _check_period(start: date | None, end: date | None) -> tuple[date, date]:
    """A review period: both dates, in order, not longer than two years, begun already."""
    if start is None:
        raise ValidationError(_l("Indique el inicio del periodo revisado."), field="period_start")
    if end is None:
        raise ValidationError(_l("Indique el fin del periodo revisado."), field="period_end")
    if end < start:
        raise ValidationError(_l("El periodo revisado termina antes de empezar."),
                              field="period_end")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError(_l("El periodo revisado no puede pasar de dos años."),
                              field="period_end")
    if start > today_local():
        raise ValidationError(_l("El periodo revisado aún no ha empezado: no hay registros que "
                                 "revisar."), field="period_start")
    return start, end


def _next_number(year: int) -> int:
    """Next review number of ``year``; the UPDATE takes the lock before the read."""
    table = ReviewYearCounter.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        db.session.execute(pg_insert(table).values(year=year, last_number=0)
                           .on_conflict_do_nothing(index_elements=["year"]))
    changed = db.session.execute(update(table).where(table.c.year == year)
                                 .values(last_number=table.c.last_number + 1))
    if changed.rowcount == 0:
        db.session.execute(insert(table).values(year=year, last_number=1))
        return 1
    return db.session.execute(select(table.c.last_number).where(table.c.year == year)).scalar_one()


def _check_attendees(users: Iterable[User | None]) -> list[User]:
    found = []
    for u in users:
        if u is None or not u.is_active or u.role == Role.CERTIFIER:
            raise ValidationError(_l("Los asistentes deben ser usuarios activos del SGC."),
                                  field="attendee_ids")
        if u not in found:
            found.append(u)
    return found


def _set_attendees(review: ManagementReview, users: list[User]) -> None:
    wanted = {u.id for u in users}
    for a in list(review.attendees):
        if a.user_id not in wanted:
            review.attendees.remove(a)
    have = {a.user_id for a in review.attendees}
    for u in users:
        if u.id not in have:
            review.attendees.append(ReviewAttendee(user=u))


def create_review(*, title: str, planned_on: date | None, period_start: date | None,
                  period_end: date | None, location: str = "", attendees: Iterable = (),
                  external_attendees: str = "", actor: User) -> ManagementReview:
    title = _text(title, "title", required=True, label=_l("Indique el título de la revisión."),
                  max_len=200)
    if planned_on is None:
        raise ValidationError(_l("Indique la fecha prevista de la reunión."), field="planned_on")
    start, end = _check_period(period_start, period_end)
    number = _next_number(planned_on.year)
    review = ManagementReview(
        code=f"RD-{planned_on.year}-{number:02d}", year=planned_on.year, number=number,
        title=title, planned_on=planned_on, location=_text(location, "location", max_len=200),
        period_start=start, period_end=end,
        external_attendees=_text(external_attendees, "external_attendees", max_len=5000),
        created_by_id=actor.id)
    _set_attendees(review, _check_attendees(attendees))
    db.session.add(review)
    db.session.flush()
    return review


def _inputs_editable(review: ManagementReview) -> None:
    if not review.inputs_editable:
        raise TransitionError(_l("La revisión %(code)s ya se realizó: sus datos de entrada están "
                                 "congelados y no se modifican.", code=review.code))


def update_review(review: ManagementReview, *, expected_version, title: str,
                  planned_on: date | None, period_start: date | None, period_end: date | None,
                  location: str = "", attendees: Iterable = (), external_attendees: str = "",
                  entered: dict[str, str] | None = None) -> ManagementReview:
    """Edit a planned review: its data and the entered inputs (9.3.2 b, d, e…)."""
    check_version(review, expected_version)
    _inputs_editable(review)
    review.title = _text(title, "title", required=True,
                         label=_l("Indique el título de la revisión."), max_len=200)
    if planned_on is None:
        raise ValidationError(_l("Indique la fecha prevista de la reunión."), field="planned_on")
    review.planned_on = planned_on
    review.period_start, review.period_end = _check_period(period_start, period_end)
    review.location = _text(location, "location", max_len=200)
    review.external_attendees = _text(external_attendees, "external_attendees", max_len=5000)
    _set_attendees(review, _check_attendees(attendees))
    for column, value in (entered or {}).items():
        if column not in ENTERED_INPUTS:
            raise ValidationError(_l("Dato de entrada desconocido."), field=column)
        setattr(review, column, _text(value, column))
    db.session.flush()
    return review


def compile_review(review: ManagementReview) -> ManagementReview:
    """Compile the inputs from today's records (a preview until the review is held)."""
    _inputs_editable(review)
    _check_period(review.period_start, review.period_end)
    review.compiled = compile_inputs(review)
    review.compiled_at = now_utc()
    trail.annotate(db.session, review, "compile")
    db.session.flush()
    return review


def missing_entered_inputs(review: ManagementReview) -> list[str]:
    """The required entered inputs still blank (their section titles)."""
    return [f"{s.clause} {s.title}" for s in SECTIONS
            if s.entered_required and not (getattr(review, s.entered) or "").strip()]


def hold_review(review: ManagementReview, *, expected_version, held_on: date | None,
                actor: User) -> ManagementReview:
    """planned → held: compile once more from the records and freeze the result (the
    snapshot and its SHA-256, recorded in the audit trail). From now on the review's
    page and minutes render from the snapshot, whatever happens to the records."""
    check_version(review, expected_version)
    REVIEW_FLOW.check(review, S.HELD)
    if held_on is None:
        raise ValidationError(_l("Indique la fecha en que se realizó la reunión."),
                              field="held_on")
    if held_on > today_local():
        raise ValidationError(_l("La reunión no puede haberse realizado en el futuro."),
                              field="held_on")
    if held_on < review.period_start:
        raise ValidationError(_l("La reunión no puede ser anterior al periodo que revisa."),
                              field="held_on")
    if missing := missing_entered_inputs(review):
        raise ValidationError(_l("Faltan datos de entrada: %(s)s.", s="; ".join(missing)),
                              field="held_on")
    if not review.attendees:
        raise ValidationError(_l("Registre a los asistentes antes de dar la revisión por "
                                 "realizada."), field="held_on")
    _check_period(review.period_start, review.period_end)
    review.held_on = held_on
    snapshot = compile_inputs(review)
    snapshot["attendees"] = [[a.user.full_name, a.user.role.label, a.role_text]
                             for a in review.attendees]
    snapshot["external_attendees"] = [line.strip() for line in
                                      review.external_attendees.splitlines() if line.strip()]
    digest = snapshot_hash(snapshot)
    review.snapshot = snapshot
    review.snapshot_sha256 = digest
    review.compiled = None
    review.held_at = now_utc()
    review.held_by_id = actor.id
    REVIEW_FLOW.move(review, S.HELD, f"Datos de entrada congelados; SHA-256 {digest}")
    return review


def snapshot_intact(review: ManagementReview) -> bool:
    """Whether the stored snapshot still hashes to the SHA-256 recorded when held."""
    return review.snapshot is not None and snapshot_hash(review.snapshot) == \
        review.snapshot_sha256


def cancel_review(review: ManagementReview, *, expected_version, reason: str) -> ManagementReview:
    check_version(review, expected_version)
    REVIEW_FLOW.check(review, S.CANCELLED)
    review.cancel_reason = _text(reason, "reason", required=True,
                                 label=_l("Indique el motivo de la anulación."), max_len=2000)
    REVIEW_FLOW.move(review, S.CANCELLED, review.cancel_reason)
    return review


def update_conclusions(review: ManagementReview, *, expected_version,
                       conclusions: str) -> ManagementReview:
    """The review's conclusions on the SGC's suitability, adequacy and effectiveness,
    written after the meeting and before the minutes are approved."""
    check_version(review, expected_version)
    if review.status != S.HELD:
        raise TransitionError(_l("Las conclusiones se registran en una revisión realizada cuya "
                                 "acta aún no está aprobada."))
    review.conclusions = _text(conclusions, "conclusions")
    db.session.flush()
    return review


# ------------------------------------------------------------------ decisions


def _check_action(owner: User | None, due_on: date | None, review: ManagementReview) -> None:
    if owner is None and due_on is None:
        return
    if owner is None:
        raise ValidationError(_l("Indique el responsable de la acción."), field="action_owner_id")
    if due_on is None:
        raise ValidationError(_l("Indique la fecha límite de la acción."), field="action_due_on")
    if not owner.is_active or owner.role == Role.CERTIFIER:
        raise ValidationError(_l("El responsable debe ser un usuario activo del SGC."),
                              field="action_owner_id")
    if review.held_on and due_on < review.held_on:
        raise ValidationError(_l("La fecha límite es anterior a la reunión."),
                              field="action_due_on")


def add_decision(review: ManagementReview, *, kind: DecisionKind | str, text: str,
                 action_description: str = "", owner: User | None = None,
                 due_on: date | None = None, actor: User) -> ReviewDecision:
    """Record a decision [9.3.3]; with an owner and a due date it becomes a tracked
    action, shown at the next review under 9.3.2 a)."""
    if review.status != S.HELD:
        raise TransitionError(_l("Las decisiones se registran en una revisión realizada cuya "
                                 "acta aún no está aprobada."))
    try:
        kind = DecisionKind(kind)
    except ValueError:
        raise ValidationError(_l("Elija el tipo de decisión."), field="kind") from None
    text = _text(text, "text", required=True, label=_l("Escriba la decisión."), max_len=5000)
    _check_action(owner, due_on, review)
    number = max((d.number for d in review.decisions), default=0) + 1
    decision = ReviewDecision(
        review=review, number=number, kind=kind, text=text,
        action_description=(_text(action_description, "action_description", max_len=5000)
                            or None) if owner else None,
        action_owner=owner, action_due_on=due_on,
        action_status=ReviewActionStatus.PLANNED if owner else None, created_by_id=actor.id)
    db.session.add(decision)
    db.session.flush()
    return decision


def may_update_action(user: User, decision: ReviewDecision) -> bool:
    return user.role in (Role.ADMIN, Role.QUALITY_OFFICER) or decision.action_owner_id == user.id


def update_action(decision: ReviewDecision, *, expected_version, status: ReviewActionStatus | str,
                  evidence: str = "", evidence_file: IO[bytes] | None = None,
                  evidence_name: str = "", actor: User) -> ReviewDecision:
    """Record how a review action is going; done needs its evidence (text or a file)."""
    check_version(decision, expected_version)
    if not decision.has_action:
        raise ValidationError(_l("Esta decisión no tiene una acción que seguir."), field="status")
    if decision.review.status not in (S.HELD, S.MINUTES_APPROVED):
        raise TransitionError(_l("La revisión de esta acción está anulada."))
    if not may_update_action(actor, decision):
        raise PermissionDenied(_l("Solo el responsable de la acción o calidad registran su "
                                  "avance."))
    try:
        status = ReviewActionStatus(status)
    except ValueError:
        raise ValidationError(_l("Elija el estado de la acción."), field="status") from None
    evidence = _text(evidence, "evidence", max_len=5000)
    if evidence_file is not None:
        decision.action_evidence_file = store(evidence_file, evidence_name or "evidencia",
                                              field="evidence_file")
    if status == ReviewActionStatus.DONE and not (evidence or decision.action_evidence_file):
        raise ValidationError(_l("Para dar la acción por realizada, describa su evidencia o "
                                 "adjunte un archivo."), field="evidence")
    decision.action_status = status
    decision.action_evidence = evidence or decision.action_evidence
    decision.action_completed_at = now_utc() if status == ReviewActionStatus.DONE else None
    trail.annotate(db.session, decision, "action_progress")
    db.session.flush()
    return decision


def list_reviews(status: ReviewStatus | None = None):
    """The reviews, newest first; only those in ``status`` when given."""
    query = select(ManagementReview).order_by(ManagementReview.planned_on.desc(),
                                              ManagementReview.id.desc())
    return query if status is None else query.where(ManagementReview.status == status)
