"""The sweep (rules → reminders → outbox rows), the daily digests, the inbox, preferences.

The sweep stores every reminder with ``INSERT … ON CONFLICT (key) DO NOTHING``: the key
is the reminder's identity, so a second sweep, or two sweeps at the same moment (threads
on SQLite, processes on PostgreSQL), store it once. The mail of an immediate-delivery
reminder is an outbox row with the same key, inserted the same way in the same
transaction; nothing is sent here. The sender (:mod:`qms.reminders.outbox`) sends
committed rows only.
"""

from __future__ import annotations

import enum
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from qms.auth import facts as auth_facts
from qms.core.db import now_utc
from qms.core.errors import ValidationError
from qms.core.roles import Role
from qms.core.settings import get_setting
from qms.core.time import to_local
from qms.extensions import db
from qms.reminders.models import (
    Delivery,
    MessageKind,
    Notification,
    OutboxMessage,
    OutboxStatus,
    ReminderPreference,
    Stage,
)
from qms.reminders.rules import RULES, Context

#: PostgreSQL advisory lock serialising the digest step of concurrent sweeps.
DIGEST_LOCK_KEY = 0x51_4D_53_D1


class Planned(NamedTuple):
    """A reminder the rules ask for today (stored unless its key exists)."""

    key: str
    user_id: int
    rule: str
    stage: Stage
    record_type: str
    record_id: str
    due_on: date
    params: dict
    link_endpoint: str
    link_values: dict
    delivery: Delivery


@dataclass
class SweepResult:
    today: date
    created: list[Planned] = field(default_factory=list)
    mails: int = 0
    digests: int = 0

    def by_rule(self) -> Counter:
        return Counter((p.rule, p.stage) for p in self.created)


def reminder_key(rule: str, record_type: str, record_id: object, due_on: date, user_id: int,
                 stage: Stage) -> str:
    return f"{rule}:{record_type}:{record_id}:{due_on.isoformat()}:{user_id}:{stage.value}"


def _mail_domain() -> str:
    sender = current_app.config.get("MAIL_SENDER") or "sgc@localhost"
    return sender.rpartition("@")[2] or "localhost"


def message_id_for(key: str, domain: str | None = None) -> str:
    """The Message-ID of the mail with outbox ``key``: the same on every attempt."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}.reminder@{domain or _mail_domain()}>"


# ------------------------------------------------------------------------ planning


def _preferences() -> dict[int, ReminderPreference]:
    return {p.user_id: p for p in db.session.scalars(select(ReminderPreference))}


def _delivery(pref: ReminderPreference | None, rule: str) -> Delivery:
    if pref is None:
        return Delivery.IMMEDIATE
    if rule in (pref.muted_rules or []):
        return Delivery.NONE
    return pref.delivery


def plan(today: date, now: datetime) -> list[Planned]:
    """Every reminder the rules call for on ``today`` (stored or not). Queries: one per
    rule plus three, whatever the number of records."""
    recipients = auth_facts.active_recipients(today)
    prefs = _preferences()
    ctx = Context(today=today, now=now, recipients=recipients)
    escalate_after = int(get_setting("reminders.escalation_days"))
    officers = [u.id for u in recipients.values() if u.role == Role.QUALITY_OFFICER.value]
    planned: dict[str, Planned] = {}
    delivery: dict[tuple[int, str], Delivery] = {}
    for rule in RULES.values():
        before = ctx.days_before(rule.code) if rule.days_before is not None else None
        stages = rule.stages
        for item in rule.func(ctx):
            for stage in stages(item.due_on, today, before, escalate_after):
                targets = item.recipients
                params = item.params
                if stage is Stage.ESCALATED:
                    managers = [m for uid in item.recipients
                                if (p := prefs.get(uid)) and (m := p.manager_id)]
                    targets = [u for u in (*officers, *managers) if u not in item.recipients]
                    params = {**params, "late": (today - item.due_on).days}
                prefix = f"{rule.code}:{item.record_type}:{item.record_id}:{item.due_on.isoformat()}:"
                suffix = f":{stage.value}"
                for uid in (targets if len(targets) < 2 else dict.fromkeys(targets)):
                    if uid not in recipients:
                        continue
                    how = delivery.get((uid, rule.code))
                    if how is None:
                        how = delivery[uid, rule.code] = _delivery(prefs.get(uid), rule.code)
                    key = f"{prefix}{uid}{suffix}"
                    planned[key] = Planned(
                        key, uid, rule.code, stage, item.record_type, str(item.record_id),
                        item.due_on, params, item.link[0], item.link[1], how)
    return list(planned.values())


def _existing_keys(planned: list[Planned]) -> set[str]:
    """Keys already stored, in one query over the planned reminders' dates."""
    if not planned:
        return set()
    earliest = min(p.due_on for p in planned)
    return set(db.session.scalars(select(Notification.key).where(Notification.due_on >= earliest)))


