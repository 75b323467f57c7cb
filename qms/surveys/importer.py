"""Importing a KoboToolbox / ODK export into a wave, in one transaction per batch.

:func:`import_file` streams the rows, converts and checks each one, inserts the good ones
in chunks, dedupes on the submission UUID and adds the aggregates — all in the caller's
transaction. When a row is bad and ``skip_invalid`` is off it raises
:class:`ImportRejected` after reading the whole file (so the report names every bad row);
the boundary rolls back and records the rejected attempt with :func:`record_rejected`.
A crash or a kill before the commit leaves nothing behind: there is one transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from qms.core import audit
from qms.core.db import now_utc
from qms.core.errors import ServiceError, ValidationError
from qms.extensions import db
from qms.surveys import columns as cols
from qms.surveys.aggregates import Accumulator
from qms.surveys.models import BatchStatus, Channel, ImportBatch, Response, Wave, WaveStatus
from qms.surveys.reader import FileProblem, open_table

CHUNK = 2000
#: Problems kept in the batch record and shown in the UI; counts stay exact.
MAX_KEPT_PROBLEMS = 1000

Progress = Callable[[int, int, int], None]  # (bytes read, total bytes, rows read)


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
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    invalid: int = 0
    rejected_in_source: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    #: Columns nobody mapped: ignored, listed so the officer can map them next time.
    unknown_columns: list[str] = field(default_factory=list)
    #: A problem with the file as a whole (wrong type, missing column, truncated).
    file_problem: str | None = None
    batch_id: int | None = None
    started_at: Any = None

    def add_problem(self, row: int | None, column: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(Problem(row, column, reason))

    @property
    def accepted(self) -> bool:
        return self.file_problem is None and (self.invalid == 0 or self.skip_invalid)

    def summary(self) -> dict[str, Any]:
        return {"file": self.file_name, "sha256": self.file_sha256, "format": self.file_format,
                "rows_read": self.rows_read, "imported": self.imported,
                "duplicates": self.duplicates, "invalid": self.invalid,
                "rejected_in_source": self.rejected_in_source,
                "skip_invalid": self.skip_invalid}


class ImportRejected(ServiceError):
    """Bad rows (or a bad file) and ``skip_invalid`` off: nothing may be imported."""

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
    targets, unknown = cols.resolve(header, questions, saved)
    return questions, targets, unknown


@contextlib.contextmanager
def _large_page_cache():
    """SQLite: a 64 MB page cache while importing. The unique submission index takes
    random keys, and with the default 2 MB cache every insert goes to the OS for pages."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql("PRAGMA cache_size=-65536")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")


def import_file(wave: Wave, path: Path | str, *, file_name: str, skip_invalid: bool = False,
                mapping: dict[str, str] | None = None, channel: Channel = Channel.KOBO,
                progress: Progress | None = None, chunk_size: int = CHUNK) -> ImportReport:
    """Import ``path`` into ``wave`` in the current transaction (the caller commits)."""
    _check_wave(wave)
    report = ImportReport(file_name=file_name[:255], skip_invalid=skip_invalid,
                          started_at=now_utc())
    path = Path(path)
    report.file_size = path.stat().st_size
    report.file_sha256 = file_sha256(path)
    try:
        table = open_table(path)
    except FileProblem as exc:
        report.file_problem = str(exc.message)
        report.add_problem(exc.row, "", report.file_problem)
        raise ImportRejected(report) from None
    try:
        report.file_format = table.description
        questions, targets, unknown = plan_columns(wave, table.header, mapping)
        report.unknown_columns = unknown
        converter = cols.RowConverter(table.header, targets, questions,
                                      secret=current_app.config["QMS_PSEUDONYM_KEY"],
                                      channel=channel)
        missing = converter.missing_columns()
        if missing:
            for reason in missing:
                report.add_problem(1, "", reason)
            report.file_problem = "; ".join(missing)
            raise ImportRejected(report)
        batch = ImportBatch(wave_id=wave.id, status=BatchStatus.IMPORTED,
                            file_name=report.file_name, file_sha256=report.file_sha256,
                            file_size=report.file_size, file_format=report.file_format,
                            skip_invalid=skip_invalid, started_at=report.started_at,
                            finished_at=report.started_at, actor_id=audit.current_actor().id)
        db.session.add(batch)
        db.session.flush()
        with _large_page_cache():
            _stream(table, converter, report, Accumulator(wave.id, questions), wave.id,
                    batch.id, progress, chunk_size)
    finally:
        table.close()
    if not report.accepted:
        raise ImportRejected(report)
    _finish(batch, report)
    return report


