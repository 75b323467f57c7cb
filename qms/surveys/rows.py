"""Rows of an export (or one webhook body) → response records, a chunk at a time.

:class:`RowConverter` is built once per import from the resolved columns. It converts a
chunk of rows column by column: each column's distinct texts are parsed once (a Likert
column has six), so a 200,000-row file costs a few dictionary look-ups per cell. Every
problem is collected with its row and column; a row with any problem is not stored.

What a row must satisfy, beyond its answers: as many cells as the header (a ragged row
means shifted columns), a submission ID, a known place (codes, or names resolved within
the department through the programme's name variants), and a submission time that is
not in the future; a time outside the wave's period is refused unless the import allows
it (then it is counted and the audit event says so). Those context columns are
:mod:`qms.surveys.row_context`.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _

from qms.core.db import now_utc
from qms.surveys import values
from qms.surveys.columns import (
    BENEFICIARY,
    DEPARTMENT,
    MUNICIPALITY,
    ROOT_UUID,
    UUID,
    VALIDATION,
)
from qms.surveys.models import Channel, Question, QuestionType
from qms.surveys.row_context import RowContext

MAX_UUID = 64
_REJECTED = {"validation_status_not_approved", "not approved", "no aprobado", "rejected",
             "rechazado"}
_MISSING = object()
_ID = operator.itemgetter(0)
_FRAGMENT = operator.itemgetter(1)


def _iso(moment: datetime) -> str:
    """A naive UTC datetime as ISO 8601 with its offset (what PostgreSQL reads)."""
    return moment.isoformat() + "+00:00"


@dataclass
class Period:
    """The wave's fieldwork dates (local), as UTC bounds."""

    starts_on: date
    ends_on: date
    zone: Any

    def __post_init__(self) -> None:  # naive UTC, as values.parse_utc returns
        self.start = datetime.combine(self.starts_on, time.min, self.zone).astimezone(
            UTC).replace(tzinfo=None)
        self.end = datetime.combine(self.ends_on + timedelta(days=1), time.min,
                                    self.zone).astimezone(UTC).replace(tzinfo=None)


@dataclass
class Chunk:
    """What a chunk of rows became."""

    #: (row number, submission ID, insert parameters, aggregate values) per good row.
    #: Parameters: (uuid, beneficiary key, department, municipality, channel, submitted
    #: at, answers JSON); aggregate values: (place id << PLACE_SHIFT, *answer value ids),
    #: see :class:`qms.surveys.aggregates.Accumulator`.
    good: list[tuple[int, str, tuple, tuple]] = field(default_factory=list)
    #: (row number, column, reason)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    invalid: int = 0
    rejected_in_source: int = 0
    #: Good rows whose submission time lies outside the wave's period (allowed).
    outside_period: list[int] = field(default_factory=list)
    #: Rows refused because of such a time (the import did not allow it).
    outside_refused: int = 0


@dataclass
class _Question:
    question: Question
    parse: Callable[[str], Any]
    #: The summary column (space-separated choices, or the only column), or None.
    column: int | None
    #: {choice code: column} of per-option 1/0 columns (select-multiple only).
    options: dict[str, int]
    header: str
    #: {cell text: (value id, JSON fragment, problem)}
    cache: dict = field(default_factory=dict)
    #: Value id → value (0 = no answer), for the aggregates; and value → id.
    table: list = field(default_factory=lambda: [None])
    ids: dict = field(default_factory=dict)


