"""How far the audit chain has been verified, kept off the request path.

:func:`qms.core.audit.verify_chain` walks every event from the genesis: about a minute at
400,000 events, far too slow for a page. So verification is done by background work and
its result is kept in one row, :class:`ChainCheckpoint` (the last event verified, its hash,
how many events led to it, when, and the first problem found):

- :func:`verify_new` — the scheduler's ``audit.verify_new`` job, every minute — re-hashes
  the checkpoint's event (an altered, deleted or truncated head is caught) and verifies the
  events appended since, at most :data:`JOB_BUDGET` per run (the next run goes on);
- :func:`verify_all` — ``flask qms verify-audit-log`` and the nightly ``audit.verify_chain``
  job — walks the whole trail from the genesis, so an event altered *behind* the checkpoint
  is found too, and records the walk.

:func:`status` is what the audit-log page reads: the row, the head's id, a bounded count of
the events not verified yet and one re-hash of the checkpoint's event — a constant amount of
work however long the trail is and however many events were appended since the last run. A
certifier sees up to which event and when the chain was verified, how many newer events are
still waiting, when the last full walk ran, and where it broke if it did.

Why a scheduled job rather than verifying in the request or at append time: the request
stays constant-time whatever was imported in bulk; the writers (which hold the chain lock)
do no extra work; and the check is made by another process re-reading what was *stored*,
not by the writer trusting what it just computed. The cost is a lag of up to a minute,
which the page states.

The row is bookkeeping, not a quality record: it is not audited (an event for it would
itself extend the chain it describes). Writers never overwrite each other's newer result:
every write is conditional on the ``version`` read before the walk, and is made in a short
transaction of its own after it (:func:`qms.core.uow.write_first`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from qms.core.audit import GENESIS_HASH, AuditEvent, ChainProblem, compute_hash
from qms.core.db import Model, UTCDateTime, now_utc, upsert_statement

#: Events verified at most by one run of the job (a few seconds; the next run goes on).
JOB_BUDGET = 50_000
#: The page counts the events not verified yet up to this many ("more than …" beyond).
PENDING_CAP = 10_000
#: The job runs every minute: newer events still waiting after this long mean it is not
#: running (the page says so).
JOB_STALE_AFTER = timedelta(minutes=10)
#: The full walk runs nightly: older than this, the page says it has not run.
FULL_STALE_AFTER = timedelta(hours=26)
#: Only row of the table.
ROW_ID = 1

DELETED_ANCHOR = "the last verified event was deleted (the trail was truncated)"
ALTERED = "its content was altered (hash mismatch)"
BROKEN_LINK = "the previous event is missing, moved or altered (prev_hash mismatch)"


class ChainCheckpoint(Model):
    """The result of the last verification of the audit chain (one row, id 1)."""

    __tablename__ = "audit_chain_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Incremented by every write; a write is conditional on the version it read.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: Id of the last event verified, from the genesis (0: none yet).
    event_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: Its hash, as read when it was verified.
    event_hash: Mapped[str] = mapped_column(String(64), nullable=False, default=GENESIS_HASH)
    #: Events verified from the genesis up to ``event_id``.
    events: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: When the last verification (incremental or full) ended; None: never.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the last full walk from the genesis ended, and how many events it read.
    full_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    full_events: Mapped[int | None] = mapped_column(Integer)
    #: The first problem found (the chain stays reported broken until a full walk finds it
    #: intact again, e.g. after restoring a backup).
    problem_event_id: Mapped[int | None] = mapped_column(Integer)
    problem_reason: Mapped[str | None] = mapped_column(String(200))
    problem_found_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class ChainStatus:
    """What the audit-log page says about the chain."""

    #: No problem found in the events verified so far (nor in the checkpoint's event now).
    intact: bool
    #: Events verified, from the genesis to ``checked_up_to``.
    events: int
    #: Id of the last event verified (0: none yet).
    checked_up_to: int
    #: Id of the newest event of the trail (0: empty trail).
    head_id: int
    #: Events appended after ``checked_up_to``, not verified yet (at most PENDING_CAP).
    pending: int
    #: ``pending`` stopped counting at PENDING_CAP: there are more.
    pending_capped: bool
    #: When the last verification ended (None: never verified).
    verified_at: datetime | None
    #: When the whole chain was last walked from the genesis (None: never), and how many
    #: events that walk read.
    full_verified_at: datetime | None
    full_events: int | None
    problem: ChainProblem | None = None
    #: When the problem was found (None: found by this very read of the page).
    problem_found_at: datetime | None = None

    @property
    def up_to_date(self) -> bool:
        """Intact and verified up to the newest event."""
        return self.intact and self.pending == 0

    @property
    def trail_length(self) -> int | None:
        """Events in the whole trail, exactly, when the verification knows it: those it
        verified (a walk counts every event: a missing one breaks the chain) plus those
        counted after them. None: not known (never verified, broken, or too many new)."""
        if self.verified_at is None or not self.intact or self.pending_capped:
            return None
        return self.events + self.pending

    @property
    def job_stale(self) -> bool:
        """Newer events have waited longer than the job's period allows."""
        return self.pending > 0 and (self.verified_at is None
                                     or now_utc() - self.verified_at > JOB_STALE_AFTER)

    @property
    def full_stale(self) -> bool:
        """The nightly full walk has not run lately (or ever)."""
        return (self.full_verified_at is None
                or now_utc() - self.full_verified_at > FULL_STALE_AFTER)


