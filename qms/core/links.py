"""The page of a record, for any record the audit trail names, without core knowing domains.

A model says where its record is shown, beside its columns::

    __record_url__ = RecordUrl("nonconformities.detail", nc_id="id")       # its own page
    __record_url__ = RecordUrl("nonconformities.detail", nc_id="nc_id")    # its parent's

Each keyword is a URL argument of the endpoint and the column that gives its value. A kind
of record whose page needs more than columns registers a builder instead
(:func:`register_record_url`). :func:`record_urls` resolves a whole page of events with one
query per kind of record, and gives no link for a record that no longer exists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from flask import url_for
from sqlalchemy import inspect, select
from werkzeug.routing import BuildError

from qms.core.audit import RECORD_TYPES
from qms.extensions import db

#: entity_type → builder(entity ids) returning {entity id: URL} for those that exist.
Builder = Callable[[Collection[str]], dict[str, str]]
_BUILDERS: dict[str, Builder] = {}


@dataclass(frozen=True)
class RecordUrl:
    """Endpoint of the page that shows a record, and the columns its arguments come from."""

    endpoint: str
    arguments: dict[str, str] = field(default_factory=dict)
    #: The page's anchor for the record (``accion-{id}``), formatted with its columns.
    anchor: str | None = None

    def __init__(self, endpoint: str, anchor: str | None = None, **arguments: str) -> None:
        object.__setattr__(self, "endpoint", endpoint)
        object.__setattr__(self, "arguments", arguments)
        object.__setattr__(self, "anchor", anchor)


def register_record_url(entity_type: str, builder: Builder) -> None:
    """For a kind of record whose page a ``RecordUrl`` cannot describe."""
    _BUILDERS[entity_type] = builder


def _declared_builder(model: type, spec: RecordUrl) -> Builder:
    pk = inspect(model).primary_key
    if len(pk) != 1:
        raise TypeError(f"{model.__name__}: RecordUrl needs a single-column primary key")
    key = pk[0]

    def build(ids: Collection[str]) -> dict[str, str]:
        wanted = [int(i) for i in ids if i.isdigit()] if key.type.python_type is int else \
            list(ids)
        if not wanted:
            return {}
        columns = sorted(set(spec.arguments.values()))
        rows = db.session.execute(
            select(key, *(model.__table__.c[c] for c in columns)).where(key.in_(wanted))
        ).all()
        urls = {}
        for row in rows:
            values = dict(zip(columns, row[1:], strict=True))
            if any(values[c] is None for c in spec.arguments.values()):
                continue
            try:
                url = url_for(spec.endpoint, **{a: values[c] for a, c in spec.arguments.items()})
            except BuildError:
                continue
            if spec.anchor:
                url += "#" + spec.anchor.format(id=row[0], **values)
            urls[str(row[0])] = url
        return urls

    return build


def builder_for(entity_type: str) -> Builder | None:
    if entity_type in _BUILDERS:
        return _BUILDERS[entity_type]
    model = RECORD_TYPES.get(entity_type)
    spec = getattr(model, "__record_url__", None)
    return _declared_builder(model, spec) if spec is not None else None


def record_urls(records: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """``{(entity_type, entity_id): URL}`` for those records that have a page and exist."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for entity_type, entity_id in records:
        by_type[entity_type].add(str(entity_id))
    found: dict[tuple[str, str], str] = {}
    for entity_type, ids in by_type.items():
        builder = builder_for(entity_type)
        if builder is None:
            continue
        for entity_id, url in builder(ids).items():
            found[(entity_type, entity_id)] = url
    return found


def record_url(entity_type: str, entity_id: str) -> str | None:
    return record_urls([(entity_type, entity_id)]).get((entity_type, str(entity_id)))
