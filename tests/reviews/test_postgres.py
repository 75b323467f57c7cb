"""The same rules on PostgreSQL: a review compiled from every facts module, held
(frozen), decided, approved with the signature; its constraints hold there too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities.models import Nonconformity
from qms.processes.models import Process
from qms.reviews import facts, services
from qms.reviews.enums import DecisionKind, ReviewStatus
from qms.reviews.models import ManagementReview, ReviewDecision
from tests.conftest import user
from tests.nonconformities.conftest import make_nc, make_process
from tests.reviews.conftest import approved, held, make_review, with_inputs

pytestmark = pytest.mark.postgres


def test_review_life_on_postgresql(pg_app):
    with pg_app.test_request_context(), audit.acting_as(user("calidad")):
        process = db.session.query(Process).filter_by(code="RVPG").one_or_none() \
            or make_process("RVPG")
        make_nc(process, detected_on=today_local() - timedelta(days=2))
        review = held(with_inputs(make_review()))
        opened = next(f["v"] for f in review.snapshot["sections"]["c4"]["figures"]
                      if f["k"] == "nc_opened")
        assert opened >= 1
        services.add_decision(review, kind=DecisionKind.IMPROVEMENT, text="Mejorar",
                              owner=user("duenio"), due_on=today_local() + timedelta(days=9),
                              actor=user("calidad"))
        approved(review)
        db.session.commit()
        review_id, digest = review.id, review.snapshot_sha256
        make_nc(process, title="Después")
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(ManagementReview, review_id)
        assert stored.status == ReviewStatus.MINUTES_APPROVED
        assert stored.snapshot_sha256 == digest and services.snapshot_intact(stored)
        assert facts.review_minutes_pdf(review_id)[:5] == b"%PDF-"
        found = {f.id: f for f in facts.reviews_in_period(today_local(), today_local())}
        assert found[review_id].decisions[0].action_owner == "Usuario Duenio"
        assert any(a.review_id == review_id
                   for a in facts.due_review_actions(today_local() + timedelta(days=10)))
        assert db.session.query(Nonconformity).filter_by(title="Después").count() >= 1
        # An action needs its owner, due date and status together (a database rule too).
        decision = ReviewDecision(review_id=review_id, number=99, kind=DecisionKind.RESOURCES,
                                  text="x", action_owner_id=user("duenio").id)
        db.session.add(decision)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.remove()
