"""The citizen's side, on the portal: file a complaint, follow it with the code.

No login. Abuse protection without third parties: CSRF, a rate limit per address, a
honeypot field and size limits. A lookup answers only about the code typed: a mistyped
code is told so (its check symbol fails) and an unknown one gets the same answer
whatever other codes exist.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask_babel import gettext as _

from qms.complaints import codes, services
from qms.complaints.forms import ComplaintForm, LookupForm
from qms.core.uow import attempt
from qms.extensions import limiter

bp = Blueprint("complaints_public", __name__, url_prefix="/transparencia/quejas")
_SESSION_KEY = "complaint_filed"


def _filing_limit() -> str:
    return current_app.config.get("COMPLAINT_RATE_LIMIT", "5 per hour")


def _lookup_limit() -> str:
    return current_app.config.get("COMPLAINT_LOOKUP_RATE_LIMIT", "30 per minute")


@bp.route("/nueva", methods=["GET", "POST"])
@limiter.limit(_filing_limit, methods=["POST"])
def new():
    form = ComplaintForm()
    if form.validate_on_submit() and (done := attempt(lambda: services.file_complaint(
            category=form.category.data, description=form.description.data,
            department_code=form.department_code.data,
            municipality_code=form.municipality_code.data or None,
            anonymous=form.anonymous.data, contact_name=form.contact_name.data,
            contact_phone=form.contact_phone.data, contact_email=form.contact_email.data,
            photo=form.photo.data if form.photo.data and form.photo.data.filename else None,
    ), form)):
        session[_SESSION_KEY] = done.value.tracking_code
        return redirect(url_for("complaints_public.filed"))
    status = 422 if form.is_submitted() else 200
    return render_template("complaints/public_new.html", form=form), status


@bp.get("/recibida")
def filed():
    code = session.pop(_SESSION_KEY, None)
    if not code:
        return redirect(url_for("complaints_public.track"))
    return render_template("complaints/public_filed.html", code=codes.display(code))


@bp.route("/seguimiento", methods=["GET", "POST"])
@limiter.limit(_lookup_limit, methods=["POST"])
def track():
    form = LookupForm()
    outcome, complaint = None, None
    if form.validate_on_submit():
        outcome, complaint = services.find_by_code(form.code.data)
        if outcome == "invalid":
            form.code.errors = [_("Ese código no es válido: revise que tenga 13 letras y "
                                  "números y que no falte ni sobre ninguno.")]
        elif outcome == "unknown":
            form.code.errors = [_("No encontramos una queja con ese código. Revise que lo "
                                  "escribió igual que en su comprobante.")]
    return render_template("complaints/public_track.html", form=form, complaint=complaint,
                           outcome=outcome), (200 if outcome in (None, "found") else 404)