# --------------------------------------------------------------------------- reading


def _row(session: Session) -> ChainCheckpoint | None:
    return session.get(ChainCheckpoint, ROW_ID, populate_existing=True)


def _head_id(session: Session) -> int:
    return session.scalar(select(func.max(AuditEvent.id))) or 0


def _pending(session: Session, after: int) -> tuple[int, bool]:
    """Events after ``after``, counted up to PENDING_CAP (an index range, never the trail)."""
    window = (select(AuditEvent.id).where(AuditEvent.id > after)
              .limit(PENDING_CAP + 1).subquery())
    count = session.scalar(select(func.count()).select_from(window)) or 0
    return min(count, PENDING_CAP), count > PENDING_CAP


def _anchor_problem(session: Session, event_id: int, expected_hash: str) -> str | None:
    """The last verified event must still be there, with the same hash, and its content
    must still give that hash."""
    anchor = session.get(AuditEvent, event_id)
    if anchor is None:
        return DELETED_ANCHOR
    if anchor.hash != expected_hash or \
            compute_hash(anchor.prev_hash, anchor.content()) != expected_hash:
        return ALTERED
    return None


def status(session: Session) -> ChainStatus:
    """The chain's status for the page: the last verification's result, plus a re-hash of
    its last event. Constant work (a handful of primary-key reads); writes nothing."""
    row = _row(session)
    head_id = _head_id(session)
    if row is None:  # never verified: nothing to count against
        return ChainStatus(True, 0, 0, head_id, 0, False, None, None, None)
    problem = (ChainProblem(row.problem_event_id, row.problem_reason or "")
               if row.problem_event_id is not None else None)
    found_at = row.problem_found_at
    if problem is None and row.event_id and (
            reason := _anchor_problem(session, row.event_id, row.event_hash)):
        problem, found_at = ChainProblem(row.event_id, reason), None
    pending, capped = (0, False) if problem else _pending(session, row.event_id)
    return ChainStatus(
        intact=problem is None, events=row.events, checked_up_to=row.event_id,
        head_id=head_id, pending=pending, pending_capped=capped,
        verified_at=row.verified_at, full_verified_at=row.full_verified_at,
        full_events=row.full_events, problem=problem, problem_found_at=found_at)


# --------------------------------------------------------------------------- verifying


@dataclass
class _Walk:
    """Where a verification pass got to."""

    event_id: int
    event_hash: str
    events: int
    problem: ChainProblem | None = None


def _walk(session: Session, start: _Walk, budget: int | None) -> _Walk:
    """Verify the events after ``start.event_id`` in order (at most ``budget``)."""
    prev, last_id, count = start.event_hash, start.event_id, start.events
    result = session.execute(
        select(AuditEvent).where(AuditEvent.id > start.event_id).order_by(AuditEvent.id)
        .limit(budget).execution_options(yield_per=2000))
    try:  # a server-side cursor on PostgreSQL: close it even when stopping early
        for event in result.scalars():
            if event.prev_hash != prev:
                return _Walk(last_id, prev, count, ChainProblem(event.id, BROKEN_LINK))
            if compute_hash(event.prev_hash, event.content()) != event.hash:
                return _Walk(last_id, prev, count, ChainProblem(event.id, ALTERED))
            prev, last_id, count = event.hash, event.id, count + 1
    finally:
        result.close()
    return _Walk(last_id, prev, count)


