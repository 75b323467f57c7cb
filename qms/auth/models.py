"""Users, roles and API tokens."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import enum_column
from qms.core.roles import Role
from qms.core.time import today_local


class User(UserMixin, Audited, VersionedMixin, Model):
    __tablename__ = "user"
    __audit_redact__ = frozenset({"password_hash"})
    __audit_skip__ = frozenset({"version", "session_generation"})
    __audit_label__ = _l("Usuario")
    __audit_title__ = "full_name"
    __audit_fields__ = {
        "id": _l("Identificador"), "username": _l("Usuario"), "full_name": _l("Nombre completo"),
        "email": _l("Correo electrónico"), "role": _l("Rol"), "password_hash": _l("Contraseña"),
        "active": _l("Cuenta activa"), "access_expires_on": _l("Acceso hasta"),
        "locale": _l("Idioma"), "created_at": _l("Fecha de creación"),
        "last_login_at": _l("Último inicio de sesión"),
    }
    __audit_actions__ = {"login": _l("Inicio de sesión"),
                         "password_change": _l("Cambio de la propia contraseña")}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: Certifiers' access ends on this local date (inclusive); NULL means no end.
    access_expires_on: Mapped[date | None] = mapped_column(Date)
    #: Preferred interface language ("es" or "en").
    locale: Mapped[str] = mapped_column(String(5), nullable=False, default="es")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Part of every session's identity (``get_id``): bumping it ends every session of
    #: the user at their next request. Logout, a password change, a role change and a
    #: deactivation bump it (see :func:`_end_sessions_on_change`).
    session_generation: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role.value})>"

    @property
    def is_active(self) -> bool:  # Flask-Login asks this on every request
        return self.active and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.access_expires_on is not None and self.access_expires_on < today_local()

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def get_id(self) -> str:
        """What the session cookie holds: the id and the session generation.

        A cookie copied before a logout or a password reset names an older generation
        and no longer loads the user (:func:`qms.auth.services.load_session_user`).
        """
        return f"{self.id}.{self.session_generation or 0}"

    def end_sessions(self) -> None:
        """Invalidate every session of this user (all browsers) at their next request."""
        self.session_generation = (self.session_generation or 0) + 1


class ApiToken(Model):
    """A personal API token; only its SHA-256 is stored, the secret is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    #: The first characters of the token, to tell tokens apart in the UI.
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: After this moment the token no longer authenticates (API_TOKEN_DAYS after issue).
    #: NULL for tokens issued before expiry existed: they expire API_TOKEN_DAYS after
    #: ``created_at``.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… of user {self.user_id}>"


#: Changes to these columns end the user's sessions.
_SESSION_ENDING = ("password_hash", "role", "active", "access_expires_on")
#: Changes to these columns also revoke the user's API tokens (what they could read
#: was decided by the old role).
_TOKEN_REVOKING = ("role", "active")


@event.listens_for(Session, "before_flush")
def _end_sessions_on_change(session: Session, flush_context, instances) -> None:
    """Whatever changes a user's password, role or activation (form, API, CLI) ends their
    sessions; a role change or deactivation revokes their tokens too."""
    for obj in list(session.dirty):
        if not isinstance(obj, User):
            continue
        state = inspect(obj)
        changed = {key for key in _SESSION_ENDING if state.attrs[key].history.has_changes()}
        if not changed:
            continue
        if not state.attrs["session_generation"].history.has_changes():
            obj.end_sessions()
        if changed & set(_TOKEN_REVOKING):
            moment = now_utc()
            for token in obj.tokens:
                if token.revoked_at is None:
                    token.revoked_at = moment
