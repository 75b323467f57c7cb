"""Management reviews through the API: list and read (with the compiled or frozen
inputs and the decisions), compile, and the state steps (hold, approve the minutes with
the signer's password, cancel)."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from qms.api import Blueprint, authorize_first
from qms.auth.models import User
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.text import Text
from qms.extensions import db
from qms.reviews import minutes, services
from qms.reviews.enums import DecisionKind, ReviewActionStatus, ReviewStatus
from qms.reviews.models import ManagementReview

blp = Blueprint("reviews_api", __name__, url_prefix="/reviews",
                description="Management reviews [ISO 9001:2015 9.3]")


class ReviewDecisionSchema(Schema):
    id = fields.Int(dump_only=True)
    number = fields.Int(dump_only=True)
    kind = fields.Enum(DecisionKind, by_value=True, required=True)
    text = Text(required=True, min_length=1, max_length=5000)
    action_description = Text(load_default="", max_length=5000)
    action_owner_id = fields.Int(load_default=None, allow_none=True)
    action_due_on = fields.Date(load_default=None, allow_none=True)
    action_status = fields.Enum(ReviewActionStatus, by_value=True, dump_only=True,
                                allow_none=True)
    action_completed_at = fields.DateTime(dump_only=True, allow_none=True)
    version = fields.Int(dump_only=True)


class ReviewSchema(Schema):
    id = fields.Int()
    code = Text()
    title = Text()
    status = fields.Enum(ReviewStatus, by_value=True)
    planned_on = fields.Date()
    held_on = fields.Date(allow_none=True)
    location = Text()
    period_start = fields.Date()
    period_end = fields.Date()
    attendees = fields.Method("_attendees")
    external_attendees = fields.Method("_external")
    cancel_reason = Text(allow_none=True)
    conclusions = Text()
    compiled_at = fields.DateTime(allow_none=True)
    snapshot_sha256 = Text(allow_none=True, metadata={
        "description": "SHA-256 of the inputs frozen when the review was held"})
    minutes_approved_at = fields.DateTime(allow_none=True)
    minutes_approved_by = Text(attribute="minutes_approved_by.username", allow_none=True)
    minutes_sha256 = Text(allow_none=True)
    version = fields.Int()

    def _attendees(self, review):
        return [a.user.username for a in review.attendees]

    def _external(self, review):
        return [line.strip() for line in review.external_attendees.splitlines() if line.strip()]


class ReviewDetailSchema(ReviewSchema):
    inputs = fields.Method("_inputs", metadata={
        "description": "The 9.3.2 sections: frozen once held, else the latest compilation. "
                       "Each figure is {k: key, v: value, u: link}."})
    decisions = fields.List(fields.Nested(ReviewDecisionSchema))

    def _inputs(self, review):
        return review.snapshot if review.snapshot is not None else review.compiled


class ReviewTransitionSchema(Schema):
    target = fields.Enum(ReviewStatus, by_value=True, required=True)
    version = fields.Int(required=True, metadata={"description": "The version you read"})
    held_on = fields.Date(load_default=None, metadata={"description": "For `held`"})
    password = Text(load_default="", load_only=True, metadata={
        "description": "The signer's password, for `minutes_approved`"})
    reason = Text(load_default="", validate=validate.Length(max=2000),
                        metadata={"description": "For `cancelled`"})


@blp.route("/")
class Reviews(MethodView):
    @blp.response(200, ReviewSchema(many=True))
    def get(self):
        """List management reviews, newest first"""
        authorize("review.view")
        return db.session.scalars(services.list_reviews()).all()


@blp.route("/<int:review_id>")
class ReviewItem(MethodView):
    @blp.response(200, ReviewDetailSchema)
    def get(self, review_id):
        """Read a review with its inputs and decisions"""
        return get_or_404_authorized(ManagementReview, review_id, "review.view")


@blp.route("/<int:review_id>/compile")
class Compile(MethodView):
    @authorize_first("review.edit", ManagementReview, "review_id")
    @blp.response(200, ReviewDetailSchema)
    def post(self, review_id):
        """Compile the inputs from the records of the period (a planned review)"""
        return services.compile_review(db.session.get(ManagementReview, review_id))


@blp.route("/<int:review_id>/transitions")
class Transitions(MethodView):
    @authorize_first("review.view", ManagementReview, "review_id")
    @blp.arguments(ReviewTransitionSchema)
    @blp.response(200, ReviewDetailSchema)
    def post(self, data, review_id):
        """Hold the review (freezes the inputs), approve the minutes (manager, with the
        password: an electronic signature) or cancel it (with a reason)"""
        review = db.session.get(ManagementReview, review_id)
        target = data["target"]
        if target == ReviewStatus.MINUTES_APPROVED:
            authorize("review.approve")  # the role; the state is checked by the step (409)
            return minutes.approve_minutes(review, expected_version=data["version"],
                                           actor=current_user, password=data["password"])
        authorize("review.edit", review)
        if target == ReviewStatus.HELD:
            return services.hold_review(review, expected_version=data["version"],
                                        held_on=data["held_on"], actor=current_user)
        if target == ReviewStatus.CANCELLED:
            return services.cancel_review(review, expected_version=data["version"],
                                          reason=data["reason"])
        abort(409, message="No se puede pasar a ese estado.")


@blp.route("/<int:review_id>/decisions")
class Decisions(MethodView):
    @blp.response(200, ReviewDecisionSchema(many=True))
    def get(self, review_id):
        """The review's decisions [9.3.3] and their actions"""
        return get_or_404_authorized(ManagementReview, review_id, "review.view").decisions

    @authorize_first("review.edit", ManagementReview, "review_id")
    @blp.arguments(ReviewDecisionSchema)
    @blp.response(201, ReviewDecisionSchema)
    def post(self, data, review_id):
        """Record a decision; with an owner and a due date it becomes a tracked action"""
        owner = db.session.get(User, data["action_owner_id"]) \
            if data["action_owner_id"] else None
        return services.add_decision(
            db.session.get(ManagementReview, review_id), kind=data["kind"], text=data["text"],
            action_description=data["action_description"], owner=owner,
            due_on=data["action_due_on"], actor=current_user)
