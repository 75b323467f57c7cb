"""Factories for management-review tests: a planned review with its entered inputs,
held or with approved minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qms.core import audit as trail
from qms.core.time import today_local
from qms.reviews import minutes, services
from tests.conftest import PASSWORD, user

ENTERED = {
    "issues_changes": "Nuevo reglamento del bono; el cambio climático es pertinente.",
    "resources_adequacy": "Faltan dos técnicos de campo.",
    "risks_actions": "9 de 12 acciones de riesgo eficaces.",
    "providers_notes": "La billetera tuvo dos incidentes.",
}


def make_review(*, days_back=90, **overrides):
    today = today_local()
    fields = dict(title="Revisión anual", planned_on=today,
                  period_start=today - timedelta(days=days_back), period_end=today,
                  location="Sala de juntas", attendees=[user("direccion"), user("calidad")],
                  external_attendees="Lic. Zelaya — Finanzas", actor=user("calidad"))
    fields.update(overrides)
    return services.create_review(**fields)


def with_inputs(review, **entered):
    services.update_review(
        review, expected_version=review.version, title=review.title,
        planned_on=review.planned_on, period_start=review.period_start,
        period_end=review.period_end, location=review.location,
        attendees=[a.user for a in review.attendees],
        external_attendees=review.external_attendees, entered={**ENTERED, **entered})
    return review


def held(review=None):
    review = review or with_inputs(make_review())
    services.hold_review(review, expected_version=review.version, held_on=today_local(),
                         actor=user("calidad"))
    return review


def approved(review=None):
    review = review or held()
    with trail.acting_as(user("direccion")):
        minutes.approve_minutes(review, expected_version=review.version,
                                actor=user("direccion"), password=PASSWORD)
    return review


@pytest.fixture
def officer(app_ctx):
    with trail.acting_as(user("calidad")):
        yield user("calidad")
