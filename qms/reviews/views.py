"""Management-review pages: the list, planning and entered inputs, the compiled inputs,
holding (freezing), decisions and their actions, the minutes and their approval."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from qms.auth.models import User
from qms.auth.services import people_choices
from qms.core import audit as trail
from qms.core.dashboard import Card, Figure, card_provider
from qms.core.forms import EmptyForm
from qms.core.permissions import authorize, can, get_or_404_authorized
from qms.core.roles import Role
from qms.core.storage import send_stored_file
from qms.core.time import today_local
from qms.core.uow import attempt
from qms.extensions import db
from qms.reviews import minutes, services
from qms.reviews.enums import ReviewStatus
from qms.reviews.facts import URL_PREFIX
from qms.reviews.forms import (
    ActionForm,
    ApproveForm,
    CancelForm,
    ConclusionsForm,
    DecisionForm,
    HoldForm,
    ReviewForm,
)
from qms.reviews.models import ENTERED_INPUTS, ManagementReview, ReviewDecision
from qms.reviews.sections import C_HEADING

bp = Blueprint("reviews", __name__, url_prefix=URL_PREFIX)
ATTENDEE_ROLES = (Role.MANAGER, Role.QUALITY_OFFICER, Role.PROCESS_OWNER, Role.ADMIN,
                  Role.AUDITOR)
OWNER_ROLES = (Role.MANAGER, Role.QUALITY_OFFICER, Role.PROCESS_OWNER, Role.ADMIN)


def _back(review: ManagementReview, anchor: str = ""):
    return redirect(url_for("reviews.detail", review_id=review.id)
                    + (f"#{anchor}" if anchor else ""))


def _users(ids) -> list[User | None]:
    return [db.session.get(User, i) for i in ids or ()]


def _review_form(review: ManagementReview | None = None) -> ReviewForm:
    form = ReviewForm(obj=review)
    keep = [a.user for a in review.attendees] if review else []
    form.attendee_ids.choices = people_choices(roles=ATTENDEE_ROLES)
    known = {c.value for c in form.attendee_ids.choices}
    form.attendee_ids.choices += [c for u in keep if u.id not in known
                                  for c in people_choices(roles=None, keep=u) if c.value == u.id]
    if review is not None and request.method == "GET":
        form.attendee_ids.data = [a.user_id for a in review.attendees]
    return form


def _decision_form() -> DecisionForm:
    form = DecisionForm(prefix="d")
    form.action_owner_id.choices = [(0, "—")] + [(c.value, c.label) for c in
                                                  people_choices(roles=OWNER_ROLES)]
    return form


@bp.get("/", endpoint="list")
@login_required
def list_reviews():
    authorize("review.view")
    status = next((s for s in ReviewStatus if s.value == request.args.get("estado")), None)
    page = db.paginate(services.list_reviews(status), per_page=30)
    return render_template("reviews/list.html", page=page, status=status)


@bp.route("/nueva", methods=["GET", "POST"])
@login_required
def new():
    authorize("review.create")
    form = _review_form()
    if request.method == "GET":
        today = today_local()
        form.planned_on.data = today
        form.period_start.data = today.replace(year=today.year - 1, day=1)
        form.period_end.data = today
    if form.validate_on_submit() and (done := attempt(lambda: services.create_review(
            title=form.title.data, planned_on=form.planned_on.data,
            period_start=form.period_start.data, period_end=form.period_end.data,
            location=form.location.data, attendees=_users(form.attendee_ids.data),
            external_attendees=form.external_attendees.data, actor=current_user), form)):
        flash(_("Revisión %(code)s planificada.", code=done.value.code), "success")
        return redirect(url_for("reviews.edit", review_id=done.value.id))
    return render_template("reviews/form.html", form=form, review=None)


def _detail_context(review: ManagementReview, **forms) -> dict:
    held = review.status in (ReviewStatus.HELD, ReviewStatus.MINUTES_APPROVED)
    data = review.snapshot if held else review.compiled
    hold_form = forms.get("hold_form") or HoldForm(prefix="h", obj=review)
    if hold_form.held_on.data is None:
        hold_form.held_on.data = min(review.planned_on, today_local())
    context = {
        "review": review, "sections": minutes.section_views(data) if data else None,
        "data": data, "held": held, "c_heading": str(C_HEADING),
        "frozen_at": datetime.fromisoformat(data["compiled_at"]) if held and data else None,
        "intact": services.snapshot_intact(review) if held else None,
        "missing": services.missing_entered_inputs(review)
        if review.status == ReviewStatus.PLANNED else [],
        "events": trail.history(db.session, review),
        "button_form": EmptyForm(), "hold_form": hold_form,
        "cancel_form": forms.get("cancel_form") or CancelForm(prefix="c", obj=review),
        "conclusions_form": forms.get("conclusions_form") or ConclusionsForm(prefix="k",
                                                                              obj=review),
        "decision_form": forms.get("decision_form") or _decision_form(),
        "approve_form": forms.get("approve_form") or ApproveForm(prefix="a", obj=review),
        "action_forms": {d.id: ActionForm(prefix=f"x{d.id}", obj=d,
                                          status=d.action_status.value if d.action_status
                                          else None)
                         for d in review.decisions if d.has_action},
    }
    for key in ("hold_form", "cancel_form", "conclusions_form", "approve_form"):
        if context[key].version.data is None:
            context[key].version.data = review.version
    return context


@bp.get("/<int:review_id>")
@login_required
def detail(review_id: int):
    review = get_or_404_authorized(ManagementReview, review_id, "review.view")
    return render_template("reviews/detail.html", **_detail_context(review))


@bp.route("/<int:review_id>/editar", methods=["GET", "POST"])
@login_required
def edit(review_id: int):
    review = get_or_404_authorized(ManagementReview, review_id, "review.edit")
    if not review.inputs_editable:
        flash(_("La revisión %(code)s ya se realizó: sus datos de entrada están congelados y no "
                "se modifican.", code=review.code), "warning")
        return _back(review)
    form = _review_form(review)
    if request.method == "GET":
        form.read_version(review)
    if form.validate_on_submit() and attempt(lambda: services.update_review(
            review, expected_version=form.version.data, title=form.title.data,
            planned_on=form.planned_on.data, period_start=form.period_start.data,
            period_end=form.period_end.data, location=form.location.data,
            attendees=_users(form.attendee_ids.data),
            external_attendees=form.external_attendees.data,
            entered={c: getattr(form, c).data for c in ENTERED_INPUTS}), form):
        flash(_("Revisión %(code)s guardada.", code=review.code), "success")
        return _back(review)
    return render_template("reviews/form.html", form=form, review=review)


@bp.post("/<int:review_id>/compilar")
@login_required
def compile_inputs(review_id: int):
    review = get_or_404_authorized(ManagementReview, review_id, "review.edit")
    if EmptyForm().validate_on_submit():
        services.compile_review(review)
        flash(_("Datos de entrada compilados de los registros del periodo."), "success")
    return _back(review, "entradas")


@bp.post("/<int:review_id>/realizar")
@login_required
def hold(review_id: int):
    review = get_or_404_authorized(ManagementReview, review_id, "review.edit")
    form = HoldForm(prefix="h")
    if form.validate_on_submit() and attempt(lambda: services.hold_review(
            review, expected_version=form.version.data, held_on=form.held_on.data,
            actor=current_user), form):
        flash(_("Revisión %(code)s realizada: sus datos de entrada quedaron congelados.",
                code=review.code), "success")
        return _back(review, "entradas")
    review = db.session.get(ManagementReview, review_id)
    return render_template("reviews/detail.html", **_detail_context(review, hold_form=form)), 422


@bp.post("/<int:review_id>/anular")
@login_required
def cancel(review_id: int):
    review = get_or_404_authorized(ManagementReview, review_id, "review.edit")
    form = CancelForm(prefix="c")
    if form.validate_on_submit() and attempt(lambda: services.cancel_review(
            review, expected_version=form.version.data, reason=form.reason.data), form):
        flash(_("Revisión %(code)s anulada.", code=review.code), "success")
        return _back(review)
    review = db.session.get(ManagementReview, review_id)
    return render_template("reviews/detail.html",
                           **_detail_context(review, cancel_form=form)), 422


@bp.post("/<int:review_id>/conclusiones")
@login_required
def conclusions(review_id: int):
    review = get_or_404_authorized(ManagementReview, review_id, "review.edit")
    form = ConclusionsForm(prefix="k")
    if form.validate_on_submit() and attempt(lambda: services.update_conclusions(
            review, expected_version=form.version.data, conclusions=form.conclusions.data),
            form):
        flash(_("Conclusiones guardadas."), "success")
        return _back(review, "salidas")
    review = db.session.get(ManagementReview, review_id)
    return render_template("reviews/detail.html",
                           **_detail_context(review, conclusions_form=form)), 422


@bp.post("/<int:review_id>/decisiones")
@login_required
def add_decision(review_id: int):
    review = get_or_404_authorized(ManagementReview, review_id, "review.edit")
    form = _decision_form()
    if form.validate_on_submit() and (done := attempt(lambda: services.add_decision(
            review, kind=form.kind.data, text=form.text.data,
            action_description=form.action_description.data,
            owner=db.session.get(User, form.action_owner_id.data)
            if form.action_owner_id.data else None,
            due_on=form.action_due_on.data, actor=current_user), form)):
        flash(_("Decisión %(label)s registrada.", label=done.value.label), "success")
        return _back(review, "salidas")
    review = db.session.get(ManagementReview, review_id)
    return render_template("reviews/detail.html",
                           **_detail_context(review, decision_form=form)), 422


@bp.post("/decisiones/<int:decision_id>/accion")
@login_required
def update_action(decision_id: int):
    decision = get_or_404_authorized(ReviewDecision, decision_id, "review.action_update")
    form = ActionForm(prefix=f"x{decision.id}")
    upload = form.evidence_file.data
    has_file = upload is not None and getattr(upload, "filename", "")
    if form.validate_on_submit() and attempt(lambda: services.update_action(
            decision, expected_version=form.version.data, status=form.status.data,
            evidence=form.evidence.data, evidence_file=upload.stream if has_file else None,
            evidence_name=upload.filename if has_file else "", actor=current_user), form):
        flash(_("Avance de la acción %(label)s registrado.", label=decision.label), "success")
    elif form.errors:
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
    return _back(decision.review, f"d{decision.id}")


@bp.get("/decisiones/<int:decision_id>/evidencia")
@login_required
def evidence(decision_id: int):
    decision = get_or_404_authorized(ReviewDecision, decision_id, "review.view")
    authorize("review.view", decision.review)
    if decision.action_evidence_file is None:
        abort(404)
    return send_stored_file(decision.action_evidence_file, inline=True)


# ------------------------------------------------------------------------ minutes


@bp.get("/<int:review_id>/acta")
@login_required
def minutes_page(review_id: int):
    review = get_or_404_authorized(ManagementReview, review_id, "review.view")
    if review.snapshot is None:
        flash(_("El acta existe cuando la revisión se ha realizado."), "info")
        return _back(review)
    return render_template("reviews/minutes.html", review=review,
                           minutes=minutes.gather(review))


@bp.get("/<int:review_id>/acta.pdf")
@login_required
def minutes_pdf(review_id: int):
    """The signed, stored minutes; before approval, a draft rendered from the snapshot."""
    review = get_or_404_authorized(ManagementReview, review_id, "review.view")
    if review.minutes_file is not None:
        return send_stored_file(review.minutes_file, inline=True)
    if review.snapshot is None:
        abort(404)
    rendered = minutes.render(minutes.gather(review))
    return Response(rendered.content, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="borrador-acta-{review.code}.pdf"'})


@bp.post("/<int:review_id>/aprobar")
@login_required
def approve(review_id: int):
    review = get_or_404_authorized(ManagementReview, review_id, "review.view")
    if current_user.role != Role.MANAGER:
        abort(403)
    form = ApproveForm(prefix="a")
    if form.validate_on_submit() and attempt(lambda: minutes.approve_minutes(
            review, expected_version=form.version.data, actor=current_user,
            password=form.password.data), form):
        flash(_("Acta de la revisión %(code)s aprobada y firmada.", code=review.code), "success")
        return _back(review, "acta")
    review = db.session.get(ManagementReview, review_id)
    status = 409 if review.status == ReviewStatus.MINUTES_APPROVED else 422
    return render_template("reviews/detail.html",
                           **_detail_context(review, approve_form=form)), status


@card_provider
def _reviews_card(user) -> Card | None:
    # for those who act on reviews: the editors who compile them, management who approves
    if not (can(user, "review.create") or can(user, "review.approve")):
        return None
    counts = dict(db.session.execute(
        select(ManagementReview.status, func.count(ManagementReview.id))
        .group_by(ManagementReview.status)).all())
    return Card(title=_("Revisión por la dirección"), url=url_for("reviews.list"), order=70,
                figures=[Figure(_("Planificadas"), counts.get(ReviewStatus.PLANNED, 0),
                                url_for("reviews.list", estado=ReviewStatus.PLANNED.value)),
                         Figure(_("Acta por aprobar"), counts.get(ReviewStatus.HELD, 0),
                                url_for("reviews.list", estado=ReviewStatus.HELD.value))])
