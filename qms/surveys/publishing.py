"""Publishing a checked import: short write transactions, the import-level undo.

:func:`publish` inserts the rows :mod:`qms.surveys.importer` staged, in write-first
transactions of :data:`PUBLISH_CHUNK` rows (a webhook post waits for one chunk at most),
skipping submissions already stored; the last transaction adds the aggregates, marks the
batch *imported* and writes its audit event, so results change all at once. Until then
the batch is *importing* and its rows are invisible to every reader
(:func:`visible_responses`). If publishing fails, :func:`undo` deletes the batch's rows
again and records it as rejected; if the process is killed, :func:`recover_interrupted`
(run before every import) does the same for a batch whose heartbeat stopped.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, event, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import Pool

from qms.core import audit
from qms.core.db import now_utc
from qms.core.uow import write_first
from qms.extensions import db
from qms.surveys.aggregates import Accumulator
from qms.surveys.models import BatchStatus, ImportBatch, Response

if TYPE_CHECKING:
    from qms.surveys.importer import ImportReport, Progress, _Staged

#: Rows inserted per write transaction while publishing: small enough that a webhook post
#: waits a few tens of milliseconds for the write lock, large enough to insert fast.
PUBLISH_CHUNK = 10_000
#: Pause between publishing transactions, so writers of this process get the lock.
PUBLISH_PAUSE = 0.002
#: How long a publishing import stands aside for a webhook post that is waiting for the
#: write lock (SQLite's busy handler polls, so a writer of another process could
#: otherwise miss every short gap between two chunks).
YIELD_SECONDS = 0.5
#: An importing batch whose heartbeat is older than this was interrupted (killed process).
STALE_AFTER = timedelta(minutes=2)

_COLUMNS = ("wave_id", "batch_id", "submission_uuid", "beneficiary_key", "department_code",
            "municipality_code", "channel", "submitted_at", "answers")


def time_format() -> Callable:
    """Naive UTC datetime → the value the driver stores, as the column's type binds it."""
    dialect = db.session.get_bind().dialect
    if dialect.name == "sqlite":  # UTCDateTime on SQLite: naive UTC, SQLAlchemy's format
        return lambda moment: moment.isoformat(" ", "microseconds")
    return lambda moment: moment.isoformat() + "+00:00"


def visible_responses():
    """The condition every reader of responses adds: webhook rows, and rows of batches
    that finished importing (never those of a batch still being published or undone)."""
    return or_(Response.batch_id.is_(None), Response.batch_id.in_(
        select(ImportBatch.id).where(ImportBatch.status == BatchStatus.IMPORTED)))


# ------------------------------------------------------------------ staging file


def write_staged(out, rows: list) -> None:
    """Append one chunk of checked rows to the staging file (length-prefixed marshal)."""
    blob = marshal.dumps(rows)
    out.write(len(blob).to_bytes(8, "little"))
    out.write(blob)


def read_staged(staging: Path) -> Iterator[list]:
    with staging.open("rb") as handle:
        while size := handle.read(8):
            # Our own file, written by _take() in this process moments ago.
            yield marshal.loads(handle.read(int.from_bytes(size, "little")))  # noqa: S302


# ------------------------------------------------------------------ publish


def publish(wave_id: int, staged: _Staged, staging: Path, report: ImportReport,
             progress: Progress | None) -> None:
    actor_id = audit.current_actor().id
    batch_id = write_first(lambda: _open_batch(wave_id, report, actor_id))
    report.batch_id = batch_id
    accumulator = Accumulator(wave_id, staged.questions, staged.converter.places,
                              staged.converter.value_tables)
    conflicts = staged.conflicts
    try:
        for done, rows in enumerate(read_staged(staging), start=1):
            if conflicts:
                rows = [r for r in rows if r[0][0] not in conflicts]
            for start in range(0, len(rows), PUBLISH_CHUNK):
                part = rows[start:start + PUBLISH_CHUNK]
                params = {p[0]: (wave_id, batch_id, *p) for p, _agg in part}
                _yield_to_waiting_writers()
                fresh = publish_chunk(batch_id, params)
                accumulator.add_rows([agg for p, agg in part if p[0] in fresh])
                report.imported += len(fresh)
                report.duplicates += len(params) - len(fresh)
                time.sleep(PUBLISH_PAUSE)
            if progress:
                progress(int(report.file_size * (0.8 + 0.2 * done / max(staged.chunks, 1))),
                         report.file_size, report.rows_read)
        write_first(lambda: _finish(batch_id, accumulator, report))
    except BaseException:
        undo(batch_id, report, _("la importación se interrumpió al guardar las filas; se "
                                  "deshizo lo guardado"))
        raise


