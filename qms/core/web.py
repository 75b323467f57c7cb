"""Template globals, filters and error pages shared by every blueprint."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, render_template, request
from flask_babel import format_date, format_datetime, get_locale
from flask_wtf.csrf import CSRFError

from qms.core import audit
from qms.core.permissions import template_can


def _local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return "—"
    return format_datetime(value, fmt)  # rebased to BABEL_DEFAULT_TIMEZONE


def _local_date(value: date | None, fmt: str = "medium") -> str:
    return "—" if value is None else format_date(value, fmt)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(can=template_can, get_locale=get_locale)
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


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_page(error):
    status = getattr(error, "code", 500) or 500
    if _wants_json():
        from qms.api import error_response

        return error_response(error)
    return render_template("errors/error.html", status=status), status


def _csrf_error(error: CSRFError):
    return render_template("errors/error.html", status=400, csrf=True), 400
