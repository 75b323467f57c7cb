"""Pages that are the same for every anonymous visitor, rendered once per process.

The anonymous login page is the busiest page of the system (a morning's logins, a
monitoring probe) and was rendered from its templates on every request, although the
only thing that differs between two visitors is the CSRF token. :func:`render_anonymous`
renders such a page once per template and language with a placeholder where the token
goes, keeps the text, and answers later requests by putting the visitor's own token in
(a string replace instead of a template render: about a quarter of the time).

The page is rendered afresh, and not kept, whenever it could differ: flashed messages
waiting, a query string (a ``next`` to go back to), or templates
reloaded on change (debug / ``TEMPLATES_AUTO_RELOAD``). A form shown again with its errors
is never a kept page: only GET views use this.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import current_app, g, render_template, request, session
from flask_babel import get_locale

from qms.core.security import csrf_token

#: Text that stands for the CSRF token in a kept page (random per process: never in a
#: template, never guessable from outside).
_MARK = f"csrf-{secrets.token_hex(16)}"
_PAGES: dict[tuple[int, str, str], str] = {}


def _cacheable() -> bool:
    return not (current_app.debug or current_app.jinja_env.auto_reload
                or request.query_string or session.get("_flashes"))


def render_anonymous(template: str, context: Callable[[], dict[str, Any]]) -> str:
    """``render_template(template, **context())`` for a page whose only per-visitor
    content is the CSRF token (anonymous pages only: the context must not depend on who
    asks). ``context`` is called only when the page is rendered, so a kept page costs
    neither the template nor the form objects."""
    if not _cacheable():
        return render_template(template, **context())
    key = (id(current_app._get_current_object()), template, str(get_locale()))
    page = _PAGES.get(key)
    if page is None:
        field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        setattr(g, field, _MARK)  # what csrf_token() answers for this render
        try:
            page = render_template(template, **context())
        finally:
            g.pop(field, None)
        _PAGES[key] = page
    return page.replace(_MARK, csrf_token())


def clear() -> None:
    """Forget every kept page (tests that change templates or settings)."""
    _PAGES.clear()