def _open_batch(wave_id: int, report: ImportReport, actor_id: int | None) -> int:
    moment = now_utc()
    batch = ImportBatch(wave_id=wave_id, status=BatchStatus.IMPORTING,
                        file_name=report.file_name, file_sha256=report.file_sha256,
                        file_size=report.file_size, file_format=report.file_format or "?",
                        skip_invalid=report.skip_invalid, rows_read=report.rows_read,
                        started_at=report.started_at, finished_at=moment, actor_id=actor_id)
    db.session.add(batch)
    db.session.flush()
    return batch.id


_NO_AUTOCHECKPOINT = "qms_surveys_no_autocheckpoint"


@event.listens_for(Pool, "checkin")
def _restore_autocheckpoint(dbapi_connection, record) -> None:
    """A connection that published a chunk checkpoints again once it is handed back."""
    if record.info.pop(_NO_AUTOCHECKPOINT, False):
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=1000")


def _defer_checkpoint() -> None:
    """SQLite: no WAL checkpoint at this commit. Checkpointing after every published chunk
    (fsyncs included) costs more than inserting it; the WAL is checkpointed by the next
    ordinary commit (the batch's last one) instead."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        connection.connection.info[_NO_AUTOCHECKPOINT] = True


def publish_chunk(batch_id: int, params: dict[str, tuple]) -> set[str]:
    """Insert the rows whose submission is not stored yet; the set of those inserted."""

    def work() -> set[str]:
        _defer_checkpoint()
        existing = _existing(list(params))
        fresh = [row for uuid, row in params.items() if uuid not in existing]
        if fresh:
            bulk_insert(fresh)
        db.session.execute(update(ImportBatch).where(ImportBatch.id == batch_id)
                           .values(finished_at=now_utc()))  # the heartbeat
        return {row[2] for row in fresh}

    try:
        return write_first(work)
    except IntegrityError:  # PostgreSQL: a webhook stored one of them meanwhile; once more
        return write_first(work)


def _existing(uuids: list[str]) -> set[str]:
    """Which of these submission IDs are stored (one statement, bound values, no ORM
    compilation of a 10,000-item IN list)."""
    connection = db.session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (f"SELECT submission_uuid FROM {Response.__tablename__} "  # noqa: S608 - constants
           f"WHERE submission_uuid IN ({', '.join([mark] * len(uuids))})")
    return {row[0] for row in connection.exec_driver_sql(sql, tuple(uuids))}


def bulk_insert(rows: list[tuple]) -> None:
    """executemany straight to the driver: the values are already what the columns' own
    bind processors produce (see rows.RowConverter), so SQLite and PostgreSQL store the
    same thing as an ORM insert would, without SQLAlchemy's per-row parameter handling."""
    connection = db.session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    # Table and column names are this module's constants; the values are bound.
    sql = (f"INSERT INTO {Response.__tablename__} ({', '.join(_COLUMNS)}) "  # noqa: S608
           f"VALUES ({', '.join([mark] * len(_COLUMNS))})")
    connection.exec_driver_sql(sql, rows)


