"""The rules: who is reminded of what, and when (due, overdue, escalated)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from qms.core import audit
from qms.core.settings import set_setting
from qms.core.time import today_local
from qms.extensions import db
from qms.reminders import services
from qms.reminders.models import Notification, OutboxMessage, Stage
from qms.reminders.rules import RULES, Item, register
from tests.conftest import user
from tests.documents.conftest import bring_into_force, make_document
from tests.nonconformities.conftest import make_nc, make_process, to_verification
from tests.reminders.conftest import moment, overdue_action_world


def sweep(day):
    result = services.sweep(day, moment(day))
    db.session.commit()
    return result


def new(day, rule="corrective_action"):
    return [p for p in sweep(day).created if p.rule == rule]


def reminders(rule=None):
    query = select(Notification).order_by(Notification.id)
    if rule:
        query = query.where(Notification.rule == rule)
    return [(n.user.username, n.stage, n.record_type) for n in db.session.scalars(query)]


def test_corrective_action_is_due_then_overdue_then_escalated(app_ctx):
    _, action = overdue_action_world()
    with audit.acting_as(user("admin")):
        services.set_manager(user("duenio").id, user("direccion").id)
        db.session.commit()
    d = action.due_on
    assert not new(d - timedelta(days=8))          # before the 7 lead days
    assert reminders("corrective_action") == []
    sweep(d - timedelta(days=7))
    assert reminders("corrective_action") == [("duenio", Stage.DUE, "corrective_action")]
    assert not new(d - timedelta(days=3))          # the same reminder: stored once
    assert not new(d)
    sweep(d + timedelta(days=1))
    assert reminders("corrective_action")[-1] == ("duenio", Stage.OVERDUE, "corrective_action")
    assert not new(d + timedelta(days=14))         # escalation after 14 days late
    sweep(d + timedelta(days=15))
    escalated = [r for r in reminders("corrective_action") if r[1] == Stage.ESCALATED]
    assert sorted(r[0] for r in escalated) == ["calidad", "direccion"]
    assert len(reminders("corrective_action")) == 4
    # every reminder has its mail (immediate delivery by default), under the same key
    keys = set(db.session.scalars(select(Notification.key)))
    assert keys == set(db.session.scalars(select(OutboxMessage.key)))


def test_rescheduled_action_gets_a_new_reminder(app_ctx):
    _, action = overdue_action_world()
    sweep(action.due_on + timedelta(days=1))
    action.due_on = action.due_on + timedelta(days=30)
    db.session.commit()
    assert not new(action.due_on - timedelta(days=10))
    created = new(action.due_on - timedelta(days=2))
    assert [(p.stage, p.due_on) for p in created] == [(Stage.DUE, action.due_on)]


def test_lead_days_are_a_setting(app_ctx):
    _, action = overdue_action_world()
    with audit.acting_as(user("calidad")):
        set_setting("reminders.corrective_action.days_before", 20)
        db.session.commit()
    assert new(action.due_on - timedelta(days=20))


def test_done_action_is_not_reminded(app_ctx):
    nc, action = overdue_action_world()
    from tests.nonconformities.conftest import finish_actions

    with audit.acting_as(user("duenio")):
        finish_actions(nc)
        db.session.commit()
    assert not new(action.due_on + timedelta(days=1))


def test_document_review_due_and_overdue(app_ctx):
    document, revision = make_document(interval=12)
    bring_into_force(revision)
    with audit.acting_as(user("calidad")):
        document.owner_id = user("duenio2").id
        db.session.commit()
    review_on = revision.effective_from.replace(year=revision.effective_from.year + 1)
    sweep(review_on - timedelta(days=31))
    assert reminders("document_review") == []
    sweep(review_on - timedelta(days=30))
    assert reminders("document_review") == [("duenio2", Stage.DUE, "document")]
    sweep(review_on + timedelta(days=1))
    assert reminders("document_review")[-1] == ("duenio2", Stage.OVERDUE, "document")


def test_pending_acknowledgement_reaches_each_reader_who_has_not_confirmed(app_ctx):
    from qms.documents import reading

    _, revision = make_document()  # distributed to process owners
    bring_into_force(revision)
    with audit.acting_as(user("duenio")):
        reading.acknowledge(revision, user("duenio"))
        db.session.commit()
    today = today_local()
    sweep(today + timedelta(days=6))
    assert reminders("acknowledgement_pending") == []
    sweep(today + timedelta(days=7))
    assert reminders("acknowledgement_pending") == [
        ("duenio2", Stage.DUE, "document_revision")]


def test_effectiveness_verification_due_reaches_the_verifier(app_ctx):
    with audit.acting_as(user("calidad")):
        nc = to_verification(make_nc(make_process()), verifier="auditor")
        db.session.commit()
    planned = nc.verifications[0].planned_on
    sweep(planned)
    assert ("auditor", Stage.DUE, "effectiveness_verification") in reminders(
        "effectiveness_verification")


def test_nc_stuck_in_one_status(app_ctx):
    with audit.acting_as(user("calidad")):
        make_nc(make_process(owner="duenio2"))
        db.session.commit()
    today = today_local()
    sweep(today + timedelta(days=29))
    assert reminders("nc_stuck") == []
    result = sweep(today + timedelta(days=31))
    assert reminders("nc_stuck") == [("duenio2", Stage.OVERDUE, "nonconformity")]
    from qms.reminders.mail import describe

    text = describe(db.session.scalar(select(Notification).where(Notification.rule == "nc_stuck")))
    assert "sigue en «Reportada»" in text, text
    assert result.created


def test_certifier_expiry_reaches_the_certifier_and_the_administrators(app_ctx):
    expires = user("certificador").access_expires_on
    sweep(expires - timedelta(days=15))
    assert reminders("certifier_expiring") == []
    sweep(expires - timedelta(days=14))
    assert sorted(r[0] for r in reminders("certifier_expiring")) == ["admin", "certificador"]


def test_a_rule_is_one_function_and_one_registration(app_ctx):
    """What audits, reviews and complaints will do to add theirs (README)."""
    from flask_babel import lazy_gettext as _l

    @register("test_rule", label=_l("Regla de prueba"), days_before=2,
              texts={Stage.DUE: _l("Vence %(code)s el %(due)s")})
    def test_rule(ctx):
        yield Item("thing", 1, ctx.today + timedelta(days=2), [user("auditor").id],
                   {"code": "X-1"}, ("core.dashboard", {}))

    try:
        created = sweep(today_local()).created
        assert [(p.rule, p.stage) for p in created if p.rule == "test_rule"] == [
            ("test_rule", Stage.DUE)]
    finally:
        RULES.pop("test_rule")
        from qms.core import settings

        settings._REGISTRY.pop("reminders.test_rule.days_before")
