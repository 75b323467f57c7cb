"""The audits calendar: a month page and each person's secret ICS feed. Same blueprint
as :mod:`qms.audits.views`."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from qms.audits import calendar
from qms.audits.views import bp
from qms.core.forms import EmptyForm
from qms.core.permissions import authorize
from qms.core.time import today_local

#: Session key holding a newly issued feed address until the next calendar page shows it.
_NEW_FEED = "audits_new_calendar_feed"


@bp.get("/calendario", endpoint="calendar_today")
@login_required
def calendar_today():
    authorize("audit.view")
    today = today_local()
    return redirect(url_for("audits.calendar", year=today.year, month=today.month))


@bp.get("/calendario/<int:year>/<int:month>", endpoint="calendar")
@login_required
def calendar_page(year: int, month: int):
    authorize("audit.view")
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        abort(404)
    new_token = session.pop(_NEW_FEED, None)
    return render_template(
        "audits/calendar.html", view=calendar.month_view(year, month), today=today_local(),
        feed=calendar.feed_of(current_user), reset_form=EmptyForm(),
        every_audit=calendar.sees_every_audit(current_user),
        new_feed_url=url_for("audits.calendar_feed", token=new_token, _external=True)
        if new_token else None)


@bp.post("/calendario/enlace", endpoint="calendar_reset")
@login_required
def calendar_reset():
    authorize("audit.view")
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    had_one = calendar.feed_of(current_user) is not None
    session[_NEW_FEED] = calendar.issue_feed_token(current_user)
    flash(_("Nueva dirección del calendario creada: la anterior ya no funciona.") if had_one
          else _("Dirección del calendario creada."), "success")
    today = today_local()
    return redirect(url_for("audits.calendar", year=today.year, month=today.month) + "#feed")


@bp.get("/calendario/<token>.ics", endpoint="calendar_feed")
def calendar_feed(token: str):
    """Public by design (calendar apps send no cookie): the secret address is the key."""
    feed = calendar.feed_for_token(token)
    if feed is None:
        abort(404)
    body = calendar.build_feed(feed.user, today_local())
    calendar.mark_used(feed)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="auditorias.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
