"""Facts about user accounts that other domains may read (plain data, no models)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RecipientFact:
    """Who a message can be addressed to, and in which language."""

    id: int
    username: str
    full_name: str
    email: str
    role: str
    locale: str


def active_recipients(today: date) -> dict[int, RecipientFact]:
    """Every account that can still sign in on ``today``, by id. One query."""
    from sqlalchemy import or_, select

    from qms.auth.models import User
    from qms.extensions import db

    rows = db.session.execute(
        select(User.id, User.username, User.full_name, User.email, User.role, User.locale)
        .where(User.active.is_(True),
               or_(User.access_expires_on.is_(None), User.access_expires_on >= today)))
    return {r.id: RecipientFact(r.id, r.username, r.full_name, r.email, r.role.value,
                                r.locale or "es") for r in rows}


@dataclass(frozen=True)
class ExpiringAccountFact:
    user_id: int
    username: str
    full_name: str
    expires_on: date


def certifiers_expiring(until: date, today: date) -> list[ExpiringAccountFact]:
    """Active external-certifier accounts whose access ends between ``today`` and ``until``."""
    from sqlalchemy import select

    from qms.auth.models import User
    from qms.core.roles import Role
    from qms.extensions import db

    rows = db.session.execute(
        select(User.id, User.username, User.full_name, User.access_expires_on)
        .where(User.role == Role.CERTIFIER, User.active.is_(True),
               User.access_expires_on >= today, User.access_expires_on <= until))
    return [ExpiringAccountFact(r.id, r.username, r.full_name, r.access_expires_on) for r in rows]


@dataclass(frozen=True)
class CertifierAccountFact:
    user_id: int
    username: str
    full_name: str
    expires_on: date | None


def certifier_accounts(today: date) -> list[CertifierAccountFact]:
    """External-certifier accounts that can still sign in on ``today``, by name."""
    from sqlalchemy import or_, select

    from qms.auth.models import User
    from qms.core.roles import Role
    from qms.extensions import db

    rows = db.session.execute(
        select(User.id, User.username, User.full_name, User.access_expires_on)
        .where(User.role == Role.CERTIFIER, User.active.is_(True),
               or_(User.access_expires_on.is_(None), User.access_expires_on >= today))
        .order_by(User.full_name, User.id))
    return [CertifierAccountFact(r.id, r.username, r.full_name, r.access_expires_on)
            for r in rows]
