"""Template globals, filters and error pages shared by every blueprint."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from qms.core import formats, history
from qms.core.enums import ENUMS
from qms.core.errors import ConflictError, ServiceError, stale_message
from qms.core.navigation import nav_items, nav_section
from qms.core.origins import origin_link
from qms.core.permissions import template_can
from qms.core.workflow import WORKFLOWS

#: Paths answered in JSON (the API); everything else gets HTML pages.
API_PATH_PREFIX = "/api/"


def _upload_types(kinds: str | None = None) -> list[str]:
    """Extensions an upload accepts: ``kinds`` ("csv,xlsx") or the storage's own list."""
    from qms.core.storage import accepted_extensions

    return [k.strip() for k in kinds.split(",")] if kinds else accepted_extensions()


def _upload_accept(kinds: str | None = None) -> str:
    return ",".join(f".{ext}" for ext in _upload_types(kinds))


def init_app(app: Flask) -> None:
    from qms.core import i18n

    i18n.init_app(app)
    app.jinja_env.globals.update(can=template_can, get_locale=get_locale, enums=ENUMS,
                                 workflows=WORKFLOWS, readable_history=history.describe,
                                 record_type_label=history.record_type_label,
                                 origin_link=origin_link, nav_section=nav_section,
                                 nav_items=nav_items)
    formats.init_app(app)
    app.jinja_env.globals.update(upload_types=_upload_types, upload_accept=_upload_accept)

    @app.context_processor
    def programme_identity() -> dict:
        return {
            "programme_name": current_app.config["PROGRAMME_NAME"],
            "agency_name": current_app.config["AGENCY_NAME"],
        }

    for status in (400, 403, 404, 405, 409, 413, 429, 500):
        app.register_error_handler(status, _error_page)
    app.register_error_handler(503, _error_page)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(StaleDataError, _stale)
    app.register_error_handler(IntegrityError, _integrity)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(DataError, _out_of_range)
    app.register_error_handler(OverflowError, _out_of_range)


def wants_json() -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def json_error(status: int, message: str | None = None, errors: dict | None = None,
               headers: dict | None = None):
    """A JSON error in the API's one format: ``{code, status, message?, errors?}``."""
    payload: dict = {"code": status, "status": HTTP_STATUS_CODES.get(status, "Error")}
    if message is not None:
        payload["message"] = message
    if errors:
        payload["errors"] = errors
    response = jsonify(payload)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _error_page(error):
    status = getattr(error, "code", 500) or 500
    if wants_json():
        if not isinstance(error, HTTPException):
            error = InternalServerError()
        data = getattr(error, "data", None) or {}
        return json_error(status, data.get("message"),
                          data.get("errors") or data.get("messages"), data.get("headers"))
    return render_template("errors/error.html", status=status), status


def _service_error(exc: ServiceError):
    """A refusal no view handled (the boundary already rolled back): JSON with the error's
    status on the API; on the web, the message as a flash and back to the page it came from."""
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    if wants_json():
        errors = {"json": {exc.field: [str(exc.message)]}} if exc.field else None
        return json_error(exc.http_status, str(exc.message), errors, headers)
    flash(str(exc.message), "danger")
    return redirect(_same_site_referrer() or url_for("core.index"))


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


#: Seconds a client is asked to wait when the database was too busy to answer.
RETRY_AFTER_SECONDS = 2


def _stale(exc: StaleDataError):
    """Two requests updated one record at once: the later one is a conflict (409)."""
    return _service_error(ConflictError(stale_message()))


def _integrity(exc: IntegrityError):
    """A unique or foreign-key constraint caught what a race let through the services'
    checks (two identical submissions at once): 409 with a message, never a 500."""
    current_app.logger.info("integrity error answered 409: %s", exc.orig)
    return _service_error(ConflictError(_l(
        "Otra solicitud guardó lo mismo al mismo tiempo, o el registro ya no existe. "
        "Revise la versión actual antes de volver a intentarlo.")))


def _out_of_range(exc: Exception):
    """A number or text the database cannot hold slipped past a form or schema (a query
    parameter of 2**64): a 400 with a message, never a 500."""
    current_app.logger.info("value out of range answered 400: %s", exc)
    message = str(_l("Un valor de la solicitud está fuera del rango admitido."))
    if wants_json():
        return json_error(400, message)
    return render_template("errors/error.html", status=400, detail=message), 400


def _database_error(exc: DBAPIError):
    """A lock held longer than the busy timeout: 503 with Retry-After, never a 500."""
    from qms.core.uow import database_busy

    if not database_busy(exc):
        raise exc
    current_app.logger.warning("database busy, answered 503: %s", exc.orig)
    from flask import g

    from qms.extensions import login_manager

    if g.get("_login_user") is None:  # the page must not query the busy database again
        g._login_user = login_manager.anonymous_user()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json():
        return json_error(503, str(_l("El sistema está ocupado. Vuelva a intentarlo en unos "
                                      "segundos.")), headers=headers)
    return render_template("errors/error.html", status=503), 503, headers


def _csrf_error(error: CSRFError):
    return render_template("errors/error.html", status=400, csrf=True), 400
