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
2. **Publish** — :mod:`qms.surveys.publishing` inserts the staged rows in short
   write-first transactions and adds the aggregates in the last one; the batch's rows are
   invisible until then, and a failure (or a killed process) is undone.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qms.core.db import now_utc
from qms.core.errors import ServiceError, ValidationError
from qms.core.time import local_zone
from qms.extensions import db
from qms.surveys import columns as cols
from qms.surveys import publishing
from qms.surveys.aggregates import Accumulator
from qms.surveys.models import BatchStatus, Channel, ImportBatch, Response, Wave, WaveStatus
from qms.surveys.reader import FileProblem, open_table
from qms.surveys.rows import Period, RowConverter

#: Rows converted at a time while staging.
CHUNK = 5000
#: Problems kept in the batch record and shown in the UI; counts stay exact.
MAX_KEPT_PROBLEMS = 1000

Progress = Callable[[int, int, int], None]  # (work done, total work, rows read)



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
    publishing.recover_interrupted()
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
            return publishing.reject(wave_id, report)
        publishing.publish(wave_id, stage, staging, report, progress)
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
            allow_outside_period=report.allow_outside_period, format_time=publishing.time_format())
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
        except FileProblem as exc:
            if exc.whole_file:
                report.refuse(str(exc.message), exc.row)
            else:  # the rows before the damage are kept
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
        publishing.write_staged(out, keep)
        staged.chunks += 1


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
                             format_time=publishing.time_format())
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
            publishing.bulk_insert([(wave.id, None, *params)])
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