def _insert_ignoring_duplicates(table, rows: list[dict]) -> None:
    """``INSERT … ON CONFLICT (key) DO NOTHING`` as one executemany call.

    The statement is compiled once and the values converted once per column type, then
    handed to the driver: SQLAlchemy's per-row bind processing would cost more than the
    insert itself at 100,000 rows.
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    columns = list(rows[0])
    stmt = insert(table).values({c: bindparam(c) for c in columns}) \
        .on_conflict_do_nothing(index_elements=["key"])
    compiled = stmt.compile(dialect=dialect)
    convert = {c: _memoized(_driver_value(table.c[c].type, dialect)) for c in columns}
    values = [{c: convert[c](row[c]) for c in columns} for row in rows]
    if compiled.positional:
        order = compiled.positiontup
        values = [tuple(v[name] for name in order) for v in values]
    connection.exec_driver_sql(compiled.string, values)


def _memoized(func):
    """Convert each distinct hashable value once (a sweep's dates and times repeat)."""
    cache: dict = {}

    def convert(value):
        try:
            return cache[value]
        except KeyError:
            cache[value] = result = func(value)
            return result
        except TypeError:  # a dict (JSON): not hashable
            return func(value)

    return convert


def _driver_value(type_, dialect):
    """The column type's own bind processor (a TypeDecorator's includes its impl's), applied
    once per value; the compiled SQL carries the casts the dialect needs (``::JSON``)."""
    from sqlalchemy import JSON

    if isinstance(type_, JSON) and dialect.name == "postgresql":  # psycopg adapts it itself
        from psycopg.types.json import Json

        return lambda v: None if v is None else Json(v)
    processor = type_.bind_processor(dialect)
    if processor is None:
        return lambda v: v.value if isinstance(v, enum.Enum) else v
    return processor


def store(planned: list[Planned], now: datetime) -> list[Planned]:
    """Store the reminders not stored yet and the outbox rows of the immediate ones."""
    existing = _existing_keys(planned)
    new = [p for p in planned if p.key not in existing]
    domain = _mail_domain()
    _insert_ignoring_duplicates(Notification.__table__, [{
        "key": p.key, "user_id": p.user_id, "rule": p.rule, "stage": p.stage.value,
        "record_type": p.record_type, "record_id": p.record_id, "due_on": p.due_on,
        "params": p.params, "link_endpoint": p.link_endpoint, "link_values": p.link_values,
        "delivery": p.delivery.value, "created_at": now} for p in new])
    _insert_ignoring_duplicates(OutboxMessage.__table__, [{
        "key": p.key, "message_id": message_id_for(p.key, domain),
        "kind": MessageKind.SINGLE.value,
        "user_id": p.user_id, "status": OutboxStatus.PENDING.value, "attempts": 0,
        "next_attempt_at": now, "created_at": now}
        for p in new if p.delivery is Delivery.IMMEDIATE])
    return new


def queue_digests(now: datetime) -> int:
    """Once a day, after the digest hour, one outbox row per digest user with undigested
    reminders; the reminders point at it. Returns the number of digests queued."""
    local = to_local(now)
    if local.hour < int(get_setting("reminders.digest_hour")):
        return 0
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": DIGEST_LOCK_KEY})
    waiting = set(db.session.scalars(
        select(Notification.user_id).where(Notification.delivery == Delivery.DIGEST,
                                           Notification.digest_id.is_(None)).distinct()))
    day = local.date().isoformat()
    keys = {uid: f"digest:{uid}:{day}" for uid in waiting}
    done = set(db.session.scalars(select(OutboxMessage.key).where(
        OutboxMessage.kind == MessageKind.DIGEST, OutboxMessage.key.like(f"digest:%:{day}"))))
    todo = {uid: key for uid, key in keys.items() if key not in done}
    if not todo:
        return 0
    _insert_ignoring_duplicates(OutboxMessage.__table__, [{
        "key": key, "message_id": message_id_for(key), "kind": MessageKind.DIGEST.value,
        "user_id": uid, "status": OutboxStatus.PENDING.value, "attempts": 0,
        "next_attempt_at": now, "created_at": now} for uid, key in todo.items()])
    ids = dict(db.session.execute(select(OutboxMessage.key, OutboxMessage.id).where(
        OutboxMessage.key.in_(list(todo.values())))).all())
    table = Notification.__table__
    db.session.execute(
        update(table).where(table.c.user_id == bindparam("uid"),
                            table.c.delivery == Delivery.DIGEST.value, table.c.digest_id.is_(None))
        .values(digest_id=bindparam("did")),
        [{"uid": uid, "did": ids[key]} for uid, key in todo.items()])
    return len(todo)


def sweep(today: date, now: datetime | None = None, *, dry_run: bool = False) -> SweepResult:
    """Evaluate every rule for ``today``; store new reminders and queue their mail.

    Flushes only; the caller's unit of work commits (and a dry run rolls back).
    """
    now = now or now_utc()
    planned = plan(today, now)
    result = SweepResult(today)
    if dry_run:
        existing = _existing_keys(planned)
        result.created = [p for p in planned if p.key not in existing]
        result.mails = sum(p.delivery is Delivery.IMMEDIATE for p in result.created)
        return result
    result.created = store(planned, now)
    result.mails = sum(p.delivery is Delivery.IMMEDIATE for p in result.created)
    result.digests = queue_digests(now)
    return result


# ---------------------------------------------------------------------------- inbox


def inbox_query(user_id: int, *, unread_only: bool = False):
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                          Notification.id.desc())


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(user_id: int, notification_id: int) -> Notification:
    """Mark one of ``user_id``'s notifications read (another user's is not found)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise LookupError(notification_id)
    if notification.read_at is None:
        notification.read_at = now_utc()
        db.session.flush()
    return notification


def mark_all_read(user_id: int) -> int:
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now_utc()))
    return result.rowcount or 0


# ---------------------------------------------------------------------- preferences


def preference(user_id: int) -> ReminderPreference:
    """The user's stored preferences, or an unsaved row with the defaults."""
    return db.session.get(ReminderPreference, user_id) or ReminderPreference(
        user_id=user_id, delivery=Delivery.IMMEDIATE, muted_rules=[])


