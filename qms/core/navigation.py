"""Which section of the navigation the current page belongs to (for ``aria-current``).

A page belongs to the section of its blueprint; a domain whose pages sit under another
section, or a core page with a section of its own, registers it here.
"""

from __future__ import annotations

from flask import request

#: Endpoint (exact) or blueprint name → navigation section key (see _nav_items.html).
_SECTIONS: dict[str, str] = {
    "core.dashboard": "home",
    "core.pending": "pending",
    "core.audit_log": "audit_log",
    "core.audit_log_export": "audit_log",
    "admin": "users",
    "auth.account": "account",
    "auth.change_password": "account",
}


def register_section(endpoint_or_blueprint: str, section: str) -> None:
    _SECTIONS[endpoint_or_blueprint] = section


def nav_section() -> str | None:
    """The section key of the page being served: its endpoint's, else its blueprint's
    (whose name is the section key unless registered otherwise)."""
    endpoint = request.endpoint or ""
    if endpoint in _SECTIONS:
        return _SECTIONS[endpoint]
    blueprint = request.blueprint
    if blueprint is None:
        return None
    return _SECTIONS.get(blueprint, blueprint)
