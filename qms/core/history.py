"""The audit trail as people read it.

An :class:`~qms.core.audit.AuditEvent` stores table names, action codes, column names and
JSON values. :func:`describe` turns a page of events into :class:`Entry` rows: the kind of
record and the step in words (declared beside each model: ``__audit_label__``,
``__audit_actions__``, ``__audit_fields__``), and each changed field with its form label
and its values as the record's pages show them — enum labels, people's names, local dates,
Sí/No, «—» for nothing. Long text (a revision's Markdown) is never dumped: it is summarised
with its length and a line diff. Every record one event points at is resolved with one
query per table for the whole page, never one per row.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, Integer, inspect, select
from sqlalchemy import Enum as SAEnum

from qms.core.audit import RECORD_TYPES, AuditEvent
from qms.core.db import Model, UTCDateTime

#: Steps every record has; a model may rename them in its ``__audit_actions__``.
GENERIC_ACTIONS: dict[str, Any] = {
    "insert": _l("Creación"),
    "update": _l("Modificación"),
    "delete": _l("Eliminación"),
}
#: Labels of the bookkeeping columns most models share.
COMMON_FIELDS: dict[str, Any] = {
    "id": _l("Identificador"),
    "created_at": _l("Fecha de creación"),
    "updated_at": _l("Última modificación"),
}
#: Kept in the trail but not shown: the event carries its own record id and time.
BOOKKEEPING = frozenset(COMMON_FIELDS)
#: Text longer than this, or on several lines, is summarised instead of shown.
LONG_TEXT = 200
#: Lines of a diff shown at most (a whole new procedure can be thousands).
MAX_DIFF_LINES = 400
#: Columns tried, in order, to name a record another one points at.
TITLE_COLUMNS = ("code", "full_name", "original_name", "title", "name", "key")
TRANSITION = "transition:"


# ------------------------------------------------------------------------ labels


def record_type(entity_type: str) -> type | None:
    return RECORD_TYPES.get(entity_type)


def record_type_label(entity_type: str) -> str:
    """«No conformidad» for ``nonconformity``; the table name for an unknown kind."""
    label = getattr(record_type(entity_type), "__audit_label__", None)
    return str(label) if label is not None else entity_type


def state_enum(cls: type | None) -> type | None:
    """The enum of the record's workflow state (its ``status`` column), if it has one."""
    column = _column(cls, "status") if cls is not None else None
    return getattr(column.type, "enum_class", None) if column is not None else None


def lazy_action_label_of(cls: type | None, action: str) -> Any:
    """The lazy label of a step of this kind of record, or None when nothing names it.

    ``transition:<state>`` is named after the state's label in the record's *own*
    state enum, so a survey wave's closing says «Cerrada» as a wave, not as an NC.
    """
    declared = getattr(cls, "__audit_actions__", {})
    if action in declared:
        return declared[action]
    if action in GENERIC_ACTIONS:
        return GENERIC_ACTIONS[action]
    if action.startswith(TRANSITION) and (states := state_enum(cls)) is not None:
        try:
            state = states(action.removeprefix(TRANSITION))
        except ValueError:
            return None
        return _l("Pasa a «%(state)s»", state=state.lazy_label)
    return None


def lazy_field_label_of(cls: type | None, key: str) -> Any:
    return getattr(cls, "__audit_fields__", {}).get(key) or COMMON_FIELDS.get(key)


def action_label(entity_type: str, action: str) -> str:
    label = lazy_action_label_of(record_type(entity_type), action)
    return str(label) if label is not None else action


def field_label(entity_type: str, key: str) -> str:
    label = lazy_field_label_of(record_type(entity_type), key)
    return str(label) if label is not None else key


# ----------------------------------------------------------------------- entries


@dataclass(frozen=True)
class DiffLine:
    #: "add", "del", "same" or "hunk" (a «…» between distant changes).
    kind: str
    text: str


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    before: str
    after: str
    #: False on a creation (only the first value) or a deletion (only the last).
    has_before: bool = True
    has_after: bool = True
    #: Long text: shown as its length and a diff, never in full.
    long: bool = False
    size_before: int = 0
    size_after: int = 0
    diff: tuple[DiffLine, ...] = ()


