"""Security headers and the login manager's wiring."""

from __future__ import annotations

import hashlib

from flask import Flask, Response, g, request, session
from flask_babel import lazy_gettext as _l

from qms.extensions import login_manager

#: No inline scripts or styles, no outside hosts: everything is served from here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def secret_digest(secret: str) -> str:
    """How API tokens and webhook secrets are stored: only their SHA-256, never the secret.

    They are long random strings, so a plain hash suffices (no password stretching).
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def init_app(app: Flask) -> None:
    from qms.core import limits

    limits.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Inicie sesión para continuar.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static" and _personal():
            # Pages and exports of a logged-in person never go into a shared or disk cache.
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def _personal() -> bool:
    """Whether the request was made by somebody authenticated (session or API token)."""
    loaded = g.get("_login_user")
    if loaded is not None and getattr(loaded, "is_authenticated", False):
        return True
    return "_user_id" in session or "Authorization" in request.headers
