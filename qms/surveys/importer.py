"""Importing a KoboToolbox / ODK export into a wave: read and check everything, then publish.

:func:`run_import` is the one import-and-commit path (the CLI command and the browser job
both call it; the webhook's single submission is :func:`receive_submission`). It works in
two phases so that a 200,000-row file never holds the database's write lock for long:

1. **Stage** — stream the file, convert and check every row, fold identical repeats and
   refuse different answers under one submission ID, and write the good rows to a
   staging file beside the database. Nothing is written to the database; webhook posts
   and other users go on as usual. If a row is bad (and ``skip_invalid`` is off), or the
   file as a whole is, the refusal is recorded (a *rejected* batch with every problem)
   and nothing else.
2. **Publish** — an *importing* batch is created, then the staged rows are inserted in
   short write-first transactions of :data:`PUBLISH_CHUNK` rows (a webhook post waits
   for one chunk at most), skipping submissions already stored. The last transaction adds
   the aggregates, marks the batch *imported* and writes its audit event, so results
   change all at once. Rows of a batch that is still importing are invisible to every
   reader (:func:`visible_responses`); if publishing fails, the batch's rows are deleted
   again (the import-level undo) and the batch is recorded as rejected. If the process is
   killed, :func:`recover_interrupted` (run before every import) does the same for a
   batch whose heartbeat stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import marshal
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, event, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import Pool

from qms.core import audit
from qms.core.db import now_utc
from qms.core.errors import ServiceError, ValidationError
from qms.core.time import local_zone
from qms.core.uow import write_first
from qms.extensions import db
from qms.surveys import columns as cols
from qms.surveys.aggregates import Accumulator
from qms.surveys.models import BatchStatus, Channel, ImportBatch, Response, Wave, WaveStatus
from qms.surveys.reader import FileProblem, open_table
from qms.surveys.rows import Period, RowConverter

#: Rows converted at a time while staging.
CHUNK = 5000
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
#: Problems kept in the batch record and shown in the UI; counts stay exact.
MAX_KEPT_PROBLEMS = 1000

Progress = Callable[[int, int, int], None]  # (work done, total work, rows read)

_COLUMNS = ("wave_id", "batch_id", "submission_uuid", "beneficiary_key", "department_code",
            "municipality_code", "channel", "submitted_at", "answers")


@dataclass
class Problem:
    row: int | None
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportReport:
    file_name: str
    file_sha256: str = ""
    file_size: int = 0
    file_format: str = ""
    skip_invalid: bool = False
    allow_outside_period: bool = False
    rows_read: int = 0
    imported: int = 0
    #: Submissions already stored (an earlier import, the webhook): not added again.
    duplicates: int = 0
    #: Identical repeats of a submission inside the file, folded into one.
    folded: int = 0
    invalid: int = 0
    rejected_in_source: int = 0
    #: Rows imported although their submission time lies outside the wave's period.
    outside_period: int = 0
    #: Rows refused for that reason (the import did not allow it).
    outside_period_refused: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    #: Columns nobody mapped: ignored, listed so the officer can map them next time.
    unknown_columns: list[str] = field(default_factory=list)
    #: A problem with the file as a whole (wrong type, missing column, no rows, truncated).
    file_problem: str | None = None
    batch_id: int | None = None
    started_at: Any = None

    def add_problem(self, row: int | None, column: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(Problem(row, column, reason))

    def refuse(self, reason: str, row: int | None = None) -> None:
        self.file_problem = f"{self.file_problem}; {reason}" if self.file_problem else reason
        self.add_problem(row, "", reason)

    @property
    def accepted(self) -> bool:
        return self.file_problem is None and (self.invalid == 0 or self.skip_invalid)

    def summary(self) -> dict[str, Any]:
        return {"file": self.file_name, "sha256": self.file_sha256, "format": self.file_format,
                "rows_read": self.rows_read, "imported": self.imported,
                "duplicates": self.duplicates, "folded": self.folded,
                "invalid": self.invalid, "rejected_in_source": self.rejected_in_source,
                "outside_period": self.outside_period,
                "outside_period_refused": self.outside_period_refused,
                "allow_outside_period": self.allow_outside_period,
                "skip_invalid": self.skip_invalid}


class ImportRejected(ServiceError):
    """Bad rows (or a bad file) and ``skip_invalid`` off: nothing was imported."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(_("Importación rechazada: %(n)s problemas; no se importó nada.",
                           n=report.problem_count))
        self.report = report


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _check_wave(wave: Wave) -> None:
    if wave.status == WaveStatus.CLOSED:
        raise ValidationError(_("La ronda %(code)s está cerrada: no admite más respuestas.",
                                code=wave.code), field="file")


def plan_columns(wave: Wave, header: list[str], mapping: dict[str, str] | None = None):
    from qms.surveys.services import saved_mapping

    questions = wave.questionnaire.questions
    saved = dict(saved_mapping(wave.survey))
    saved.update(mapping or {})
    return questions, cols.resolve(header, questions, saved)