@dataclass(frozen=True)
class Entry:
    event: AuditEvent
    record_label: str
    record_title: str
    action_label: str
    actor: str
    changes: list[Change] = field(default_factory=list)
    note: str | None = None
    #: A note written as a JSON object (an import summary), as (label, value) pairs.
    note_fields: list[tuple[str, str]] = field(default_factory=list)

    @property
    def when(self) -> datetime:
        return self.event.occurred_at

    @property
    def action(self) -> str:
        return self.event.action

    @property
    def entity_type(self) -> str:
        return self.event.entity_type


def describe(events: Iterable[AuditEvent], hide: Iterable[str] = ()) -> list[Entry]:
    """Readable entries for ``events`` (in the order given); ``hide`` drops more columns."""
    events = list(events)
    hidden = BOOKKEEPING | set(hide)
    titles = _Titles(events)
    return [_entry(event, titles, hidden) for event in events]


def _entry(event: AuditEvent, titles: _Titles, hidden: frozenset[str] | set[str]) -> Entry:
    kind = event.entity_type
    note, note_fields = _note(kind, event.note)
    return Entry(
        event=event,
        record_label=titles.label(record_type_label, kind),
        record_title=titles.record(kind, event.entity_id),
        action_label=titles.label(action_label, kind, event.action),
        actor=titles.actor(event),
        changes=_changes(event, titles, hidden),
        note=note,
        note_fields=note_fields,
    )


def _changes(event: AuditEvent, titles: _Titles, hidden) -> list[Change]:
    before, after = event.before or {}, event.after or {}
    kind = event.entity_type
    if event.before is None or event.after is None:  # a creation or a deletion
        values = after or before
        keys = [k for k in values if k not in hidden and not _empty(values[k])]
    else:
        keys = [k for k in after if k not in hidden]
    return [_change(kind, key, before, after, event, titles) for key in keys]


def _change(kind: str, key: str, before: dict, after: dict, event: AuditEvent,
            titles: _Titles) -> Change:
    old = titles.show(kind, key, before.get(key))
    new = titles.show(kind, key, after.get(key))
    has_before, has_after = event.before is not None, event.after is not None
    label = titles.label(field_label, kind, key)
    if not (_is_long(old) or _is_long(new)):
        return Change(key, label, old, new, has_before, has_after)
    old_text = old if has_before and not _empty(before.get(key)) else ""
    new_text = new if has_after and not _empty(after.get(key)) else ""
    return Change(key, label, old, new, has_before, has_after, long=True,
                  size_before=len(old_text), size_after=len(new_text),
                  diff=line_diff(old_text, new_text))


def _note(kind: str, note: str | None) -> tuple[str | None, list[tuple[str, str]]]:
    if not note or not note.startswith("{"):
        return note, []
    try:
        data = json.loads(note)
    except ValueError:
        return note, []
    if not isinstance(data, dict):
        return note, []
    labels = getattr(record_type(kind), "__audit_note_fields__", {})
    return None, [(str(labels.get(k, k)), _plain(v)) for k, v in data.items()]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _is_long(text: str) -> bool:
    return len(text) > LONG_TEXT or "\n" in text


def line_diff(before: str, after: str, context: int = 1) -> tuple[DiffLine, ...]:
    """The lines that changed between two texts, with ``context`` lines around them."""
    lines: list[DiffLine] = []
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=context)
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        if len(lines) >= MAX_DIFF_LINES:
            lines.append(DiffLine("hunk", _("… (diferencia truncada)")))
            break
        if line.startswith("@@"):
            if lines:
                lines.append(DiffLine("hunk", "…"))
            continue
        kind = {"+": "add", "-": "del"}.get(line[:1], "same")
        lines.append(DiffLine(kind, line[1:]))
    return tuple(lines)


# ------------------------------------------------------------------------ values


def _column(cls: type | None, key: str):
    if cls is None:
        return None
    attr = inspect(cls).column_attrs.get(key)
    return attr.columns[0] if attr is not None else None


def _referenced_table(column) -> str | None:
    for fk in getattr(column, "foreign_keys", ()):
        return fk.column.table.name
    return None


