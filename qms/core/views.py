"""Home page, language switch and health check."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from qms.core import audit
from qms.core import dashboard as dashboard_cards
from qms.core.permissions import authorize
from qms.extensions import db

bp = Blueprint("core", __name__)


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site relative paths are followed after a redirect."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("core.dashboard"))


@bp.get("/inicio")
@login_required
def dashboard():
    return render_template("core/dashboard.html", cards=dashboard_cards.cards_for(current_user),
                           panels=dashboard_cards.panels_for(current_user))


@bp.post("/idioma")
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("core.index")))


@bp.get("/auditoria")
@login_required
def audit_log():
    authorize("audit_log.view")
    page = request.args.get("page", 1, type=int)
    entity_type = request.args.get("entity_type") or None
    events = db.paginate(audit.log_query(entity_type), page=page, per_page=50)
    return render_template(
        "core/audit_log.html", events=events, entity_type=entity_type,
        entity_types=audit.entity_types(db.session),
    )


@bp.get("/healthz")
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