class RowConverter(RowContext):
    """Turns rows into response records, collecting every problem with row and column."""

    def __init__(self, header: list[str], targets: list[str | None],
                 questions: Sequence[Question], *, secret: str,
                 channel: Channel = Channel.KOBO, period: Period | None = None,
                 allow_outside_period: bool = False,
                 format_time: Callable[[datetime], Any] = _iso) -> None:
        self.header = header
        self.width = len(header)
        self.secret = secret.encode()
        self.channel = channel
        self.period = period
        self.allow_outside_period = allow_outside_period
        self.format_time = format_time
        self.now = now_utc()
        self.fields: dict[str, list[int]] = {}
        for index, target in enumerate(targets):
            if target and target.startswith("_"):
                self.fields.setdefault(target, []).append(index)
        self.plans: list[_Question] = []
        for q in questions:
            column = next((i for i, t in enumerate(targets) if t == q.code), None)
            options = {t.split("/", 1)[1]: i for i, t in enumerate(targets)
                       if t and t.startswith(q.code + "/")}
            name = header[column] if column is not None else (
                header[next(iter(options.values()))] if options else q.code)
            self.plans.append(_Question(q, values.parser(q), column, options, name))
        self._places: dict[tuple[str, str], tuple] = {}
        #: Place id → place key (municipality code, else department code), for aggregates.
        self.places: list[str] = [""]
        self.value_tables: list[list] = [plan.table for plan in self.plans]
        self._channels: dict[str, Channel] = {}
        self._uuid_columns = self.fields.get(ROOT_UUID, []) + self.fields.get(UUID, [])

    # ------------------------------------------------------------------ file level

    def missing_columns(self) -> list[str]:
        """File-level problems: columns an import cannot do without."""
        problems = []
        if not self._uuid_columns:
            problems.append(_("falta la columna del identificador de envío (_uuid, KEY o "
                              "meta/instanceID)"))
        if DEPARTMENT not in self.fields and MUNICIPALITY not in self.fields:
            problems.append(_("falta la columna del departamento"))
        for plan in self.plans:
            if plan.question.required and plan.column is None and not plan.options:
                problems.append(_("falta la columna de la pregunta obligatoria %(code)s",
                                  code=plan.question.code))
        return problems

    def _name(self, target: str) -> str:
        columns = self.fields.get(target)
        return self.header[columns[0]] if columns else target

    def _first(self, columns: list[tuple[str, ...]], target: str, size: int) -> list[str]:
        """Per row, the first non-empty cell among the columns of ``target``, stripped."""
        indexes = self.fields.get(target, [])
        return self._first_of(columns, indexes, size)

    @staticmethod
    def _first_of(columns, indexes: list[int], size: int) -> list[str]:
        if not indexes:
            return [""] * size
        out = list(map(str.strip, columns[indexes[0]]))
        for index in indexes[1:]:
            out = [a or b.strip() for a, b in zip(out, columns[index], strict=True)]
        return out

    # ------------------------------------------------------------------ rows

    def convert(self, rows: Sequence[tuple[int, Sequence[str]]]) -> Chunk:
        """Convert a chunk. Column by column, so that the per-cell work is a look-up in
        the cache of that column's distinct texts; rows are only assembled at the end."""
        chunk = Chunk()
        width = self.width
        if all(len(cells) == width for _number, cells in rows):
            kept = rows
        else:
            kept = []
            for number, cells in rows:
                if len(cells) == width:
                    kept.append((number, cells))
                    continue
                chunk.invalid += 1
                chunk.problems.append((number, "", _(
                    "la fila tiene %(n)s celdas y el encabezado %(m)s columnas: faltan o "
                    "sobran separadores, y las columnas estarían desplazadas",
                    n=len(cells), m=width)))
        size = len(kept)
        if not size:
            return chunk
        numbers, cells_list = zip(*kept, strict=True)
        columns = list(zip(*cells_list, strict=True))
        bad: dict[int, list[tuple[str, str]]] = {}

        def problem(i: int, column: str, reason: str) -> None:
            bad.setdefault(i, []).append((column, reason))

        uuids = self._uuid_column(columns, size, problem)
        validation = self._first(columns, VALIDATION, size)
        rejected = {i for i, v in enumerate(validation) if v and v.lower() in _REJECTED}
        depts, munis, offsets = self._place_column(columns, size, problem)
        answers = [self._answer_column(plan, columns, size, problem) for plan in self.plans]
        outside: set[int] = set()
        submitted = self._time_column(columns, size, problem, outside)
        keys = self._keys(self._first(columns, BENEFICIARY, size))
        channels = self._channel_column(columns, size)

        fragments = zip(*(frags for _values, frags in answers), strict=True)
        jsons = ["{" + ", ".join(filter(None, row)) + "}" for row in fragments]
        params = zip(uuids, keys, depts, munis, channels, submitted, jsons, strict=True)
        aggs = zip(offsets, *(ids for ids, _frags in answers), strict=True)
        good = zip(numbers, uuids, params, aggs, strict=True)
        if not rejected and not bad and not outside:
            chunk.good = list(good)
            return chunk
        for i, item in enumerate(good):
            if i in rejected:
                chunk.rejected_in_source += 1
            elif i in bad:
                chunk.invalid += 1
                chunk.outside_refused += i in outside
                chunk.problems.extend((numbers[i], c, r) for c, r in bad[i])
            else:
                if i in outside:
                    chunk.outside_period.append(numbers[i])
                chunk.good.append(item)
        return chunk

    # ------------------------------------------------------------------ columns

    def _uuid_column(self, columns, size: int, problem) -> list[str]:
        uuids = self._first_of(columns, self._uuid_columns, size)
        name = self.header[self._uuid_columns[0]] if self._uuid_columns else UUID
        for i, value in enumerate(uuids):
            if value.startswith("uuid:"):
                value = uuids[i] = value[5:].strip()
            if not value:
                problem(i, name, _("falta el identificador de envío"))
            elif len(value) > MAX_UUID:
                problem(i, name, _("identificador de envío de más de %(n)s caracteres",
                                   n=MAX_UUID))
        return uuids

    def _keys(self, beneficiaries: list[str]) -> list[str | None]:
        """The pseudonymous key of each beneficiary ID (see values.pseudonym)."""
        secret, digest, sha256 = self.secret, values.hmac.digest, values.hashlib.sha256
        return [digest(secret, "".join(b.split()).upper().encode(), sha256).hex() if b
                else None for b in beneficiaries]

    def _answer_column(self, plan: _Question, columns, size: int, problem
                       ) -> tuple[list, list[str]]:
        """(value id per row, 0 = none; JSON fragment per row or "") for one question."""
        if plan.options:
            texts: Sequence = list(zip(*(columns[i] for i in plan.options.values()),
                                       columns[plan.column] if plan.column is not None
                                       else [""] * size, strict=True))
            parse = self._options_parser(plan)
        elif plan.column is not None:
            texts = columns[plan.column]
            parse = plan.parse
        else:
            if plan.question.required:
                for i in range(size):
                    problem(i, plan.header, _("falta la respuesta obligatoria"))
            return [0] * size, [""] * size
        cache = plan.cache
        if plan.question.type == QuestionType.TEXT:
            cache.clear()  # free text rarely repeats: keep the cache to one chunk
        prefix = json.dumps(plan.question.code) + ": "
        required = plan.question.required
        distinct = set(texts)
        for text in distinct - cache.keys():
            cache[text] = self._entry(plan, parse, text, prefix)
        if any((reason := cache[t][2]) is not None and (required or reason is not _MISSING)
               for t in distinct):
            for i, text in enumerate(texts):
                reason = cache[text][2]
                if reason is _MISSING:
                    if required:
                        problem(i, plan.header, _("falta la respuesta obligatoria"))
                elif reason is not None:
                    problem(i, plan.header, reason)
        entries = list(map(cache.__getitem__, texts))
        return list(map(_ID, entries)), list(map(_FRAGMENT, entries))

    @staticmethod
    def _entry(plan: _Question, parse, text, prefix: str) -> tuple:
        """(value id, JSON fragment, None) or (0, "", reason | _MISSING)."""
        if isinstance(text, str) and (not text or text.isspace()):
            return (0, "", _MISSING)
        try:
            value = parse(text)
        except values.BadValue as exc:
            return (0, "", str(exc))
        if value is _MISSING:
            return (0, "", _MISSING)
        # Free text is only counted: every text shares one id.
        key = 1 if plan.question.type == QuestionType.TEXT else value
        number = plan.ids.get(key)
        if number is None:
            number = plan.ids[key] = len(plan.table)
            plan.table.append(key)
        return (number, prefix + json.dumps(value), None)

    @staticmethod
    def _options_parser(plan: _Question):
        """Select-multiple with one 1/0 column per option: the option columns decide (the
        summary column, last in the tuple, is read only when every option cell is empty)."""
        codes = list(plan.options)

        def parse(cells: tuple[str, ...]):
            *option_cells, summary = cells
            if not any(cell.strip() for cell in option_cells):
                return plan.parse(summary) if summary.strip() else _MISSING
            chosen = []
            for code, cell in zip(codes, option_cells, strict=True):
                cell = cell.strip()
                if cell in values.OPTION_CHOSEN:
                    chosen.append(code)
                elif cell and cell not in values.OPTION_NOT_CHOSEN:
                    raise values.BadValue(_("valor %(v)s de la opción %(o)s no es 1/0",
                                            v=cell[:20], o=code))
            return tuple(chosen)
        return parse