def _time_format() -> Callable:
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


# ------------------------------------------------------------------ the one path


def run_import(wave: Wave, path: Path | str, *, file_name: str, skip_invalid: bool = False,
               allow_outside_period: bool = False, mapping: dict[str, str] | None = None,
               channel: Channel = Channel.KOBO, progress: Progress | None = None,
               chunk_size: int = CHUNK) -> ImportReport:
    """Import ``path`` into ``wave``: all of its rows or, when refused, none.

    Commits its own short transactions (see the module docstring) and returns the report
    — accepted, or rejected with every problem and a rejected batch recorded. A closed
    wave is a ValidationError; any other failure undoes what was published and re-raises.
    """
    _check_wave(wave)
    recover_interrupted()
    wave_id = wave.id
    report = ImportReport(file_name=file_name[:255], skip_invalid=skip_invalid,
                          allow_outside_period=allow_outside_period, started_at=now_utc())
    path = Path(path)
    report.file_size = path.stat().st_size
    report.file_sha256 = file_sha256(path)
    with _staging_file() as staging:
        stage = _stage(wave, path, staging, report, mapping=mapping, channel=channel,
                       progress=progress, chunk_size=chunk_size)
        if stage is None or not report.accepted:
            return _reject(wave_id, report)
        _publish(wave_id, stage, staging, report, progress)
    return report


@dataclass
class _Staged:
    questions: list
    converter: RowConverter
    chunks: int
    #: Submission IDs seen with different answers: none of their rows is imported.
    conflicts: set[str]


@contextlib.contextmanager
def _staging_file() -> Iterator[Path]:
    folder = Path(current_app.config["INSTANCE_DIR"]) / "survey-imports"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="staging-", suffix=".bin", dir=folder)
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _stage(wave: Wave, path: Path, staging: Path, report: ImportReport, *, mapping, channel,
           progress, chunk_size) -> _Staged | None:
    """Read, convert and check every row into ``staging``; None if the file is refused."""
    try:
        table = open_table(path)
    except FileProblem as exc:
        report.refuse(str(exc.message), exc.row)
        return None
    try:
        report.file_format = table.description
        questions, resolution = plan_columns(wave, table.header, mapping)
        report.unknown_columns = resolution.unknown
        converter = RowConverter(
            table.header, resolution.targets, questions,
            secret=current_app.config["QMS_PSEUDONYM_KEY"], channel=channel,
            period=Period(wave.starts_on, wave.ends_on, local_zone()),
            allow_outside_period=report.allow_outside_period, format_time=_time_format())
        refusals = converter.missing_columns() + resolution.problems()
        if refusals:
            for reason in refusals:
                report.refuse(reason, 1)
            return None
        staged = _Staged(questions=list(questions), converter=converter, chunks=0,
                         conflicts=set())
        seen: dict[str, tuple[int, int]] = {}
        with staging.open("wb") as out:
            for rows in _chunks(table, report, chunk_size):
                chunk = converter.convert(rows)
                _take(chunk, report, seen, staged, out)
                if progress:
                    progress(int(table.position() * 0.8), table.size, report.rows_read)
    finally:
        table.close()
    if report.rows_read == 0 and report.file_problem is None:
        report.refuse(_("El archivo no tiene filas de datos: solo el encabezado."), 2)
    return staged


def _chunks(table, report: ImportReport, size: int) -> Iterator[list]:
    def until_damaged():
        try:
            yield from table.rows
        except FileProblem as exc:  # the rows before the damage are kept
            report.invalid += 1
            report.add_problem(exc.row, "", str(exc.message))

    source = until_damaged()
    while rows := list(itertools.islice(source, size)):
        report.rows_read += len(rows)
        yield rows


def _take(chunk, report: ImportReport, seen: dict, staged: _Staged, out) -> None:
    """Fold the chunk into the report and the staging file, checking repeats in the file."""
    report.invalid += chunk.invalid
    report.rejected_in_source += chunk.rejected_in_source
    report.outside_period_refused += chunk.outside_refused
    for row, column, reason in chunk.problems:
        report.add_problem(row, column, reason)
    outside = set(chunk.outside_period)
    keep = []
    report.outside_period += len(outside)
    for number, uuid, params, agg in chunk.good:
        content = hash(params)
        first = seen.get(uuid)
        if first is None:
            seen[uuid] = (number, content)
            keep.append((params, agg))
            continue
        report.outside_period -= number in outside
        if first[1] == content:
            report.folded += 1
            continue
        if uuid not in staged.conflicts:
            staged.conflicts.add(uuid)
            report.invalid += 1  # the first row, taken as good until now
            report.add_problem(first[0], "_uuid", _(
                "el envío %(u)s aparece de nuevo en la fila %(r)s con otras respuestas",
                u=uuid, r=number))
        report.invalid += 1
        report.add_problem(number, "_uuid", _(
            "el envío %(u)s ya aparece en la fila %(r)s con otras respuestas", u=uuid,
            r=first[0]))
    if keep:
        blob = marshal.dumps(keep)
        out.write(len(blob).to_bytes(8, "little"))
        out.write(blob)
        staged.chunks += 1


