"""Home page, language switch and health check."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import text

from qms.core import audit_log, chain, export_jobs, history
from qms.core import dashboard as dashboard_cards
from qms.core import pending as pending_work
from qms.core.errors import ValidationError
from qms.core.i18n import LANGUAGE_CHOSEN
from qms.core.limits import safe_page
from qms.core.permissions import authorize, can
from qms.core.spreadsheets import export_filename, send_table
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
    pending = pending_work.pending_count(current_user) if can(current_user, "pending.view") \
        else pending_work.PendingCount()
    return render_template("core/dashboard.html", cards=dashboard_cards.cards_for(current_user),
                           panels=dashboard_cards.panels_for(current_user),
                           pending_total=pending.total, pending_overdue=pending.overdue)


@bp.get("/pendientes")
@login_required
def pending():
    """Everything waiting for the current user, overdue first, a page at a time;
    ``?tipo=`` one section, ``?vencidos=1`` only what is overdue."""
    authorize("pending.view")
    kind = request.args.get("tipo") or None
    if kind is not None and pending_work.kind_title(kind) is None:
        kind = None
    overdue_only = request.args.get("vencidos") == "1"
    counts = pending_work.counts_for(current_user)
    page = pending_work.pending_page(current_user, kind=kind, overdue_only=overdue_only,
                                     page=request.args.get("page", 1, type=int))
    titles = {k.kind: k.title for k in pending_work.kinds()}
    return render_template("core/pending.html", page=page, kind=kind, titles=titles,
                           counts={k: c.total for k, c in counts.items()},
                           overdue_only=overdue_only, today=today_local(),
                           overdue_total=sum(c.overdue for c in counts.values()))


@bp.post("/idioma")
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        # The loaded account remembers it (an audited change of "Idioma", committed by
        # the request boundary); core sets the attribute and imports no auth service.
        current_user.locale = lang
    else:
        session[LANGUAGE_CHOSEN] = True  # logging in will store it on the account
    return redirect(safe_next(request.form.get("next"), url_for("core.index")))


def _log_filters() -> tuple[audit_log.LogFilters, str | None]:
    """The page's filters; a bad one is dropped with its message shown on the page."""
    try:
        return audit_log.parse_filters(request.args), None
    except ValidationError as exc:
        return audit_log.LogFilters(), str(exc.message)


@bp.get("/auditoria", endpoint="audit_log")
@login_required
def audit_log_page():
    """The trail newest first, 50 events a page read by id (``?antes=``/``?despues=``), with
    the chain's status as last verified in the background (nothing is verified here)."""
    authorize("audit_log.view")
    filters, error = _log_filters()
    try:
        position = audit_log.parse_position(request.args)
    except ValidationError as exc:
        position, error = audit_log.Position(), error or str(exc.message)
    page = safe_page(request.args["page"]) if "page" in request.args else None
    if page is not None and not error:  # an old numbered link: its keyset equivalent
        target = audit_log.legacy_page_position(filters, page) if page > 1 \
            else audit_log.Position()
        return redirect(url_for("core.audit_log", **filters.as_args(), **target.as_args()))
    chain_status = chain.status(db.session)
    window = audit_log.window(filters, position, total=None if filters.active
                              else chain_status.trail_length)
    entries = audit_log.with_links(history.describe(window.events))
    return render_template(
        "core/audit_log.html", window=window, entries=entries, filters=filters,
        filter_error=error, chain=chain_status,
        actor_choices=audit_log.actor_choices(), type_choices=audit_log.type_choices(),
    ), 400 if error else 200


@bp.get("/auditoria/exportar.<fmt>", endpoint="audit_log_export")
@login_required
def audit_log_export(fmt: str):
    authorize("audit_log.view")
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters, error = _log_filters()
    if error:
        abort(400, error)
    # Above the format's threshold (``EXPORT_BACKGROUND_ROWS_*``) the file is built in
    # the background with its progress shown: the whole trail is hundreds of thousands
    # of events, far more than a request can write before the worker timeout.
    total = audit_log.export_count(filters)
    if total > current_app.config[f"EXPORT_BACKGROUND_ROWS_{fmt.upper()}"]:
        token = export_jobs.start(
            "audit_log", params={"args": filters.as_args(), "format": fmt},
            filename=export_filename(_("pista de auditoria"), ext=fmt), total=total,
            back=url_for("core.audit_log", **filters.as_args()))
        return redirect(url_for("exports.progress", token=token))
    return send_table(fmt, [_("pista de auditoria")], audit_log.export_title(),
                      _("Pista de auditoría"), audit_log.export_columns(),
                      audit_log.export_rows(filters))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask the site root for it, whatever page they show (a PDF, the API)."""
    return send_from_directory(current_app.static_folder, "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=86400)


@bp.get("/healthz")
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
