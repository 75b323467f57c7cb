"""Inbox (each user's own), preferences, the rules' settings, the outbox, managers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from qms.auth.models import User
from qms.core.forms import EmptyForm
from qms.core.permissions import authorize, can
from qms.core.settings import get_setting, set_setting
from qms.core.uow import attempt
from qms.extensions import db
from qms.reminders import mail, outbox, services
from qms.reminders.forms import ManagerForm, PreferencesForm, settings_form
from qms.reminders.models import Notification, OutboxMessage, OutboxStatus, ReminderPreference
from qms.reminders.rules import RULES

bp = Blueprint("reminders", __name__, url_prefix="/avisos")


@bp.get("/", endpoint="inbox")
@login_required
def inbox():
    authorize("reminders.inbox")
    unread_only = request.args.get("no_leidos") == "1"
    page = db.paginate(services.inbox_query(current_user.id, unread_only=unread_only),
                       per_page=30)
    entries = [(n, mail.describe(n), mail.rule_label(n)) for n in page.items]
    return render_template("reminders/inbox.html", page=page, entries=entries,
                           unread_only=unread_only, form=EmptyForm())


@bp.post("/<int:notification_id>/leido")
@login_required
def mark_read(notification_id: int):
    authorize("reminders.inbox")
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("reminders.inbox"))
    notification = db.get_or_404(Notification, notification_id)
    if notification.user_id != current_user.id:
        abort(403)  # each inbox is its owner's only
    services.mark_read(current_user.id, notification.id)
    if request.form.get("abrir") == "1":
        return redirect(mail.link_path(notification))
    return redirect(request.referrer or url_for("reminders.inbox"))


@bp.post("/leidos")
@login_required
def mark_all_read():
    authorize("reminders.inbox")
    if EmptyForm().validate_on_submit():
        count = services.mark_all_read(current_user.id)
        flash(_("%(n)s avisos marcados como leídos.", n=count), "success")
    return redirect(url_for("reminders.inbox"))


@bp.route("/preferencias", methods=["GET", "POST"])
@login_required
def preferences():
    authorize("reminders.inbox")
    pref = services.preference(current_user.id)
    form = PreferencesForm()
    if request.method == "GET":
        form.delivery.data = pref.delivery.value
        form.rules.data = [code for code in RULES if code not in (pref.muted_rules or [])]
        form.version.data = pref.version or ""
    if form.validate_on_submit() and attempt(lambda: services.update_preferences(
            current_user.id, delivery=form.delivery.data, mailed_rules=form.rules.data or [],
            expected_version=form.version.data), form):
        flash(_("Preferencias de avisos guardadas."), "success")
        return redirect(url_for("reminders.preferences"))
    return render_template("reminders/preferences.html", form=form)


@bp.route("/configuracion", methods=["GET", "POST"])
@login_required
def settings():
    authorize("reminders.configure")
    form, specs = settings_form()
    if request.method == "GET":
        for spec in specs:
            form[spec.key.replace(".", "__")].data = get_setting(spec.key)

    def save() -> None:
        for spec in specs:
            set_setting(spec.key, form[spec.key.replace(".", "__")].data)

    if form.validate_on_submit() and attempt(save, form):
        flash(_("Configuración de avisos guardada."), "success")
        return redirect(url_for("reminders.settings"))
    return render_template("reminders/settings.html", form=form, specs=specs)


@bp.get("/bandeja-de-salida")
@login_required
def outbox_page():
    authorize("reminders.outbox")
    status = request.args.get("estado") or None
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status:
        try:
            query = query.where(OutboxMessage.status == OutboxStatus(status))
        except ValueError:
            abort(400)
    counts = dict(db.session.execute(select(OutboxMessage.status, func.count())
                                     .group_by(OutboxMessage.status)).all())
    page = db.paginate(query, per_page=50)
    return render_template("reminders/outbox.html", page=page, counts=counts, status=status,
                           form=EmptyForm())


@bp.post("/bandeja-de-salida/<int:message_id>/reintentar")
@login_required
def retry(message_id: int):
    authorize("reminders.outbox")
    message = db.get_or_404(OutboxMessage, message_id)
    if EmptyForm().validate_on_submit() and message.status != OutboxStatus.SENT:
        outbox.retry(message)
        flash(_("El mensaje se volverá a enviar en la próxima pasada."), "success")
    return redirect(url_for("reminders.outbox_page", estado=request.args.get("estado")))


@bp.route("/jefes", methods=["GET", "POST"])
@login_required
def managers():
    authorize("reminders.managers")
    users = db.session.scalars(select(User).where(User.active.is_(True))
                               .order_by(User.full_name)).all()
    form = ManagerForm()
    form.manager_id.choices = [SelectChoice("", "—")] + [SelectChoice(u.id, u.full_name)
                                                          for u in users]
    if form.validate_on_submit():
        target = db.get_or_404(User, int(form.user_id.data))
        if attempt(lambda: services.set_manager(target.id, form.manager_id.data), form):
            flash(_("Jefe inmediato de %(name)s guardado.", name=target.full_name), "success")
            return redirect(url_for("reminders.managers"))
    current = {p.user_id: p.manager_id for p in db.session.scalars(select(ReminderPreference))}
    return render_template("reminders/managers.html", users=users, current=current, form=form)


def unread_badge() -> dict:
    """Template global: the bell's unread count for the signed-in user."""
    def reminders_unread() -> int:
        if not current_user.is_authenticated or not can(current_user, "reminders.inbox"):
            return 0
        return services.unread_count(current_user.id)

    return {"reminders_unread": reminders_unread}