def _read_staged(staging: Path) -> Iterator[list]:
    with staging.open("rb") as handle:
        while size := handle.read(8):
            # Our own file, written by _take() in this process moments ago.
            yield marshal.loads(handle.read(int.from_bytes(size, "little")))  # noqa: S302


# ------------------------------------------------------------------ publish


def _publish(wave_id: int, staged: _Staged, staging: Path, report: ImportReport,
             progress: Progress | None) -> None:
    actor_id = audit.current_actor().id
    batch_id = write_first(lambda: _open_batch(wave_id, report, actor_id))
    report.batch_id = batch_id
    accumulator = Accumulator(wave_id, staged.questions, staged.converter.places,
                              staged.converter.value_tables)
    conflicts = staged.conflicts
    try:
        for done, rows in enumerate(_read_staged(staging), start=1):
            if conflicts:
                rows = [r for r in rows if r[0][0] not in conflicts]
            for start in range(0, len(rows), PUBLISH_CHUNK):
                part = rows[start:start + PUBLISH_CHUNK]
                params = {p[0]: (wave_id, batch_id, *p) for p, _agg in part}
                _yield_to_waiting_writers()
                fresh = _publish_chunk(batch_id, params)
                accumulator.add_rows([agg for p, agg in part if p[0] in fresh])
                report.imported += len(fresh)
                report.duplicates += len(params) - len(fresh)
                time.sleep(PUBLISH_PAUSE)
            if progress:
                progress(int(report.file_size * (0.8 + 0.2 * done / max(staged.chunks, 1))),
                         report.file_size, report.rows_read)
        write_first(lambda: _finish(batch_id, accumulator, report))
    except BaseException:
        _undo(batch_id, report, _("la importación se interrumpió al guardar las filas; se "
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


def _publish_chunk(batch_id: int, params: dict[str, tuple]) -> set[str]:
    """Insert the rows whose submission is not stored yet; the set of those inserted."""

    def work() -> set[str]:
        _defer_checkpoint()
        existing = _existing(list(params))
        fresh = [row for uuid, row in params.items() if uuid not in existing]
        if fresh:
            _bulk_insert(fresh)
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


def _bulk_insert(rows: list[tuple]) -> None:
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


def _reject(wave_id: int, report: ImportReport) -> ImportReport:
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


def _undo(batch_id: int, report: ImportReport | None, reason: str) -> None:
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
        _undo(batch_id, None, _("la importación se interrumpió (el proceso se detuvo); se "
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


# ------------------------------------------------------------------ one submission


def receive_submission(wave_id: int, body: dict[str, Any], *,
                       channel: Channel = Channel.KOBO) -> tuple[str, list[Problem]]:
    """One webhook submission (keys are Kobo xpaths), in the caller's transaction.

    Returns ("created" | "duplicate" | "rejected" | "pending" | "invalid", problems).
    Idempotent on the submission ID; "pending" means an import that is still being
    published holds that submission (the sender should retry later). Future submission
    times are refused; a time outside the wave's period is accepted (the wave is open and
    the officer closes it), unlike a file import.
    """
    wave = db.session.get(Wave, wave_id)
    _check_wave(wave)
    header = list(body)
    cells = [_plain(body[k]) for k in header]
    questions, resolution = plan_columns(wave, header)
    converter = RowConverter(header, resolution.targets, questions,
                             secret=current_app.config["QMS_PSEUDONYM_KEY"], channel=channel,
                             format_time=_time_format())
    missing = converter.missing_columns()
    chunk = converter.convert([(1, cells)])
    if chunk.rejected_in_source:
        return "rejected", []
    if missing or chunk.problems:
        return "invalid", [Problem(None, "", r) for r in missing] + [
            Problem(None, c, r) for _row, c, r in chunk.problems]
    _number, uuid, params, agg = chunk.good[0]
    existing = db.session.execute(select(Response.id, ImportBatch.status).outerjoin(
        ImportBatch, ImportBatch.id == Response.batch_id).where(
        Response.submission_uuid == uuid)).first()
    if existing is not None:
        return ("pending" if existing.status == BatchStatus.IMPORTING else "duplicate"), []
    try:
        with db.session.begin_nested():
            _bulk_insert([(wave.id, None, *params)])
    except IntegrityError:  # a retry of the same submission arrived at the same moment
        return "duplicate", []
    accumulator = Accumulator(wave.id, questions, converter.places, converter.value_tables)
    accumulator.add_rows([agg])
    accumulator.flush()
    return "created", []


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict):  # Kobo's _validation_status: {"uid": "validation_status_…"}
        return str(value.get("uid") or "")
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)
