"""Home page, language switch and health check."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from qms.core import audit
from qms.core import dashboard as dashboard_cards
from qms.core import pending as pending_work
from qms.core.permissions import authorize, can
from qms.core.time import today_local
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
    items = pending_work.pending_for(current_user) if can(current_user, "pending.view") else []
    today = today_local()
    return render_template("core/dashboard.html", cards=dashboard_cards.cards_for(current_user),
                           pending_total=len(items),
                           pending_overdue=sum(1 for i in items if i.overdue(today)))


@bp.get("/pendientes")
@login_required
def pending():
    """Everything waiting for the current user, overdue first; ``?tipo=`` one section,
    ``?vencidos=1`` only what is overdue."""
    authorize("pending.view")
    kind = request.args.get("tipo") or None
    if kind is not None and pending_work.kind_title(kind) is None:
        kind = None
    overdue_only = request.args.get("vencidos") == "1"
    today = today_local()
    everything = pending_work.pending_for(current_user)
    counts = Counter(item.kind for item in everything)
    items = [i for i in everything if (kind is None or i.kind == kind)
             and (not overdue_only or i.overdue(today))]
    titles = {k.kind: k.title for k in pending_work.kinds()}
    return render_template("core/pending.html", items=items, kind=kind, titles=titles,
                           counts=counts, overdue_only=overdue_only, today=today,
                           overdue_total=sum(1 for i in everything if i.overdue(today)))


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
