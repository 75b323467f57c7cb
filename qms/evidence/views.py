"""Evidence packs in the browser: request (generated in the background), follow the
progress, download, share with a certifier, widen or revoke the share, and read what the
certifiers opened."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from qms.auth.facts import certifier_accounts
from qms.auth.models import User
from qms.core import audit
from qms.core.forms import EmptyForm, choices
from qms.core.permissions import authorize, can, get_or_404_authorized
from qms.core.roles import Role
from qms.core.time import today_local
from qms.core.uow import attempt
from qms.evidence import jobs, services
from qms.evidence.forms import (
    PackForm,
    RevokeForm,
    ShareForm,
    WidenForm,
    clause_choices,
    process_code_choices,
)
from qms.evidence.models import CertifierView, EvidencePack, PackShare
from qms.extensions import db

bp = Blueprint("evidence", __name__, url_prefix="/evidencias")


def _status(pack: EvidencePack) -> dict:
    return {"status": pack.status.value, "label": pack.status.label, "progress": pack.progress,
            "stage": pack.stage, "ready": pack.is_ready, "error": pack.error or ""}


@bp.get("/", endpoint="list")
@login_required
def list_packs():
    authorize("evidence.list")
    if current_user.role == Role.CERTIFIER:
        shares = services.active_shares(current_user.id)
        return render_template("evidence/certifier_list.html", shares=shares)
    if can(current_user, "evidence.manage"):
        jobs.recover()
    packs = db.paginate(select(EvidencePack).order_by(EvidencePack.id.desc()), per_page=30)
    return render_template("evidence/list.html", page=packs)


@bp.route("/nuevo", methods=["GET", "POST"])
@login_required
def new():
    authorize("evidence.manage")
    form = PackForm()
    form.process_codes.choices = process_code_choices()
    form.clauses.choices = clause_choices()
    if request.method == "GET":
        today = today_local()
        form.start.data = today.replace(month=1, day=1)
        form.end.data = today
    if form.validate_on_submit() and (done := attempt(lambda: services.request_pack(
            user=current_user, start=form.start.data, end=form.end.data,
            process_codes=form.process_codes.data or [], clauses=form.clauses.data or [],
            attach_files=form.attach_files.data, as_zip=form.as_zip.data), form)):
        flash(_("Paquete en preparación: esta página muestra su avance."), "success")
        return redirect(url_for("evidence.detail", pack_id=done.value.id))
    return render_template("evidence/form.html", form=form)


def _share_form(pack: EvidencePack) -> ShareForm:
    form = ShareForm(prefix="share")
    form.certifier_id.choices = choices(
        [(0, _("Elija…"))] + [(c.user_id, f"{c.full_name} ({c.username})")
                              for c in certifier_accounts(today_local())])
    codes = process_code_choices()
    if pack.process_codes:
        codes = [c for c in codes if c.value in pack.process_codes]
    form.process_codes.choices = codes
    return form


def _widen_form(share: PackShare) -> WidenForm:
    form = WidenForm(prefix=f"widen{share.id}", obj=None)
    codes = process_code_choices()
    form.add_process_codes.choices = [
        c for c in codes if c.value not in share.process_codes
        and (not share.pack.process_codes or c.value in share.pack.process_codes)]
    return form


@bp.get("/<int:pack_id>")
@login_required
def detail(pack_id: int):
    pack = get_or_404_authorized(EvidencePack, pack_id, "evidence.view")
    manage = can(current_user, "evidence.manage")
    share_form = _share_form(pack) if manage else None
    if share_form is not None and not share_form.starts_on.data:
        share_form.starts_on.data = today_local()
        share_form.ends_on.data = today_local() + timedelta(days=14)
        share_form.process_codes.data = [c.value for c in share_form.process_codes.choices]
    widen = {}
    revoke = {}
    if manage:
        for s in pack.shares:
            widen[s.id] = _widen_form(s)
            widen[s.id].read_version(s)
            revoke[s.id] = RevokeForm(prefix=f"revoke{s.id}")
            revoke[s.id].read_version(s)
    mine = [s for s in pack.shares if s.certifier_id == current_user.id]
    events = [e for s in pack.shares for e in audit.history(db.session, s)] if manage else []
    return render_template("evidence/detail.html", pack=pack, status=_status(pack),
                           share_form=share_form, widen=widen, revoke=revoke, mine=mine,
                           events=events, button=EmptyForm())


@bp.get("/<int:pack_id>/estado")
@login_required
def status(pack_id: int):
    pack = get_or_404_authorized(EvidencePack, pack_id, "evidence.view")
    return jsonify(_status(pack))


@bp.get("/<int:pack_id>/descargar")
@login_required
def download(pack_id: int):
    from flask import send_file

    pack = get_or_404_authorized(EvidencePack, pack_id, "evidence.view")
    path = jobs.pack_path(pack)
    if not pack.is_ready or path is None or not path.exists():
        abort(404)
    return send_file(path, mimetype="application/zip" if pack.as_zip else "application/pdf",
                     as_attachment=True, download_name=pack.download_name, max_age=0)


@bp.post("/<int:pack_id>/regenerar")
@login_required
def regenerate(pack_id: int):
    authorize("evidence.manage")
    old = db.get_or_404(EvidencePack, pack_id)
    pack = services.request_pack(user=current_user, start=old.period_start, end=old.period_end,
                                 process_codes=old.process_codes, clauses=old.clauses,
                                 attach_files=old.attach_files, as_zip=old.as_zip)
    flash(_("Paquete en preparación: esta página muestra su avance."), "success")
    return redirect(url_for("evidence.detail", pack_id=pack.id))


@bp.post("/<int:pack_id>/compartir")
@login_required
def share(pack_id: int):
    authorize("evidence.manage")
    pack = db.get_or_404(EvidencePack, pack_id)
    form = _share_form(pack)
    if form.validate_on_submit() and attempt(lambda: services.share_pack(
            pack, certifier=db.session.get(User, form.certifier_id.data),
            starts_on=form.starts_on.data, ends_on=form.ends_on.data,
            process_codes=form.process_codes.data or []), form):
        flash(_("Paquete compartido con el auditor externo."), "success")
    else:
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "danger")
    return redirect(url_for("evidence.detail", pack_id=pack.id))


@bp.post("/compartidos/<int:share_id>/ampliar")
@login_required
def widen_share(share_id: int):
    authorize("evidence.manage")
    share = db.get_or_404(PackShare, share_id)
    form = _widen_form(share)
    if form.validate_on_submit() and attempt(lambda: services.widen_share(
            share, expected_version=form.version.data, ends_on=form.ends_on.data,
            add_process_codes=form.add_process_codes.data or []), form):
        flash(_("Acceso ampliado."), "success")
    else:
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "danger")
    return redirect(url_for("evidence.detail", pack_id=share.pack_id))


@bp.post("/compartidos/<int:share_id>/revocar")
@login_required
def revoke_share(share_id: int):
    authorize("evidence.manage")
    share = db.get_or_404(PackShare, share_id)
    form = RevokeForm(prefix=f"revoke{share.id}")
    if form.validate_on_submit() and attempt(lambda: services.revoke_share(
            share, expected_version=form.version.data, reason=form.reason.data), form):
        flash(_("Acceso revocado."), "success")
    else:
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "danger")
    return redirect(url_for("evidence.detail", pack_id=share.pack_id))


@bp.get("/accesos")
@login_required
def access_log():
    """What the certifiers looked at, by day and record."""
    authorize("evidence.access_log")
    certifiers = certifier_accounts(today_local() - timedelta(days=3650))
    picked = request.args.get("auditor", type=int)
    query = (select(CertifierView.day, CertifierView.user_id, CertifierView.endpoint,
                    CertifierView.record_type, CertifierView.record_id,
                    func.count().label("times"), func.min(CertifierView.occurred_at).label("first"),
                    func.max(CertifierView.occurred_at).label("last"),
                    func.max(CertifierView.status_code).label("status"),
                    func.max(CertifierView.path).label("path"),
                    func.max(CertifierView.is_file).label("is_file"))
             .group_by(CertifierView.day, CertifierView.user_id, CertifierView.endpoint,
                       CertifierView.record_type, CertifierView.record_id)
             .order_by(CertifierView.day.desc(), CertifierView.user_id,
                       func.min(CertifierView.occurred_at)))
    if picked:
        query = query.where(CertifierView.user_id == picked)
    rows = db.session.execute(query.limit(2000)).all()
    names = {c.user_id: c.full_name for c in certifiers}
    days: dict = {}
    for r in rows:
        days.setdefault(r.day, []).append(r)
    return render_template("evidence/access_log.html", days=days, names=names,
                           certifiers=certifiers, picked=picked)
