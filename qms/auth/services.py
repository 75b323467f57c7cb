"""Accounts: creation, passwords (argon2), authentication and API tokens."""

from __future__ import annotations

import contextlib
import functools
import secrets
import time
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value
from wtforms.fields.choices import SelectChoice

from qms.auth.models import ApiToken, Role, User
from qms.core.audit import acting_as, annotate, record
from qms.core.db import SQLITE_BUSY_TIMEOUT_MS, now_utc
from qms.core.errors import RateLimited, ValidationError, check_version
from qms.core.security import secret_digest
from qms.extensions import db

MIN_PASSWORD_LENGTH = 10


@functools.cache
def _hasher_for(params: tuple) -> PasswordHasher:
    return PasswordHasher(**dict(params))


def _hasher() -> PasswordHasher:
    """argon2id with the configured ``ARGON2_PARAMS`` (OWASP's minimum in production;
    tests configure cheaper ones)."""
    return _hasher_for(tuple(sorted(current_app.config.get("ARGON2_PARAMS", {}).items())))


@functools.cache
def _dummy_hash(params: tuple) -> str:
    """Verified against when the user does not exist, so timing does not reveal usernames."""
    return _hasher_for(params).hash("not-a-real-password-" + secrets.token_hex(8))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _l("La contraseña debe tener al menos %(n)s caracteres.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        ok = _hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if ok and _hasher().check_needs_rehash(user.password_hash):
        _store_rehash(user, password)
    return ok


def _store_rehash(user: User, password: str) -> None:
    """The same password hashed again with the configured parameters.

    Bookkeeping, not a password change: a plain UPDATE without the version check, so
    several logins of one account at once (each needing the rehash) never fail each
    other (StaleDataError), and the account's other sessions and tokens stay valid (an
    ORM change of the hash would end them as a password change does). Only if the hash
    is still the one just verified: a password changed meanwhile wins.
    """
    old, new = user.password_hash, _hasher().hash(password)
    db.session.execute(update(User).where(User.id == user.id, User.password_hash == old)
                       .values(password_hash=new)
                       .execution_options(synchronize_session=False))
    set_committed_value(user, "password_hash", new)


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the session's user, if the account is still active and the
    session belongs to the user's current session generation (see ``User.get_id``)."""
    user_id, _sep, generation = str(session_id).partition(".")
    if not (user_id.isdigit() and generation.isdigit()) or len(user_id) > 18:
        return None  # a cookie from before session generations, or forged
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or int(generation) != user.session_generation:
        return None
    return user


def end_sessions(user: User) -> None:
    """Log the user out everywhere: every session cookie they hold stops working."""
    user.end_sessions()
    db.session.flush()


#: Cookie that marks a browser where a username logged in successfully.
DEVICE_COOKIE = "qms_device"
_DEVICE_SALT = "qms.login-device"
_DEVICE_MAX_AGE = 365 * 24 * 3600


def _device_serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def remember_device(response, user: User) -> None:
    """Mark this browser as one the user logs in from (signed; holds no secret)."""
    response.set_cookie(
        DEVICE_COOKIE, _device_serializer().dumps(user.username.lower()),
        max_age=_DEVICE_MAX_AGE, httponly=True, samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))


def known_device(cookie: str | None, username: str) -> bool:
    if not cookie or not username:
        return False
    from itsdangerous import BadSignature

    try:
        name = _device_serializer().loads(cookie, max_age=_DEVICE_MAX_AGE)
    except BadSignature:
        return False
    return name == username.strip().lower()