def _stored_preference(user_id: int) -> ReminderPreference:
    pref = db.session.get(ReminderPreference, user_id)
    if pref is None:
        pref = ReminderPreference(user_id=user_id, delivery=Delivery.IMMEDIATE, muted_rules=[])
        db.session.add(pref)
    return pref


def update_preferences(user_id: int, *, delivery: Delivery | str, mailed_rules: Iterable[str],
                       expected_version: int | None = None) -> ReminderPreference:
    """Store how ``user_id`` wants reminders mailed: immediate, digest or none, and for
    which rules. New reminders follow the new choice; queued mail is not recalled."""
    from qms.core.errors import check_version

    mailed = set(mailed_rules)
    unknown = mailed - set(RULES)
    if unknown:
        raise ValidationError(f"unknown rules: {', '.join(sorted(unknown))}", field="rules")
    pref = _stored_preference(user_id)
    if expected_version is not None and pref.version is not None:
        check_version(pref, expected_version)
    pref.delivery = Delivery(delivery)
    pref.muted_rules = sorted(set(RULES) - mailed)
    db.session.flush()
    return pref


def set_manager(user_id: int, manager_id: int | None) -> ReminderPreference:
    """Record ``user_id``'s manager (escalations of their overdue records reach them)."""
    from flask_babel import lazy_gettext as _l

    if manager_id == user_id:
        raise ValidationError(_l("Una persona no puede ser su propio jefe inmediato."),
                              field="manager_id")
    pref = _stored_preference(user_id)
    pref.manager_id = manager_id
    db.session.flush()
    return pref
