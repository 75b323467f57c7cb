"""The outbox on PostgreSQL: parallel sweeps in separate processes send each mail once,
claims skip rows another sender holds, one scheduler per database (advisory lock)."""

from __future__ import annotations

import os
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from qms.core.db import now_utc
from qms.extensions import db
from qms.reminders import jobs, outbox
from qms.reminders.models import Notification, OutboxMessage, OutboxStatus
from tests.fixtures_postgres import pg_app_copy
from tests.reminders.conftest import moment, overdue_action_world
from tests.reminders.test_cli import FLASK, _wait_for_line

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
OWNERS = ["duenio", "duenio2", "auditor", "direccion", "calidad", "admin"]


@pytest.fixture(scope="module")
def reminders_pg(pg_server, pg_template, tmp_path_factory):
    """A database of its own: the shared PostgreSQL app holds other domains' records."""
    with pg_app_copy(pg_server, pg_template, tmp_path_factory.mktemp("qms-pg-reminders"),
                     "qms_reminders") as application:
        yield application


def _env(app, smtp=None) -> dict:
    env = {**os.environ, "QMS_ENV": "testing",
           "QMS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "QMS_INSTANCE_DIR": str(app.config["INSTANCE_DIR"]), "QMS_MAIL_BACKEND": "file"}
    if smtp is not None:
        env.update(QMS_MAIL_BACKEND="smtp", QMS_SMTP_HOST="127.0.0.1", QMS_SMTP_PORT=str(smtp.port))
    return env


def _clean(app) -> None:
    with app.app_context():
        db.session.execute(text("DELETE FROM notification"))
        db.session.execute(text("DELETE FROM outbox_message"))
        db.session.commit()


def test_two_sweep_processes_at_once_send_each_mail_once(reminders_pg):
    from tests.reminders.conftest import SMTPServer

    smtp = SMTPServer()
    smtp.start()
    _clean(reminders_pg)
    try:
        with reminders_pg.app_context():
            actions = [overdue_action_world(owner=o)[1] for o in OWNERS]
            day = (actions[0].due_on + timedelta(days=1)).isoformat()
            db.session.remove()
        procs = [subprocess.Popen([*FLASK, "send-reminders", "--today", day], cwd=ROOT,
                                  env=_env(reminders_pg, smtp), text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(2)]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        with reminders_pg.app_context():
            stored = db.session.scalar(select(func.count(Notification.id)))
            statuses = set(db.session.scalars(select(OutboxMessage.status)))
        assert stored >= len(OWNERS)
        assert statuses == {OutboxStatus.SENT}
        ids = smtp.sink.message_ids()
        assert len(ids) == len(set(ids)) == stored
    finally:
        smtp.stop()


def test_claim_skips_rows_locked_by_another_sender(reminders_pg):
    _clean(reminders_pg)
    with reminders_pg.app_context():
        _, action = overdue_action_world()
        day = action.due_on + timedelta(days=1)
        jobs.sweep(now_utc(), day, send=False)
        ids = sorted(db.session.scalars(select(OutboxMessage.id)))
        assert len(ids) >= 1
        db.session.remove()
    locked = threading.Event()
    release = threading.Event()

    def hold_first_row():
        with reminders_pg.app_context():
            db.session.execute(select(OutboxMessage).where(OutboxMessage.id == ids[0])
                               .with_for_update())
            locked.set()
            release.wait(30)
            db.session.rollback()

    holder = threading.Thread(target=hold_first_row)
    holder.start()
    try:
        assert locked.wait(30)
        with reminders_pg.app_context():
            _, claimed = outbox.claim(now_utc())   # returns at once: no waiting on the lock
            db.session.remove()
        assert ids[0] not in claimed and claimed == ids[1:]
    finally:
        release.set()
        holder.join(30)
    with reminders_pg.app_context():
        _, claimed = outbox.claim(now_utc())
        assert claimed == [ids[0]]


def test_sweep_then_send_on_postgresql_with_digest(reminders_pg):
    from qms.reminders import services
    from qms.reminders.models import Delivery
    from tests.conftest import user
    from tests.reminders.conftest import SMTPServer

    _clean(reminders_pg)
    smtp = SMTPServer()
    smtp.start()
    saved = dict(reminders_pg.config)
    reminders_pg.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_BACKEND="smtp")
    try:
        with reminders_pg.app_context():
            services.update_preferences(user("duenio2").id, delivery=Delivery.DIGEST,
                                        mailed_rules=["corrective_action"])
            db.session.commit()
            _, action = overdue_action_world(owner="duenio2")
            day = action.due_on + timedelta(days=1)
            jobs.sweep(moment(day, 8), day)
            jobs.sweep(moment(day, 9), day)
            [digest] = smtp.sink.to("duenio2@example.hn")
            assert digest["Subject"].startswith("[Resumen del SGC] ")
    finally:
        reminders_pg.config.update({k: saved[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_BACKEND")})
        smtp.stop()


def test_one_scheduler_per_database_through_an_advisory_lock(reminders_pg):
    env = _env(reminders_pg)
    first = subprocess.Popen([*FLASK, "scheduler"], cwd=ROOT, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_line(first, "Scheduler running")
        # another host would have another instance folder: only the database lock counts
        other = {**env, "QMS_INSTANCE_DIR": str(Path(env["QMS_INSTANCE_DIR"]) / "other-host")}
        second = subprocess.run([*FLASK, "scheduler"], cwd=ROOT, env=other, text=True,
                                capture_output=True, timeout=60)
        assert second.returncode == 1
        assert "PostgreSQL advisory lock" in second.stderr
    finally:
        first.terminate()
        first.communicate(timeout=30)
    assert first.returncode == 0
