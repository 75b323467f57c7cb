"""The outbox under crashes and concurrency: nothing lost, nothing sent by two senders.

A sender process is killed at a precise point of the SMTP dialogue by the test server's
hooks: before the server accepted the message (MAIL FROM), and after it accepted it
(end of DATA) but before the sender could record it as sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from qms.core import audit
from qms.core.db import now_utc
from qms.extensions import db
from qms.reminders import jobs, outbox
from qms.reminders.models import Notification, OutboxMessage, OutboxStatus
from tests.conftest import user
from tests.reminders.conftest import moment, overdue_action_world

ROOT = Path(__file__).resolve().parents[2]
SENDER = ("from qms import create_app\nfrom qms.reminders import jobs\n"
          "app = create_app()\nwith app.app_context():\n    print(jobs.send())\n")


def sender_process(app, smtp) -> subprocess.Popen:
    env = {**os.environ, "QMS_ENV": "testing",
           "QMS_DATABASE_URL": f"sqlite:///{app.config['TEST_DB_FILE']}",
           "QMS_INSTANCE_DIR": str(app.config["INSTANCE_DIR"]),
           "QMS_SMTP_HOST": "127.0.0.1", "QMS_SMTP_PORT": str(smtp.port),
           "QMS_MAIL_BACKEND": "smtp"}
    return subprocess.Popen([sys.executable, "-c", SENDER], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def queue_one(day):
    jobs.sweep(now_utc(), day, send=False)  # due now: the sender process uses the real clock
    return db.session.scalars(select(OutboxMessage)).all()


def kill_on(smtp, hook_name: str, holder: dict) -> None:
    """At that point of the dialogue, kill the sender and wait until it is gone, so it
    never reads the server's answer."""
    def kill() -> None:
        os.kill(holder["proc"].pid, signal.SIGKILL)
        holder["proc"].wait(10)

    setattr(smtp.sink, hook_name, kill)


def test_sender_killed_before_the_server_accepted_sends_once_on_the_next_run(app, app_ctx, smtp):
    _, action = overdue_action_world()
    [row] = [r for r in queue_one(action.due_on + timedelta(days=1)) if r.user_id == user("duenio").id]
    holder: dict = {}
    kill_on(smtp, "on_mail", holder)
    holder["proc"] = proc = sender_process(app, smtp)
    proc.communicate(timeout=60)  # waits, and closes both pipes
    assert proc.returncode == -signal.SIGKILL
    db.session.rollback()  # a fresh snapshot: the other process committed
    assert smtp.sink.to("duenio@example.hn") == []
    assert db.session.get(OutboxMessage, row.id).status == OutboxStatus.SENDING
    outbox.send_pending(now_utc())                   # within the lease: not taken twice
    assert smtp.sink.to("duenio@example.hn") == []
    outbox.send_pending(now_utc() + outbox.LEASE + timedelta(minutes=1))
    [message] = smtp.sink.to("duenio@example.hn")
    assert message["Message-ID"] == row.message_id
    db.session.rollback()  # a fresh snapshot: the other process committed
    stored = db.session.get(OutboxMessage, row.id)
    assert stored.status == OutboxStatus.SENT and stored.attempts == 2
    outbox.send_pending(now_utc() + timedelta(days=1))
    assert len(smtp.sink.to("duenio@example.hn")) == 1


def test_sender_killed_after_the_server_accepted_resends_the_same_message_id(app, app_ctx, smtp):
    """SMTP has no exactly-once: the server has the mail, our database does not know.
    The resend carries the same Message-ID, so it is recognisably the same message."""
    _, action = overdue_action_world()
    [row] = [r for r in queue_one(action.due_on + timedelta(days=1)) if r.user_id == user("duenio").id]
    holder: dict = {}
    kill_on(smtp, "on_data", holder)
    holder["proc"] = proc = sender_process(app, smtp)
    proc.communicate(timeout=60)  # waits, and closes both pipes
    assert proc.returncode == -signal.SIGKILL
    assert len(smtp.sink.to("duenio@example.hn")) == 1
    outbox.send_pending(now_utc() + outbox.LEASE + timedelta(minutes=1))
    copies = smtp.sink.to("duenio@example.hn")
    assert len(copies) == 2 and {m["Message-ID"] for m in copies} == {row.message_id}
    db.session.rollback()  # a fresh snapshot: the other process committed
    assert db.session.get(OutboxMessage, row.id).status == OutboxStatus.SENT


def _many_reminders(count=6):
    owners = ["duenio", "duenio2", "auditor", "direccion", "calidad", "admin"]
    actions = [overdue_action_world(owner=owners[i % len(owners)])[1] for i in range(count)]
    return actions[0].due_on + timedelta(days=1)


def _in_threads(app, target, n=2) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run():
        try:
            with app.app_context(), audit.acting_as(audit.SYSTEM):
                barrier.wait()
                target()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_two_sweeps_at_once_send_each_mail_once(app, app_ctx, smtp):
    day = _many_reminders()
    db.session.remove()
    errors = _in_threads(app, lambda: jobs.sweep(moment(day), day))
    assert errors == []
    reminders = db.session.scalar(select(func.count(Notification.id)))
    assert reminders >= 6
    ids = smtp.sink.message_ids()
    assert len(ids) == len(set(ids)) == reminders


def test_two_senders_at_once_send_each_mail_once(app, app_ctx, smtp):
    day = _many_reminders()
    jobs.sweep(moment(day), day, send=False)
    queued = db.session.scalar(select(func.count(OutboxMessage.id)))
    db.session.remove()
    errors = _in_threads(app, lambda: outbox.send_pending(moment(day), limit=2), n=3)
    assert errors == []
    outbox.send_pending(moment(day))  # the rest, if the three passes did not take all
    ids = smtp.sink.message_ids()
    assert len(ids) == len(set(ids)) == queued
