"""Security headers and the login manager's wiring."""

from __future__ import annotations

import hashlib

from flask import Flask, Response, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from itsdangerous import URLSafeTimedSerializer

from qms.extensions import login_manager

#: No inline scripts or styles, no outside hosts: everything is served from here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


#: Headers every response carries unless its view set its own (a calendar feed sets
#: its own referrer policy).
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key.

    Flask builds a new ``URLSafeTimedSerializer`` twice a request (to read the cookie
    and to write it), and building one serialises an empty dict to learn that its
    serializer produces text. The serializer holds no state between calls, so one per
    secret key (and fallback keys: a rotated key is picked up) serves every request."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            if len(self._serializers) > 8:  # keys changed many times (tests): start over
                self._serializers.clear()
            serializer = self._serializers[key] = super().get_signing_serializer(app)
        return serializer


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

    app.session_interface = SessionInterface()
    with_hsts = SECURITY_HEADERS + (HSTS,)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        for name, value in with_hsts if app.config.get("SESSION_COOKIE_SECURE") \
                else SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if _personal() and request.endpoint != "static":
            # Pages and exports of a logged-in person never go into a shared or disk cache.
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response


def _personal() -> bool:
    """Whether the request was made by somebody authenticated (session or API token)."""
    loaded = g.get("_login_user")
    if loaded is not None and getattr(loaded, "is_authenticated", False):
        return True
    return "_user_id" in session or "Authorization" in request.headers
