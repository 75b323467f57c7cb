"""The audit chain's verification status, kept current without re-reading the whole trail.

:func:`qms.core.audit.verify_chain` walks every event from the genesis: seconds at
400,000 events, too slow for a page. A *checkpoint* remembers the last event verified
(its id and hash) and how many events led to it; :func:`current_status` then checks
that this anchor event is still there with the same hash (so an altered, deleted or
truncated head is caught), and verifies only the events appended since — at most
``budget`` of them per call, so a page view stays fast even after a bulk import; the
rest is verified by the next call or by the scheduler's job.

An event altered *behind* the checkpoint cannot be seen incrementally: the full walk
(``flask qms verify-audit-log`` and the scheduler's nightly job) re-reads everything and
resets the checkpoint, and the page says when that last happened.

The checkpoint lives in ``INSTANCE_DIR/audit-chain.json`` (written atomically), not in
the database: writing it there would itself need an audit event.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qms.core.audit import GENESIS_HASH, AuditEvent, ChainProblem, compute_hash
from qms.core.db import now_utc

#: Events verified at most by one page view (about 0.3 s on the reference machine).
PAGE_BUDGET = 5_000
CHECKPOINT_FILE = "audit-chain.json"


@dataclass(frozen=True)
class ChainStatus:
    """What the audit-log page says about the chain."""

    #: No problem found in the events verified so far.
    intact: bool
    #: Events verified, from the genesis to ``checked_up_to``.
    events: int
    #: Id of the last event verified (0 for an empty trail).
    checked_up_to: int
    #: Events appended after ``checked_up_to``, not yet verified.
    pending: int
    verified_at: datetime
    #: When the whole chain was last walked from the genesis (None: never).
    full_verified_at: datetime | None
    problem: ChainProblem | None = None


@dataclass
class _Checkpoint:
    event_id: int
    hash: str
    events: int
    verified_at: str
    full_verified_at: str | None = None
    problem_event_id: int | None = None
    problem_reason: str | None = None


def _path() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / CHECKPOINT_FILE


def _load() -> _Checkpoint | None:
    try:
        return _Checkpoint(**json.loads(_path().read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None  # missing or unreadable: verify from the genesis again


def _save(checkpoint: _Checkpoint) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-chain-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(checkpoint), handle)
    os.replace(tmp, path)


def _status(cp: _Checkpoint, head_id: int) -> ChainStatus:
    problem = (ChainProblem(cp.problem_event_id, cp.problem_reason or "")
               if cp.problem_event_id is not None else None)
    return ChainStatus(
        intact=problem is None, events=cp.events, checked_up_to=cp.event_id,
        pending=max(0, head_id - cp.event_id) if problem is None else 0,
        verified_at=datetime.fromisoformat(cp.verified_at),
        full_verified_at=(datetime.fromisoformat(cp.full_verified_at)
                          if cp.full_verified_at else None),
        problem=problem,
    )


def _broken(cp: _Checkpoint, event_id: int, reason: str) -> _Checkpoint:
    cp.problem_event_id, cp.problem_reason = event_id, reason
    cp.verified_at = now_utc().isoformat()
    return cp


def current_status(session: Session, budget: int = PAGE_BUDGET) -> ChainStatus:
    """Verify what was appended since the checkpoint (at most ``budget`` events) and
    return the chain's status; the checkpoint moves forward."""
    head_id = session.scalar(select(func.max(AuditEvent.id))) or 0
    cp = _load() or _Checkpoint(0, GENESIS_HASH, 0, now_utc().isoformat())
    if cp.problem_event_id is not None:
        return _status(cp, head_id)  # a broken chain stays broken until a full walk
    if cp.event_id and (reason := _anchor_problem(session, cp)):
        _save(_broken(cp, cp.event_id, reason))
        return _status(cp, head_id)
    if head_id > cp.event_id:
        cp = _advance(session, cp, budget)
        _save(cp)
    return _status(cp, head_id)


def _anchor_problem(session: Session, cp: _Checkpoint) -> str | None:
    """The last verified event must still be there, with the same hash, and its content
    must still give that hash: an altered, deleted or truncated head is caught."""
    anchor = session.get(AuditEvent, cp.event_id)
    if anchor is None:
        return "the last verified event was deleted (the trail was truncated)"
    if anchor.hash != cp.hash or compute_hash(anchor.prev_hash, anchor.content()) != cp.hash:
        return "its content was altered (hash mismatch)"
    return None


def _advance(session: Session, cp: _Checkpoint, budget: int | None) -> _Checkpoint:
    prev, last_id, count = cp.hash, cp.event_id, cp.events
    result = session.execute(
        select(AuditEvent).where(AuditEvent.id > cp.event_id).order_by(AuditEvent.id)
        .limit(budget).execution_options(yield_per=1000))
    try:
        for event in result.scalars():
            if event.prev_hash != prev:
                return _broken(cp, event.id, "the previous event is missing, moved or "
                                             "altered (prev_hash mismatch)")
            if compute_hash(event.prev_hash, event.content()) != event.hash:
                return _broken(cp, event.id, "its content was altered (hash mismatch)")
            prev, last_id, count = event.hash, event.id, count + 1
            cp.events = count  # events read before a problem, for the message
    finally:
        result.close()
    cp.hash, cp.event_id, cp.events = prev, last_id, count
    cp.verified_at = now_utc().isoformat()
    return cp


def verify_all(session: Session) -> tuple[int, ChainProblem | None]:
    """Walk the whole trail from the genesis (CLI and nightly job) and reset the
    checkpoint to the result: the last event read, or the first problem."""
    now = now_utc().isoformat()
    cp = _advance(session, _Checkpoint(0, GENESIS_HASH, 0, now), budget=None)
    cp.full_verified_at = now
    _save(cp)
    problem = (ChainProblem(cp.problem_event_id, cp.problem_reason or "")
               if cp.problem_event_id is not None else None)
    return (cp.events + 1 if problem else cp.events), problem


def describe(status: ChainStatus) -> dict[str, Any]:
    """The status as JSON-friendly values (for the API and tests)."""
    data = asdict(status)
    data["problem"] = asdict(status.problem) if status.problem else None
    return data
