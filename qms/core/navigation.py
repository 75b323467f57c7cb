"""Which section of the navigation the current page belongs to (for ``aria-current``),
and the navigation bar itself, rendered once per kind of visitor.

A page belongs to the section of its blueprint; a domain whose pages sit under another
section, or a core page with a section of its own, registers it here.
"""

from __future__ import annotations

from flask import current_app, request
from flask_babel import get_locale
from markupsafe import Markup

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


# ------------------------------------------------------------------ the bar itself

#: Every action ``_nav_items.html`` asks ``can()`` about, in its order
#: (tests/core/test_navigation.py reads the template to keep the two in step).
NAV_ACTIONS = ("pending.view", "process.view", "document.view", "nc.view", "survey.view",
               "complaint.view", "payments.view", "objective.view", "audit.view",
               "review.view", "evidence.list", "audit_log.view")
#: Rendered bars by (app, language, section, script root, what the visitor may see).
_BARS: dict[tuple, Markup] = {}
_MAX_BARS = 2048


def nav_items() -> Markup:
    """The navigation entries of the signed-in page being served (``_nav_items.html``).

    The bar is the same for every visitor who may see the same entries, in the same
    language, on a page of the same section, yet rendering it — a dozen macro calls,
    translations and URLs — was a fifth of a small signed-in page. It is rendered once
    per such combination: the permission checks still run for every request (they are
    the key), the template does not. Rendered afresh while templates reload on change."""
    from qms.core.permissions import template_can

    app = current_app._get_current_object()
    allowed = tuple(template_can(action) for action in NAV_ACTIONS)
    key = (id(app), str(get_locale()), nav_section(), request.script_root, allowed)
    bar = _BARS.get(key)
    if bar is None:
        bar = Markup(  # noqa: S704 - an autoescaped template's output
            app.jinja_env.get_template("_nav_items.html").render())
        if app.jinja_env.auto_reload:
            return bar
        if len(_BARS) >= _MAX_BARS:
            _BARS.clear()
        _BARS[key] = bar
    return bar