def find_user(username: str) -> User | None:
    return db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower())
    )


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = find_user(username)
    if user is None:
        params = tuple(sorted(current_app.config.get("ARGON2_PARAMS", {}).items()))
        with contextlib.suppress(VerificationError):
            _hasher().verify(_dummy_hash(params), password)
        return None
    if not check_password(user, password) or not user.is_active:
        return None
    # Bookkeeping, not a change to the account: a plain UPDATE without the version check,
    # so two logins of one account at once never fail each other (StaleDataError) and a
    # concurrent edit of the account is not refused because its owner logged in.
    when = now_utc()
    db.session.execute(update(User).where(User.id == user.id).values(last_login_at=when)
                       .execution_options(synchronize_session=False))
    set_committed_value(user, "last_login_at", when)
    with acting_as(user):  # nobody is logged in yet: the event is the user's own
        record(db.session, user, "login")
    return user


def _signature_limits():
    from limits import parse_many

    return parse_many(current_app.config["SIGNATURE_RATE_LIMIT"])


def verify_signature(user: User, password: str) -> None:
    """Electronic signature: the signer re-enters their password.

    The one check behind every signature (document approval, NC closure, and the
    audits, reviews and packs that sign): web and API alike. Wrong passwords count
    per signer against ``SIGNATURE_RATE_LIMIT``; once it is spent, even the right
    password is refused until the window passes, so a borrowed session cannot guess
    its way to a signature.
    """
    from qms.extensions import limiter

    strategy = limiter.limiter
    key = f"signature:{user.id}"
    limits = _signature_limits()
    for item in limits:
        if not strategy.test(item, key):
            reset_at = strategy.get_window_stats(item, key).reset_time
            wait = max(1, int(reset_at - time.time()))
            raise RateLimited(
                _l("Demasiadas firmas con contraseña incorrecta. Espere %(n)s minutos y "
                   "vuelva a intentarlo.", n=max(1, (wait + 59) // 60)),
                field="password", retry_after=wait)
    if not check_password(user, password or ""):
        for item in limits:
            strategy.hit(item, key)
        raise ValidationError(_l("La contraseña no es correcta; no se firmó."), field="password")


#: Length rule of every password people choose (the admin's form uses the same one).
PASSWORD_MIN, PASSWORD_MAX = 10, 200


def change_own_password(user: User, current: str, new: str) -> User:
    """The user changes their own password: the current one is required; argon2 hash;
    an audit event ("password_change", the hash itself is redacted)."""
    if not check_password(user, current or ""):
        raise ValidationError(_l("La contraseña actual no es correcta."),
                              field="current_password")
    new = new or ""
    if not PASSWORD_MIN <= len(new) <= PASSWORD_MAX:
        raise ValidationError(_l("La nueva contraseña debe tener entre %(a)s y %(b)s "
                                 "caracteres.", a=PASSWORD_MIN, b=PASSWORD_MAX),
                              field="new_password")
    if new == current:
        raise ValidationError(_l("La nueva contraseña debe ser distinta de la actual."),
                              field="new_password")
    user.password_hash = hash_password(new)
    annotate(db.session, user, "password_change")
    db.session.flush()  # the password change bumps the session generation (models.py)
    return user


def set_locale(user: User, locale: str) -> None:
    """Remember the interface language a user chose (an audit event when it changes)."""
    if locale not in current_app.config["LANGUAGES"]:
        raise ValidationError(_l("Idioma no disponible."), field="lang")
    if user.locale != locale:
        user.locale = locale
        db.session.flush()


def _check_unique(username: str, email: str, exclude_id: int | None = None) -> None:
    for column, value, field, message in (
        (User.username, username, "username", _l("Ya existe un usuario con ese nombre.")),
        (User.email, email, "email", _l("Ya existe un usuario con ese correo.")),
    ):
        query = select(User.id).where(func.lower(column) == value.lower())
        if exclude_id is not None:
            query = query.where(User.id != exclude_id)
        if db.session.scalar(query) is not None:
            raise ValidationError(message, field=field)


def create_user(
    *,
    username: str,
    full_name: str,
    email: str,
    role: Role,
    password: str,
    access_expires_on: date | None = None,
    locale: str = "es",
) -> User:
    username = username.strip()
    email = email.strip().lower()
    _check_unique(username, email)
    if role == Role.CERTIFIER and access_expires_on is None:
        raise ValidationError(
            _l("Las cuentas de certificador necesitan una fecha de vencimiento."),
            field="access_expires_on",
        )
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email,
        role=role,
        password_hash=hash_password(password),
        access_expires_on=access_expires_on,
        locale=locale,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User,
    *,
    expected_version: int | None,
    full_name: str,
    email: str,
    role: Role,
    active: bool,
    access_expires_on: date | None,
    new_password: str | None = None,
) -> User:
    check_version(user, expected_version)
    email = email.strip().lower()
    _check_unique(user.username, email, exclude_id=user.id)
    if role == Role.CERTIFIER and access_expires_on is None:
        raise ValidationError(
            _l("Las cuentas de certificador necesitan una fecha de vencimiento."),
            field="access_expires_on",
        )
    user.full_name = full_name.strip()
    user.email = email
    user.role = role
    user.active = active
    user.access_expires_on = access_expires_on
    if new_password:
        user.password_hash = hash_password(new_password)
    db.session.flush()
    return user


# ------------------------------------------------------------------------- tokens



def issue_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the clear secret is returned once and never stored."""
    if not name.strip():
        raise ValidationError(_l("Dé un nombre al token."), field="name")
    secret = "qms_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), token_hash=secret_digest(secret),
                     prefix=secret[:10], expires_at=now_utc() + token_lifetime())
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = token.revoked_at or now_utc()
    db.session.flush()


def token_lifetime() -> timedelta:
    return timedelta(days=int(current_app.config.get("API_TOKEN_DAYS", 90)))


def token_expiry(token: ApiToken) -> datetime:
    return token.expires_at or token.created_at + token_lifetime()


def user_for_token(secret: str) -> User | None:
    """The active user a live token (not revoked, not expired) belongs to.

    Reading with a token writes nothing in the request's transaction: ``last_used_at``
    is recorded at most once per ``TOKEN_TOUCH_SECONDS``, after the request committed,
    in a short transaction of its own that gives up rather than wait for a lock.
    """
    if len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == secret_digest(secret)))
    now = now_utc()
    if (token is None or token.revoked_at is not None or token_expiry(token) <= now
            or not token.user.is_active):
        return None
    interval = timedelta(seconds=int(current_app.config.get("TOKEN_TOUCH_SECONDS", 300)))
    if token.last_used_at is None or now - token.last_used_at >= interval:
        from qms.core.uow import after_commit

        after_commit(functools.partial(_touch_token, token.id, now))
    return token.user


# ---------------------------------------------------------------- people as choices


def people(*, roles=None, keep: User | None = None) -> list[User]:
    """Active people who may be named in a record (owner, detector, verifier…), by name.

    External certifiers never are (their account is a time-limited read-only view);
    ``roles`` narrows the list further. ``keep`` stays in it even when no longer
    eligible, so an edit form still shows the person a record names until replaced.
    """
    query = select(User).where(User.active.is_(True), User.role != Role.CERTIFIER)
    if roles is not None:
        query = query.where(User.role.in_(list(roles)))
    users = list(db.session.scalars(query.order_by(User.full_name, User.id)))
    if keep is not None and keep not in users:
        users.append(keep)
    return users


def people_choices(*, roles=None, keep: User | None = None) -> list[SelectChoice]:
    """:func:`people` as choices for a select field: the id, labelled "Name (Role)"."""
    return [SelectChoice(u.id, f"{u.full_name} ({u.role.label})")
            for u in people(roles=roles, keep=keep)]
def _touch_token(token_id: int, moment: datetime) -> None:
    from sqlalchemy import update
    from sqlalchemy.exc import OperationalError

    statement = update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=moment)
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        try:
            if sqlite:
                connection.exec_driver_sql("PRAGMA busy_timeout=250")
            connection.execute(statement)
            connection.commit()
        except OperationalError:  # bookkeeping: a busy database must not fail the request
            connection.rollback()
        finally:
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                connection.rollback()
