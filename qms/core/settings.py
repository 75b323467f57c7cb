"""Settings people change while the system runs, stored in the database.

Deployment settings live in ``config.py``; these are the ones a quality officer or an
administrator adjusts in the application (a suppression threshold, reminder lead days…).
Each domain registers its keys with a default in code (:func:`register_setting`); the
``setting`` table only holds values somebody changed. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, now_utc
from qms.core.errors import ValidationError


class Setting(Audited, Model):
    __tablename__ = "setting"
    __audit_label__ = _l("Ajuste")
    __audit_fields__ = {"key": _l("Ajuste"), "value": _l("Valor")}

    #: Dotted key, domain first: "surveys.min_group_size".
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=now_utc, onupdate=now_utc
    )

    def __repr__(self) -> str:
        return f"<Setting {self.key}={self.value!r}>"


@dataclass(frozen=True)
class SettingDef:
    key: str
    default: Any
    label: Any
    #: Python type the value is coerced to (int, float, str, bool).
    kind: type = str
    minimum: float | None = None
    maximum: float | None = None
    help: Any = ""


_REGISTRY: dict[str, SettingDef] = {}


def register_setting(key: str, default: Any, label: Any, *, kind: type = str,
                     minimum: float | None = None, maximum: float | None = None,
                     help: Any = "") -> SettingDef:
    """Declare a setting and its default (call at import time of the domain)."""
    definition = SettingDef(key, default, label, kind, minimum, maximum, help)
    existing = _REGISTRY.get(key)
    if existing is not None and existing != definition:
        raise RuntimeError(f"setting {key!r} registered twice with different definitions")
    _REGISTRY[key] = definition
    return definition


def definition(key: str) -> SettingDef:
    try:
        return _REGISTRY[key]
    except KeyError:
        raise LookupError(f"no setting registered as {key!r}") from None


def definitions(prefix: str = "") -> list[SettingDef]:
    return [d for k, d in sorted(_REGISTRY.items()) if k.startswith(prefix)]


def _coerce(spec: SettingDef, value: Any) -> Any:
    if value is None:
        return spec.default
    try:
        if spec.kind is bool and isinstance(value, str):
            value = value.strip().lower() in {"1", "true", "yes", "on", "si", "sí"}
        value = spec.kind(value)
    except (TypeError, ValueError):
        raise ValidationError(_l("Valor no válido."), field=spec.key) from None
    if spec.minimum is not None and value < spec.minimum:
        raise ValidationError(_l("El valor mínimo es %(n)s.", n=spec.minimum), field=spec.key)
    if spec.maximum is not None and value > spec.maximum:
        raise ValidationError(_l("El valor máximo es %(n)s.", n=spec.maximum), field=spec.key)
    return value


def _absent() -> set[str]:
    """Keys this request found unset (their default applies): asked again, they cost no
    query (the identity map keeps only rows that exist; a list of complaints asked for the
    same two unset deadlines once per row). Outside a request nothing is remembered."""
    from flask import g, has_request_context

    return g.setdefault("qms_settings_absent", set()) if has_request_context() else set()


def get_setting(key: str) -> Any:
    """The stored value of ``key``, or its registered default."""
    from qms.extensions import db

    spec = definition(key)
    absent = _absent()
    if key in absent:
        return spec.default
    row = db.session.get(Setting, key)  # a stored row is kept by the session's identity map
    if row is None or row.value is None:
        absent.add(key)
        return spec.default
    try:
        return _coerce(spec, row.value)
    except ValidationError:  # a stored value that no longer fits: fall back, never crash
        return spec.default


def set_setting(key: str, value: Any) -> Any:
    """Validate and store ``value`` (flushes; the caller commits). Returns the stored value."""
    from qms.extensions import db

    spec = definition(key)
    value = _coerce(spec, value)
    _absent().discard(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    elif row.value != value:
        row.value = value
    db.session.flush()
    return value