def _plain(value: Any) -> str:
    if _empty(value):
        return "—"
    if isinstance(value, bool):
        return _("Sí") if value else _("No")
    if isinstance(value, float):
        return format_decimal(value)
    if isinstance(value, list):  # short lists inline; long ones a line per item, to diff
        items = [_plain(v) for v in value]
        inline = "; ".join(items)
        return inline if len(inline) <= LONG_TEXT else "\n".join(items)
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _show_typed(column, value: Any) -> str | None:
    kind = column.type
    if isinstance(kind, SAEnum) and kind.enum_class is not None:
        try:
            return kind.enum_class(value).label
        except ValueError:
            return str(value)
    if isinstance(kind, UTCDateTime) and isinstance(value, str):
        return format_datetime(datetime.fromisoformat(value), "medium")
    if isinstance(kind, Date) and isinstance(value, str):
        return format_date(date.fromisoformat(value[:10]), "medium")
    if isinstance(kind, Boolean):
        return _("Sí") if value else _("No")
    return None


class _Titles:
    """Names of the records and people a page of events points at, one query per table."""

    def __init__(self, events: Sequence[AuditEvent]) -> None:
        wanted: dict[str, set[Any]] = defaultdict(set)
        for event in events:
            wanted["user"].add(event.actor_id)
            wanted[event.entity_type].add(event.entity_id)
            cls = record_type(event.entity_type)
            for values in (event.before or {}, event.after or {}):
                for key, value in values.items():
                    table = _referenced_table(_column(cls, key))
                    if table and value is not None:
                        wanted[table].add(value)
        self._titles = {table: _load_titles(table, ids) for table, ids in wanted.items()}
        self._labels: dict[tuple, str] = {}

    def label(self, func: Any, *args: str) -> str:
        """``func(*args)`` (a record type's, action's or field's label) once per page of
        events: resolving a lazy label costs a translation lookup, and an export of the
        trail asks for the same few hundred labels hundreds of thousands of times."""
        key = (func, *args)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = func(*args)
        return found

    def title(self, table: str, value: Any) -> str | None:
        return self._titles.get(table, {}).get(str(value))

    def record(self, kind: str, entity_id: str) -> str:
        return self.title(kind, entity_id) or f"#{entity_id}"

    def actor(self, event: AuditEvent) -> str:
        if event.actor_id is not None:
            return self.title("user", event.actor_id) or event.actor_label
        return {"system": _("Sistema"), "anonymous": _("Persona anónima")}.get(
            event.actor_label, event.actor_label)

    def show(self, kind: str, key: str, value: Any) -> str:
        """A stored value as the record's pages show it."""
        cls = record_type(kind)
        if value == "***" and key in getattr(cls, "__audit_redact__", ()):
            return _("(oculto)")
        if value is None or value == "":
            return "—"
        formats = getattr(cls, "__audit_formats__", {})
        if key in formats:
            return formats[key](value)
        column = _column(cls, key)
        if column is None:
            return _plain(value)
        table = _referenced_table(column)
        if table:
            return self.title(table, value) or f"#{value}"
        shown = _show_typed(column, value)
        return shown if shown is not None else _plain(value)


def _model_for(table: str) -> type | None:
    cls = RECORD_TYPES.get(table)
    if cls is not None:
        return cls
    for mapper in Model.registry.mappers:
        if mapper.local_table is not None and mapper.local_table.name == table:
            return mapper.class_
    return None


def _load_titles(table: str, ids: set[Any]) -> dict[str, str]:
    """{str(primary key): title} for the rows of ``table`` among ``ids``."""
    from qms.extensions import db

    cls = _model_for(table)
    ids = {i for i in ids if i is not None}
    if cls is None or not ids:
        return {}
    mapper = inspect(cls)
    if len(mapper.primary_key) != 1:
        return {}
    pk = mapper.primary_key[0]
    name = getattr(cls, "__audit_title__", None) or next(
        (c for c in TITLE_COLUMNS if c in mapper.columns), None)
    if name is None:
        return {}
    numeric = isinstance(pk.type, Integer)
    keys = {int(i) if numeric else str(i) for i in ids if not numeric or str(i).isdigit()}
    rows = db.session.execute(select(pk, mapper.columns[name]).where(pk.in_(keys)))
    return {str(key): str(title) for key, title in rows}
