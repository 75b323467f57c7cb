"""Mail through a real SMTP server on 127.0.0.1: Spanish (or English), links that open,
digests, muted rules, SMTP down and back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from qms.core import audit
from qms.extensions import db
from qms.reminders import jobs, outbox, services
from qms.reminders.models import Delivery, Notification, OutboxMessage, OutboxStatus
from tests.conftest import login, user
from tests.reminders.conftest import moment, overdue_action_world


def run(day, hours=12):
    """One scheduler run: sweep (committed), then the sender pass."""
    return jobs.sweep(moment(day, hours), day)


def test_overdue_action_mail_in_spanish_with_a_link_that_opens(app, app_ctx, smtp, client):
    nc, action = overdue_action_world()
    run(action.due_on + timedelta(days=1))
    [message] = smtp.sink.to("duenio@example.hn")
    assert message["Subject"] == (f"[Aviso del SGC] La acción correctiva AC-1 de {nc.code} venció "
                                  f"el {action.due_on.day} de diciembre de {action.due_on.year}"
                                  if action.due_on.month == 12 else message["Subject"])
    assert "venció el" in message["Subject"]
    body = smtp.sink.text(message)
    assert body.startswith("Hola, Usuario Duenio:")
    link = next(line.split(": ", 1)[1] for line in body.splitlines()
                if line.startswith("Abrir el registro:"))
    assert link == f"http://127.0.0.1:5000/no-conformidades/{nc.id}"
    assert f'href="{link}"' in smtp.sink.html(message)
    assert message["Message-ID"] == db.session.scalar(select(OutboxMessage.message_id))
    assert message["Auto-Submitted"] == "auto-generated"
    login(client, "duenio")
    page = client.get(link.removeprefix("http://127.0.0.1:5000"))
    assert page.status_code == 200 and nc.code in page.get_data(as_text=True)
    stored = db.session.scalar(select(OutboxMessage))
    assert stored.status == OutboxStatus.SENT and stored.sent_at is not None


def test_english_for_users_who_chose_it(app_ctx, smtp):
    with audit.acting_as(audit.SYSTEM):
        user("duenio").locale = "en"
        db.session.commit()
    _, action = overdue_action_world()
    run(action.due_on + timedelta(days=1))
    [message] = smtp.sink.to("duenio@example.hn")
    assert message["Subject"].startswith("[QMS reminder] Corrective action AC-1 of NC-"), \
        message["Subject"]
    assert "was due on" in message["Subject"]
    assert smtp.sink.text(message).startswith("Hello, Usuario Duenio:")
    assert "Open the record" in smtp.sink.html(message)


def test_daily_digest_one_mail_with_every_reminder(app_ctx, smtp):
    with audit.acting_as(user("duenio")):
        services.update_preferences(user("duenio").id, delivery=Delivery.DIGEST,
                                    mailed_rules=["corrective_action", "nc_stuck"])
        db.session.commit()
    _, first = overdue_action_world()
    _, second = overdue_action_world()
    day = first.due_on + timedelta(days=1)
    jobs.sweep(moment(day, 6), day)                 # before the digest hour: nothing mailed
    assert smtp.sink.to("duenio@example.hn") == []
    assert services.unread_count(user("duenio").id) == 2  # the inbox has them already
    jobs.sweep(moment(day, 7), day)                 # the digest hour
    [digest] = smtp.sink.to("duenio@example.hn")
    assert digest["Subject"].startswith("[Resumen del SGC] 2 avisos del ")
    text = smtp.sink.text(digest)
    assert text.count("La acción correctiva AC-1 de NC-") == 2
    jobs.sweep(moment(day, 9), day)                 # later the same day: no second digest
    assert len(smtp.sink.to("duenio@example.hn")) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.digest_id.is_(None), Notification.delivery == Delivery.DIGEST)) == 0


def test_muted_rule_stays_in_the_inbox_only(app_ctx, smtp):
    with audit.acting_as(user("duenio")):
        services.update_preferences(user("duenio").id, delivery=Delivery.IMMEDIATE,
                                    mailed_rules=["document_review"])
        db.session.commit()
    _, action = overdue_action_world()
    run(action.due_on + timedelta(days=1))
    assert smtp.sink.to("duenio@example.hn") == []
    assert services.unread_count(user("duenio").id) == 1


def test_smtp_down_delays_and_loses_nothing(app_ctx, smtp):
    _, action = overdue_action_world(owner="duenio")
    _, other = overdue_action_world(owner="duenio2")
    day = action.due_on + timedelta(days=1)
    smtp.stop()
    run(day)
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert len(rows) >= 2
    assert {r.status for r in rows} == {OutboxStatus.PENDING}
    assert all(r.attempts == 1 and "Connection refused" in (r.last_error or "") for r in rows)
    smtp.start()
    outbox.send_pending(moment(day, 12))            # back-off: not yet
    assert smtp.sink.messages == []
    outbox.send_pending(moment(day, 13))
    outbox.send_pending(moment(day, 14))
    assert sorted(m["To"] for m in smtp.sink.messages) == sorted(r.user.email for r in rows)
    assert len(set(smtp.sink.message_ids())) == len(smtp.sink.messages)
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(select(OutboxMessage))} == {OutboxStatus.SENT}


def test_refused_message_retries_then_fails_visibly(app_ctx, smtp):
    _, action = overdue_action_world()
    day = action.due_on + timedelta(days=1)
    jobs.sweep(moment(day), day, send=False)
    with audit.acting_as(audit.SYSTEM):
        user("duenio").email = "sin-arroba"  # a recipient the server refuses
        db.session.commit()

    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 no such user"

    smtp.sink.handle_RCPT = refuse
    now = moment(day)
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.send_pending(now)
        now += timedelta(hours=7)
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user("duenio").id))
    assert message.status == OutboxStatus.FAILED and message.attempts == outbox.MAX_ATTEMPTS
    assert "550" in message.last_error


def test_mail_host_guard_refuses_other_hosts(app_ctx):
    import smtplib

    with pytest.raises(pytest.fail.Exception, match="smtp.example.org"):
        smtplib.SMTP("smtp.example.org", 25, timeout=1)
