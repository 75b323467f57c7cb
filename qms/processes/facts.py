"""Facts about processes that other domains may read (plain data, no models).

Readers of many domains — reminders, management reviews, evidence packs, the portal,
audit programmes — import a domain's ``facts`` module, never its models or views, so a
change inside the domain stays inside it. Each function returns frozen dataclasses or
plain values.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from qms.extensions import db
from qms.processes.models import Process


@dataclass(frozen=True)
class ProcessFact:
    id: int
    code: str
    name: str
    category: str
    owner_id: int


def active_processes() -> list[ProcessFact]:
    """The active processes, by code."""
    rows = db.session.execute(
        select(Process.id, Process.code, Process.name, Process.category, Process.owner_id)
        .where(Process.active.is_(True)).order_by(Process.code))
    return [ProcessFact(r.id, r.code, r.name, r.category.value, r.owner_id) for r in rows]


def process_choices(*, keep: int | None = None) -> list:
    """The active processes as choices for a select field (the id, labelled "CODE · Name"),
    by code.

    ``keep`` (the process a record names today) stays selectable even if it was made
    inactive, so editing the record does not silently move it to another process.
    """
    condition = Process.active.is_(True)
    if keep is not None:
        condition = condition | (Process.id == keep)
    from wtforms.fields.choices import SelectChoice

    rows = db.session.execute(select(Process.id, Process.code, Process.name)
                              .where(condition).order_by(Process.code))
    return [SelectChoice(r.id, f"{r.code} · {r.name}") for r in rows]