def _stream(table, converter, report, accumulator, wave_id, batch_id, progress, chunk_size):
    pending: dict[str, dict] = {}
    inserting = True
    try:
        for number, cells in table.rows:
            report.rows_read += 1
            result = converter.convert(cells)
            if result.rejected:
                report.rejected_in_source += 1
                continue
            if result.problems:
                report.invalid += 1
                for column, reason in result.problems:
                    report.add_problem(number, column, reason)
                inserting = inserting and report.skip_invalid
                continue
            if not inserting:
                continue
            if result.uuid in pending:
                report.duplicates += 1
                continue
            result.record.update(wave_id=wave_id, batch_id=batch_id)
            pending[result.uuid] = result.record
            if len(pending) >= chunk_size:
                _insert_chunk(pending, report, accumulator)
                pending = {}
                if progress:
                    progress(table.position(), table.size, report.rows_read)
    except FileProblem as exc:
        report.invalid += 1
        report.add_problem(exc.row, "", str(exc.message))
        if not report.skip_invalid:
            inserting = False
    if inserting and pending:
        _insert_chunk(pending, report, accumulator)
    if inserting:
        accumulator.flush()
    if progress:
        progress(table.size, table.size, report.rows_read)


def _insert_chunk(pending: dict[str, dict], report: ImportReport, accumulator) -> None:
    existing = set(db.session.scalars(
        select(Response.submission_uuid).where(Response.submission_uuid.in_(list(pending)))))
    rows = [record for uuid, record in pending.items() if uuid not in existing]
    report.duplicates += len(pending) - len(rows)
    if rows:
        bulk_insert(Response.__table__, rows)
        for record in rows:
            accumulator.add(record)
    report.imported += len(rows)


_RESPONSE_COLUMNS = ("wave_id", "batch_id", "submission_uuid", "beneficiary_key",
                     "department_code", "municipality_code", "channel", "submitted_at", "answers")


def bulk_insert(table, rows: list[dict], columns: tuple[str, ...] = _RESPONSE_COLUMNS) -> None:
    """executemany straight to the driver, with the columns' own bind processors.

    The same rows through ``connection.execute(insert(table), rows)`` spend most of their
    time in SQLAlchemy's per-row parameter handling (3× the database's own time at 200,000
    rows); here the statement is compiled once for the dialect and the values converted by
    the very processors SQLAlchemy would use, so SQLite and PostgreSQL store the same thing.
    """
    connection = db.session.connection()
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    processors = {c: table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
                  for c in columns}
    order = list(compiled.positiontup) if compiled.positional else list(columns)
    converters = [(name, processors[name]) for name in order]
    values = [[(p(row[name]) if p else row[name]) for name, p in converters] for row in rows]
    if compiled.positional:
        params = [tuple(v) for v in values]
    else:
        params = [dict(zip(order, v, strict=True)) for v in values]
    connection.exec_driver_sql(str(compiled), params)


def _finish(batch: ImportBatch, report: ImportReport) -> None:
    batch.rows_read = report.rows_read
    batch.rows_imported = report.imported
    batch.rows_duplicate = report.duplicates
    batch.rows_invalid = report.invalid
    batch.rows_rejected = report.rejected_in_source
    batch.problems = [p.as_dict() for p in report.problems]
    batch.finished_at = now_utc()
    db.session.flush()
    report.batch_id = batch.id
    audit.record(db.session, batch, "import", json.dumps(report.summary(), ensure_ascii=False))


def record_rejected(wave: Wave, report: ImportReport) -> ImportBatch:
    """After the rollback: keep a trace of the refused attempt (no responses)."""
    batch = ImportBatch(wave_id=wave.id, status=BatchStatus.REJECTED,
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
    report.batch_id = batch.id
    summary = {**report.summary(), "imported": 0, "problems": report.problem_count}
    audit.record(db.session, batch, "import_rejected", json.dumps(summary, ensure_ascii=False))
    return batch


def import_record(wave: Wave, body: dict[str, Any], *, channel: Channel = Channel.KOBO):
    """One webhook submission (keys are Kobo xpaths). Returns ("created"|"duplicate", problems).

    Idempotent on the submission UUID; updates the aggregates in the same transaction.
    """
    _check_wave(wave)
    header = list(body)
    cells = [_plain(body[k]) for k in header]
    questions, targets, _unknown = plan_columns(wave, header)
    converter = cols.RowConverter(header, targets, questions,
                                  secret=current_app.config["QMS_PSEUDONYM_KEY"], channel=channel)
    result = converter.convert(cells)
    if result.rejected:
        return "rejected", []
    if result.problems or not result.uuid:
        problems = [Problem(None, c, r) for c, r in result.problems] or [
            Problem(None, "_uuid", _("falta el identificador de envío"))]
        return "invalid", problems
    exists = db.session.scalar(select(Response.id).where(
        Response.submission_uuid == result.uuid))
    if exists is not None:
        return "duplicate", []
    result.record.update(wave_id=wave.id, batch_id=None)
    try:
        with db.session.begin_nested():
            db.session.connection().execute(insert(Response.__table__), [result.record])
    except IntegrityError:  # a retry of the same submission arrived at the same moment
        return "duplicate", []
    accumulator = Accumulator(wave.id, questions)
    accumulator.add(result.record)
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
