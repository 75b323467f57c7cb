"""The audits calendar: a month grid of the audits on the page and each person's ICS feed.

The feed lives behind a secret address: ``/auditorias/calendario/<token>.ics``. Only the
token's SHA-256 is stored (like API tokens), so the address is shown once when issued;
issuing a new one replaces the hash and the old address answers 404 from then on. The
feed holds the audits the person is on (lead, team or auditee), or every audit for the
SGC's editors, as all-day events (audits are planned in days) with a stable UID, the
audit's version as SEQUENCE and STATUS:CANCELLED for cancelled audits, so calendar apps
update or strike an event instead of duplicating it.
"""

from __future__ import annotations

import calendar as pycalendar
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qms.audits.enums import AuditStatus
from qms.audits.models import Audit, AuditCalendarFeed, AuditMember
from qms.core import audit as trail
from qms.core.db import now_utc
from qms.core.permissions import SGC_EDITORS
from qms.core.security import secret_digest
from qms.core.time import local_zone
from qms.extensions import db

#: The feed covers audits from this many years back (older ones no longer change).
FEED_YEARS_BACK = 1
TOKEN_PREFIX = "cal_"  # noqa: S105 - a visible prefix, not a secret


# ------------------------------------------------------------------------ month grid


@dataclass
class Day:
    day: date
    in_month: bool
    audits: list[Audit] = field(default_factory=list)


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    #: Weeks (Monday first) of seven days, the days of the neighbouring months included.
    weeks: list[list[Day]]
    #: The month's audits in order of start, each once (the list layout of small screens).
    audits: list[Audit]

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)


def audit_span(audit: Audit) -> tuple[date, date]:
    """The days an audit takes: the actual dates once known, else the planned ones."""
    start = audit.actual_start or audit.planned_start
    end = audit.actual_end or (audit.planned_end if audit.actual_start is None
                               else max(audit.planned_end, start))
    return start, max(start, end)


def month_view(year: int, month: int) -> Month:
    """Every audit (cancelled ones too, shown as such) on the days of one month."""
    weeks_dates = pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first_day, last_day = weeks_dates[0][0], weeks_dates[-1][-1]
    candidates = db.session.scalars(
        select(Audit).where(Audit.year.between(year - 1, year + 1))
        .options(selectinload(Audit.scope_links), selectinload(Audit.members)
                 .selectinload(AuditMember.user))
        .order_by(Audit.planned_start, Audit.code))
    spans = {}
    for audit in candidates:
        start, end = audit_span(audit)
        if start <= last_day and end >= first_day:
            spans[audit] = (start, end)
    weeks = [[Day(d, d.month == month, [a for a, (s, e) in spans.items() if s <= d <= e])
              for d in week] for week in weeks_dates]
    month_first = date(year, month, 1)
    month_last = date(year, month, pycalendar.monthrange(year, month)[1])
    in_month = sorted((a for a, (s, e) in spans.items() if s <= month_last and e >= month_first),
                      key=lambda a: (spans[a][0], a.code))
    return Month(year, month, weeks, in_month)


# ------------------------------------------------------------------------ feed address


def issue_feed_token(user) -> str:
    """A new secret address for ``user``'s feed; the previous one stops working.

    Returns the token (shown once; only its hash is stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    feed = db.session.scalar(select(AuditCalendarFeed).where(AuditCalendarFeed.user_id == user.id))
    if feed is None:
        feed = AuditCalendarFeed(user_id=user.id, token_hash=secret_digest(token))
        db.session.add(feed)
    else:
        feed.token_hash = secret_digest(token)
        feed.issued_at = now_utc()
        feed.last_used_at = None
        trail.annotate(db.session, feed, "calendar_reset")
    db.session.flush()
    return token


def feed_of(user) -> AuditCalendarFeed | None:
    return db.session.scalar(select(AuditCalendarFeed).where(AuditCalendarFeed.user_id == user.id))


def feed_for_token(token: str) -> AuditCalendarFeed | None:
    """The feed a secret address stands for, if it is live and its owner may still sign in."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    feed = db.session.scalar(select(AuditCalendarFeed)
                             .where(AuditCalendarFeed.token_hash == secret_digest(token)))
    if feed is None or not feed.user.is_active:
        return None
    return feed


# ------------------------------------------------------------------------ ICS


def sees_every_audit(user) -> bool:
    return user.role in SGC_EDITORS


def feed_audits(user, today: date) -> list[Audit]:
    """The audits of ``user``'s feed: theirs (any role in the audit), or all for editors."""
    query = (select(Audit).where(Audit.year >= today.year - FEED_YEARS_BACK)
             .options(selectinload(Audit.scope_links), selectinload(Audit.members)
                      .selectinload(AuditMember.user))
             .order_by(Audit.planned_start, Audit.code))
    if not sees_every_audit(user):
        query = query.where(Audit.id.in_(select(AuditMember.audit_id)
                                         .where(AuditMember.user_id == user.id)))
    return list(db.session.scalars(query))


def uid_host() -> str:
    base = current_app.config.get("BASE_URL") or ""
    return urlsplit(base).hostname or "sgc.bonovidamejor.hn"


def event_uid(audit: Audit) -> str:
    """Stable for the audit's whole life (its id never changes, its dates may)."""
    return f"auditoria-{audit.id}@{uid_host()}"


def _description(audit: Audit, user) -> str:
    lines = [audit.audit_type.label, _("Estado: %(s)s", s=audit.status.label)]
    role = next((m.role.label for m in audit.members if m.user_id == user.id), None)
    if role:
        lines.append(_("Su papel: %(r)s", r=role))
    if audit.lead:
        lines.append(_("Auditor líder: %(n)s", n=audit.lead.full_name))
    elif audit.certification_body:
        lines.append(_("Organismo de certificación: %(n)s", n=audit.certification_body))
    codes = ", ".join(link.process.code for link in audit.scope_links)
    if codes:
        lines.append(_("Procesos: %(p)s", p=codes))
    lines.append(_("Alcance: %(s)s", s=audit.scope))
    if audit.status == AuditStatus.CANCELLED and audit.cancel_reason:
        lines.append(_("Anulada: %(r)s", r=audit.cancel_reason))
    return "\n".join(lines)


def build_feed(user, today: date) -> bytes:
    """The ICS text of ``user``'s feed."""
    zone = local_zone()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Bono Vida Mejor//SGC auditorias//ES")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Auditorías del SGC · %(n)s", n=user.full_name))
    cal.add("x-wr-timezone", zone.key)
    cal.add_component(icalendar.Timezone.from_tzid(zone.key))
    for audit in feed_audits(user, today):
        start, end = audit_span(audit)
        event = icalendar.Event()
        event.add("uid", event_uid(audit))
        event.add("dtstamp", audit.updated_at)
        event.add("created", audit.created_at)
        event.add("last-modified", audit.updated_at)
        event.add("sequence", audit.version)
        event.add("summary", f"{audit.code} · {audit.title}")
        event.add("dtstart", start)
        event.add("dtend", end + timedelta(days=1))  # DTEND of a date is exclusive
        event.add("transp", "OPAQUE")
        if audit.location:
            event.add("location", audit.location)
        event.add("description", _description(audit, user))
        event.add("url", url_for("audits.detail", audit_id=audit.id, _external=True))
        event.add("categories", [audit.audit_type.label])
        event.add("status", "CANCELLED" if audit.status == AuditStatus.CANCELLED else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()


def mark_used(feed: AuditCalendarFeed, when: datetime | None = None) -> None:
    feed.last_used_at = when or now_utc()
    db.session.flush()
