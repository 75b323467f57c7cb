"""The whole story of an NC: its audit-trail events and those of its parts, in order.

Titles and changed fields come from the same declarations as every other history
(``__audit_actions__``/``__audit_fields__`` on the models, read by
:mod:`qms.core.history`); this module only gathers the events of the NC's parts and
says which part a step belongs to ("AC-2", "ronda 1").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from qms.core.audit import AuditEvent
from qms.core.history import Change, Entry, describe
from qms.extensions import db
from qms.nonconformities.models import Nonconformity

#: Columns the NC's page already shows around the timeline (its code, the part's round).
HIDDEN = {"nc_id", "year", "number", "round", "action_id", "verification_id"}


@dataclass(frozen=True)
class Step:
    entry: Entry
    title: str

    @property
    def kind(self) -> str:
        return self.entry.entity_type

    @property
    def when(self) -> datetime:
        return self.entry.when

    @property
    def actor(self) -> str:
        return self.entry.actor

    @property
    def note(self) -> str | None:
        return self.entry.note

    @property
    def changes(self) -> list[Change]:
        return self.entry.changes


def _children(nc: Nonconformity) -> dict[str, dict[str, object]]:
    return {
        "nc_analysis": {str(a.id): a for a in nc.analyses},
        "corrective_action": {str(a.id): a for a in nc.actions},
        "nc_verification": {str(v.id): v for v in nc.verifications},
        "nc_attachment": {str(f.id): f for f in nc.attachments},
    }


def _subject(kind: str, obj) -> str | None:
    """Which part of the NC a step belongs to, when the NC has several of that kind."""
    if obj is None:
        return None
    if kind == "corrective_action":
        return obj.label
    if kind == "nc_analysis":
        return _("Ronda %(n)s", n=obj.round)
    if kind == "nc_attachment":
        return obj.stored.original_name
    return None


def timeline(nc: Nonconformity) -> list[Step]:
    children = _children(nc)
    clauses = [and_(AuditEvent.entity_type == "nonconformity",
                    AuditEvent.entity_id == str(nc.id))]
    clauses += [and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(list(rows)))
                for kind, rows in children.items() if rows]
    events = db.session.scalars(select(AuditEvent).where(or_(*clauses)).order_by(AuditEvent.id))
    steps: list[Step] = []
    for entry in describe(events, hide=HIDDEN):
        if entry.action == "update" and not entry.changes and not entry.note:
            continue  # only bookkeeping columns moved
        subject = _subject(entry.entity_type,
                           children.get(entry.entity_type, {}).get(entry.event.entity_id))
        title = f"{subject} · {entry.action_label}" if subject else entry.action_label
        steps.append(Step(entry=entry, title=title))
    return steps