def _finish(batch_id: int, accumulator: Accumulator, report: ImportReport) -> None:
    accumulator.flush()
    batch = db.session.get(ImportBatch, batch_id)
    batch.status = BatchStatus.IMPORTED
    batch.rows_read = report.rows_read
    batch.rows_imported = report.imported
    batch.rows_duplicate = report.duplicates + report.folded
    batch.rows_invalid = report.invalid
    batch.rows_rejected = report.rejected_in_source
    batch.problems = [p.as_dict() for p in report.problems]
    batch.finished_at = now_utc()
    db.session.flush()
    audit.record(db.session, batch, "import", json.dumps(report.summary(), ensure_ascii=False))


def reject(wave_id: int, report: ImportReport) -> ImportReport:
    """Keep a trace of the refused attempt (no responses): a rejected batch and its event."""

    def work() -> int:
        batch = ImportBatch(wave_id=wave_id, status=BatchStatus.REJECTED,
                            file_name=report.file_name, file_sha256=report.file_sha256 or "-",
                            file_size=report.file_size, file_format=report.file_format or "?",
                            skip_invalid=report.skip_invalid, rows_read=report.rows_read,
                            rows_imported=0, rows_duplicate=0, rows_invalid=report.invalid,
                            rows_rejected=report.rejected_in_source,
                            problems=[p.as_dict() for p in report.problems],
                            started_at=report.started_at or now_utc(), finished_at=now_utc(),
                            actor_id=audit.current_actor().id)
        db.session.add(batch)
        db.session.flush()
        summary = {**report.summary(), "imported": 0, "problems": report.problem_count}
        audit.record(db.session, batch, "import_rejected",
                     json.dumps(summary, ensure_ascii=False))
        return batch.id

    report.imported = 0
    report.batch_id = write_first(work)
    return report


def undo(batch_id: int, report: ImportReport | None, reason: str) -> None:
    """Delete what a batch published and record it as rejected (the import-level undo)."""

    def work() -> None:
        db.session.execute(delete(Response).where(Response.batch_id == batch_id))
        batch = db.session.get(ImportBatch, batch_id)
        batch.status = BatchStatus.REJECTED
        batch.rows_imported = 0
        batch.problems = [*(batch.problems or []), {"row": None, "column": "", "reason": reason}]
        batch.finished_at = now_utc()
        db.session.flush()
        summary = {**(report.summary() if report else {}), "imported": 0, "undone": reason}
        audit.record(db.session, batch, "import_rejected",
                     json.dumps(summary, ensure_ascii=False))

    write_first(work)
    if report is not None:
        report.imported = 0


def recover_interrupted(stale_after: timedelta = STALE_AFTER) -> int:
    """Undo batches left *importing* by a process that died; how many were undone."""
    limit = now_utc() - stale_after
    stale = db.session.scalars(select(ImportBatch.id).where(
        ImportBatch.status == BatchStatus.IMPORTING, ImportBatch.finished_at < limit)).all()
    for batch_id in stale:
        undo(batch_id, None, _("la importación se interrumpió (el proceso se detuvo); se "
                                "deshizo lo guardado"))
    return len(stale)


# ------------------------------------------------------------------ waiting writers


def _waiting_folder() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "survey-imports" / "waiting"


@contextlib.contextmanager
def waiting_writer() -> Iterator[None]:
    """Around a short write that must not wait behind a long import (the webhook): leaves
    a marker that :func:`_yield_to_waiting_writers` sees between two published chunks."""
    folder = _waiting_folder()
    marker = folder / f"{os.getpid()}-{time.monotonic_ns()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:  # no marker, no priority: the post still waits its turn
        yield
        return
    try:
        yield
    finally:
        marker.unlink(missing_ok=True)


def _yield_to_waiting_writers() -> None:
    """Between two chunks (no lock held): give a waiting writer the time to get in."""
    folder = _waiting_folder()
    deadline = time.monotonic() + YIELD_SECONDS
    try:
        while time.monotonic() < deadline and any(
                time.time() - entry.stat().st_mtime < 10 for entry in os.scandir(folder)):
            time.sleep(0.01)
    except OSError:
        return
