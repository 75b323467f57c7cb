"""Permissions in one place: a policy per action, used by views, API and templates.

A policy is a function ``(user, obj=None) -> bool`` registered under an action name
such as ``"process.edit"``. Domains register their policies in their own
``permissions.py``; everything asks :func:`can`. Views load-then-authorise with
:func:`get_or_404_authorized`, which answers 404 for a missing object and 403 for a
forbidden one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort
from flask_login import current_user
from werkzeug.local import LocalProxy

from qms.core.roles import Role

Policy = Callable[[Any, Any], bool]
_POLICIES: dict[str, Policy] = {}
#: Checks every allowed answer must also pass: ``(user, action, obj) -> bool``. A domain
#: registers one with :func:`restriction` (e.g. the evidence domain keeps a certifier to
#: the processes and audit window shared with it); core knows none of them.
_RESTRICTIONS: list[Callable[[Any, str, Any], bool]] = []

#: Roles that can see internal quality records (certifiers read, within their dates).
STAFF_ROLES = frozenset(Role)
#: Roles that run the SGC day to day.
SGC_EDITORS = frozenset({Role.ADMIN, Role.QUALITY_OFFICER})


def policy(action: str) -> Callable[[Policy], Policy]:
    """Register the decorated function as the policy for ``action``."""

    def register(func: Policy) -> Policy:
        if action in _POLICIES:
            raise RuntimeError(f"policy {action!r} registered twice")
        _POLICIES[action] = func
        return func

    return register


#: What lists may show: ``(user) -> frozenset[str] | None``, the codes of the processes
#: whose records ``user`` may read, or None when a provider does not narrow it. The
#: domain that registers a :func:`restriction` on process-bound records registers the
#: matching scope, so a register lists only records whose page the user may open.
_PROCESS_SCOPES: list[Callable[[Any], frozenset[str] | None]] = []


def process_scope_provider(
        func: Callable[[Any], frozenset[str] | None]) -> Callable[[Any], frozenset[str] | None]:
    """Register ``func(user) -> frozenset of process codes | None`` (see
    :func:`readable_processes`)."""
    _PROCESS_SCOPES.append(func)
    return func


def readable_processes(user: Any) -> frozenset[str] | None:
    """The codes of the processes whose records ``user`` may read in a list, or None for
    every process (no provider narrows it)."""
    if isinstance(user, LocalProxy):
        user = user._get_current_object()
    scope = None
    for provider in _PROCESS_SCOPES:
        codes = provider(user)
        if codes is not None:
            scope = codes if scope is None else scope & codes
    return scope


def restriction(func: Callable[[Any, str, Any], bool]) -> Callable[[Any, str, Any], bool]:
    """Register ``func(user, action, obj)``: an action is allowed only if it also says yes."""
    _RESTRICTIONS.append(func)
    return func


def allow_roles(action: str, *roles: Role) -> None:
    """Register a coarse policy: any authenticated user with one of ``roles``."""
    allowed = frozenset(roles)
    policy(action)(lambda user, obj=None: user.role in allowed)


def can(user: Any, action: str, obj: Any = None) -> bool:
    """Whether ``user`` may do ``action`` (to ``obj``); unknown actions are refused."""
    if isinstance(user, LocalProxy):  # current_user: resolved once, not per attribute
        user = user._get_current_object()
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not isinstance(getattr(user, "role", None), Role) or not user.is_active:
        return False
    try:
        rule = _POLICIES[action]
    except KeyError:
        raise LookupError(f"no policy registered for {action!r}") from None
    return bool(rule(user, obj)) and all(check(user, action, obj) for check in _RESTRICTIONS)


def authorize(action: str, obj: Any = None) -> None:
    """Abort with 403 unless the current user may do ``action``."""
    if not can(current_user, action, obj):
        abort(403)


def get_or_404_authorized(model: type, ident: Any, action: str) -> Any:
    """Load ``model`` by primary key (404 if absent) and authorise ``action`` on it."""
    from qms.extensions import db

    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    authorize(action, obj)
    return obj


def registered_actions() -> list[str]:
    return sorted(_POLICIES)


def template_can(action: str, obj: Any = None) -> bool:
    """``can()`` for Jinja: ``{% if can('process.edit', process) %}``."""
    return can(current_user, action, obj)
