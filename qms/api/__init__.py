"""JSON API under /api/v1/, described by /api/v1/openapi.json (flask-smorest).

Clients authenticate with a personal token: ``Authorization: Bearer qms_…``. The API
never uses the browser session, so it needs no CSRF token and a logged-in browser
cannot be tricked into calling it.
"""

from __future__ import annotations

import functools

from flask import Flask, abort, current_app, g, request
from flask_smorest import Api, Blueprint
from flask_smorest import abort as api_abort
from werkzeug.exceptions import HTTPException

from qms.core.errors import ServiceError
from qms.core.permissions import authorize, get_or_404_authorized
from qms.extensions import csrf

API_PREFIX = "/api/v1"


def init_app(app: Flask) -> None:
    api = Api(app, spec_kwargs={
        "info": {"description": _api_description()},
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "qms token"},
        }},
        "security": [{"bearerAuth": []}],
    })
    app.extensions["qms.api"] = api


def _api_description() -> str:
    return ("API of the SGC (ISO 9001 quality-management system). Authenticate with a "
            "personal token created on your account page: `Authorization: Bearer <token>`.")


def register_api_blueprint(app: Flask, blp: Blueprint) -> None:
    """Mount a domain's API blueprint under /api/v1 with token authentication."""
    csrf.exempt(blp)
    if not getattr(blp, "_qms_token_auth", False):  # blueprints are shared by every app
        blp.before_request(_authenticate)
        blp._qms_token_auth = True
    app.extensions["qms.api"].register_blueprint(blp, url_prefix=f"{API_PREFIX}{blp.url_prefix}")


def _authenticate() -> None:
    from qms.auth.services import user_for_token

    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    user = user_for_token(secret.strip()) if scheme.lower() == "bearer" and secret else None
    if user is None:
        abort(401)
    # Flask-Login reads the request's user from here; the session is never consulted.
    g._login_user = user


def authorize_first(action: str, model: type | None = None, id_arg: str | None = None):
    """Authorise before flask-smorest parses the body, so a forbidden caller gets 403,
    never a 422 that reveals the schema. Put it above ``@blp.arguments``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if model is not None:
                get_or_404_authorized(model, kwargs[id_arg], action)
            else:
                authorize(action)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def error_response(error: HTTPException):
    """JSON errors for /api/ paths, in flask-smorest's format ({code, status, message})."""
    return current_app.extensions["qms.api"].handle_http_exception(error)


def service_error(exc: ServiceError):
    """Abort with the service's message; the field is named in ``errors`` when known."""
    payload = {"message": str(exc.message)}
    if exc.field:
        payload["errors"] = {"json": {exc.field: [str(exc.message)]}}
    if getattr(exc, "retry_after", None):
        payload["headers"] = {"Retry-After": str(exc.retry_after)}
    api_abort(exc.http_status, **payload)
