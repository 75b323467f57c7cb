"""Security headers and the login manager's wiring."""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

from flask import Flask, Response, current_app, g, request, session
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
    secret key (and fallback keys: a rotated key is picked up) serves every request.

    The digest is the same SHA-1 HMAC as Flask's (cookies signed before stay valid), named
    by :func:`hashlib.sha1` itself: Flask's lazy wrapper around it is a Python function,
    for which :mod:`hmac` falls back to its pure-Python construction, twice per cookie."""

    digest_method = staticmethod(hashlib.sha1)

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


#: Flask-WTF's salt for CSRF tokens.
_CSRF_SALT = "wtf-csrf-token"


@lru_cache(maxsize=8)
def _csrf_serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_CSRF_SALT,
                                  signer_kwargs={"digest_method": hashlib.sha1})


def csrf_token() -> str:
    """The request's CSRF token, made exactly as :func:`flask_wtf.csrf.generate_csrf`
    makes it (Flask-WTF validates it as ever: same secret, salt and SHA-1 HMAC), from a
    serializer kept per key with OpenSSL's HMAC instead of one built per token with the
    pure-Python one. The template global ``csrf_token()`` and the kept login page use it.
    Once a token is made for the request (here, or by a form Flask-WTF built), every
    later call answers that one."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    if token is None:
        raw = session.get(field)
        if not isinstance(raw, str):
            raw = session[field] = secrets.token_hex(20)  # as long as Flask-WTF's
        secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        token = _csrf_serializer(secret).dumps(raw)
        setattr(g, field, token)
    return token


_CSRF_TEMPLATE_CONTEXT = {"csrf_token": csrf_token}


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
    # Flask-WTF offers its generate_csrf both as a global and from a context processor.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: _CSRF_TEMPLATE_CONTEXT)
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
    return "_user_id" in session or "HTTP_AUTHORIZATION" in request.environ
