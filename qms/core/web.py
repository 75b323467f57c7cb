"""Template globals, filters and error pages shared by every blueprint."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from qms.core import audit
from qms.core.enums import ENUMS
from qms.core.errors import ServiceError
from qms.core.origins import origin_link
from qms.core.permissions import template_can

#: Paths answered in JSON (the API); everything else gets HTML pages.
API_PATH_PREFIX = "/api/"


def _local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return "—"
    return format_datetime(value, fmt)  # rebased to BABEL_DEFAULT_TIMEZONE


def _local_date(value: date | None, fmt: str = "medium") -> str:
    return "—" if value is None else format_date(value, fmt)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(can=template_can, get_locale=get_locale, enums=ENUMS,
                                 origin_link=origin_link)
    app.jinja_env.filters["datetime"] = _local_datetime
    app.jinja_env.filters["date"] = _local_date
    app.jinja_env.filters["audit_action"] = audit.action_label
    app.jinja_env.filters["audit_entity"] = audit.entity_label

    @app.context_processor
    def programme_identity() -> dict:
        return {
            "programme_name": current_app.config["PROGRAMME_NAME"],
            "agency_name": current_app.config["AGENCY_NAME"],
        }

    for status in (400, 403, 404, 405, 409, 413, 429, 500):
        app.register_error_handler(status, _error_page)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(ServiceError, _service_error)


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
    if wants_json():
        errors = {"json": {exc.field: [str(exc.message)]}} if exc.field else None
        return json_error(exc.http_status, str(exc.message), errors)
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


def _csrf_error(error: CSRFError):
    return render_template("errors/error.html", status=400, csrf=True), 400