def _write(session: Session, seen_version: int | None, values: dict[str, Any]) -> bool:
    """Store ``values`` unless another pass wrote since version ``seen_version`` was read
    (None: there was no row yet)."""
    table = ChainCheckpoint.__table__
    if seen_version is None:
        session.execute(upsert_statement(table, ["id"]).values(
            id=ROW_ID, version=0, event_id=0, event_hash=GENESIS_HASH, events=0))
        seen_version = 0
    done = session.execute(
        table.update().where(table.c.id == ROW_ID, table.c.version == seen_version)
        .values(version=seen_version + 1, **values))
    return done.rowcount == 1


def _store(work: Any) -> None:
    """Write the result in a transaction of its own, after the (long) read: on SQLite a
    read snapshot older than another writer's commit cannot become a write, and every web
    request that changes a record writes the trail. Commits."""
    from qms.core.uow import write_first

    write_first(work)


def _problem_values(problem: ChainProblem, when: datetime) -> dict[str, Any]:
    return {"problem_event_id": problem.event_id, "problem_reason": problem.reason[:200],
            "problem_found_at": when}


def verify_new(session: Session, budget: int | None = JOB_BUDGET) -> ChainStatus:
    """Verify the events appended since the checkpoint (at most ``budget``) and move the
    checkpoint forward; a problem is recorded and stops further passes until a full walk.
    Commits its result (discarded if another pass wrote meanwhile)."""
    row = _row(session)
    if row is not None and row.problem_event_id is not None:
        return status(session)  # stays broken until a full walk says otherwise
    seen = row.version if row else None
    start = _Walk(row.event_id, row.event_hash, row.events) if row else \
        _Walk(0, GENESIS_HASH, 0)
    when = now_utc()
    if start.event_id and (reason := _anchor_problem(session, start.event_id,
                                                     start.event_hash)):
        values = {"verified_at": when,
                  **_problem_values(ChainProblem(start.event_id, reason), when)}
    else:
        walk = _walk(session, start, budget)
        values = {"event_id": walk.event_id, "event_hash": walk.event_hash,
                  "events": walk.events, "verified_at": when}
        if walk.problem:
            values.update(_problem_values(walk.problem, when))
    _store(lambda: _write(session, seen, values))
    return status(session)


def verify_all(session: Session) -> tuple[int, ChainProblem | None]:
    """Walk the whole trail from the genesis (the CLI and the nightly job) and record the
    walk: the checkpoint moves to the last event read, or the first problem is recorded;
    an intact walk clears an earlier problem. Returns (events read, problem). Commits
    its result."""
    walk = _walk(session, _Walk(0, GENESIS_HASH, 0), None)
    read = walk.events + 1 if walk.problem else walk.events
    when = now_utc()

    def record() -> None:
        row = session.get(ChainCheckpoint, ROW_ID, populate_existing=True,
                          with_for_update=True)  # PostgreSQL: the job waits for us
        values: dict[str, Any] = {"verified_at": when, "full_verified_at": when,
                                  "full_events": read}
        if walk.problem:
            values.update(event_id=walk.event_id, event_hash=walk.event_hash,
                          events=walk.events, **_problem_values(walk.problem, when))
        else:
            values.update(problem_event_id=None, problem_reason=None, problem_found_at=None)
            if row is None or row.problem_event_id is not None or row.event_id <= walk.event_id:
                values.update(event_id=walk.event_id, event_hash=walk.event_hash,
                              events=walk.events)
            # else: the job verified further while the walk ran; keep its checkpoint.
        _write(session, row.version if row else None, values)

    _store(record)
    return read, walk.problem


def describe(chain_status: ChainStatus) -> dict[str, Any]:
    """The status as JSON-friendly values (for the API and tests)."""
    data = asdict(chain_status)
    data["problem"] = asdict(chain_status.problem) if chain_status.problem else None
    data["up_to_date"] = chain_status.up_to_date
    return data
