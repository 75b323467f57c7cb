"""Bounds on what a request may make the server read.

The default request size is small (``MAX_CONTENT_LENGTH``). A route that needs more
declares it with :func:`body_limit`; the larger limit is applied only after the caller
is known to be logged in and allowed to use the route, before any body is read (CSRF
protection reads the form first). An anonymous or unauthorised caller meets the
default limit: a 300 MB body is refused from its Content-Length (413), unread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from werkzeug.routing import IntegerConverter

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def body_limit(config_key: str, action: str, *, model: type | None = None,
               id_arg: str | None = None) -> Callable:
    """Let ``action``-authorised users send up to ``config[config_key]`` bytes here.

    ``model``/``id_arg`` name the object the action is checked on (as
    :func:`~qms.core.permissions.get_or_404_authorized` does)."""

    def decorator(view: Callable) -> Callable:
        view._qms_body_limit = (config_key, action, model, id_arg)  # type: ignore[attr-defined]
        return view

    return decorator


def _apply_body_limit() -> None:
    if request.method in SAFE_METHODS or request.endpoint is None:
        return
    view: Any = current_app.view_functions.get(request.endpoint)
    spec = getattr(view, "_qms_body_limit", None)
    if spec is None:
        return
    from flask_login import current_user

    from qms.core.permissions import authorize, get_or_404_authorized

    if not current_user.is_authenticated:
        return  # the default limit applies; the view's login check answers
    config_key, action, model, id_arg = spec
    if model is not None:
        get_or_404_authorized(model, (request.view_args or {})[id_arg], action)
    else:
        authorize(action)
    request.max_content_length = int(current_app.config[config_key])


# ------------------------------------------------------------------ hostile input

#: Largest integer a URL, a page number or a body field may carry (SQL BIGINT).
MAX_INT = 2**63 - 1
#: Deepest nesting a JSON body may have; the API's documents are two or three deep.
MAX_JSON_DEPTH = 32
#: Longest text any JSON field may carry: a controlled document's content (200,000
#: characters) is the longest text the application stores. Schemas cap each field
#: further (a title at 200); this bound keeps a 5 MB string from reaching them.
MAX_JSON_STRING = 200_000
#: Highest page number a list accepts.
MAX_PAGE = 100_000


class BoundedIntConverter(IntegerConverter):
    """``<int:id>`` that never hands a view a number the database cannot hold:
    ``/x/99999999999999999999`` is a 404 like any unknown id."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets nest deeper than ``limit`` (outside strings), without parsing."""
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def _longest_string(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return max((max(len(k), _longest_string(v)) for k, v in value.items()), default=0)
    if isinstance(value, list):
        return max((_longest_string(v) for v in value), default=0)
    return 0


def _too_large_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -MAX_INT - 1 <= value <= MAX_INT
    if isinstance(value, dict):
        return any(_too_large_int(v) for v in value.values())
    if isinstance(value, list):
        return any(_too_large_int(v) for v in value)
    return False


def _check_json_body():
    """Refuse, with 400 and a message, JSON bodies no schema should have to survive:
    nesting deeper than MAX_JSON_DEPTH, text with lone surrogates (``\\ud800``, not
    storable as UTF-8), integers beyond BIGINT."""
    if request.method in SAFE_METHODS or not request.is_json:
        return None
    import json

    from flask_babel import gettext as _

    from qms.core.web import json_error

    raw = request.get_data(cache=True)
    if not raw:
        return None
    if json_depth_exceeds(raw):
        return json_error(400, _("El JSON anida más de %(n)s niveles.", n=MAX_JSON_DEPTH))
    try:
        data = json.loads(raw)
    except ValueError:
        return None  # the schema layer answers malformed JSON with its own 400
    if _has_lone_surrogate(data):
        return json_error(400, _("El texto contiene caracteres no válidos (un sustituto "
                                 "UTF-16 suelto)."))
    if _longest_string(data) > MAX_JSON_STRING:
        return json_error(400, _("Un texto supera %(n)s caracteres.", n=MAX_JSON_STRING))
    if _too_large_int(data):
        return json_error(400, _("Un número supera el máximo admitido (%(n)s).", n=MAX_INT))
    return None


def safe_page(value: Any) -> int:
    """A page number from a query string: 1 … MAX_PAGE, else 404."""
    from flask import abort

    try:
        page = int(value)
    except (TypeError, ValueError):
        abort(404)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


def init_app(app: Flask) -> None:
    # First of all before-request functions: CSRFProtect reads the body after this.
    app.before_request_funcs.setdefault(None, []).insert(0, _apply_body_limit)
    app.before_request(_check_json_body)
