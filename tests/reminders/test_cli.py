"""``qms send-reminders`` and ``qms scheduler`` (one process, guarded by a lock)."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from qms.extensions import db
from qms.reminders.models import Notification
from tests.reminders.conftest import overdue_action_world

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi", "qms"]


def test_send_reminders_dry_run_prints_and_stores_nothing(app, app_ctx, smtp):
    _, action = overdue_action_world()
    day = (action.due_on + timedelta(days=1)).isoformat()
    db.session.remove()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["qms", "send-reminders", "--dry-run", "--today", day])
    assert dry.exit_code == 0, dry.output
    assert "corrective_action" in dry.output and "overdue" in dry.output and "→ duenio (mail)" in dry.output
    assert f"{day}: would queue " in dry.output
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    assert smtp.sink.messages == []
    real = runner.invoke(args=["qms", "send-reminders", "--today", day])
    assert real.exit_code == 0, real.output
    assert f"{day}: queued " in real.output and "Sent " in real.output
    assert smtp.sink.to("duenio@example.hn")
    again = runner.invoke(args=["qms", "send-reminders", "--today", day])
    assert f"{day}: queued 0 reminders, 0 mails" in again.output


def test_send_reminders_refuses_a_bad_date(app):
    result = app.test_cli_runner().invoke(args=["qms", "send-reminders", "--today", "2026-13-40"])
    assert result.exit_code == 2 and "--today" in result.output


def _env(app) -> dict:
    return {**os.environ, "QMS_ENV": "testing",
            "QMS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "QMS_INSTANCE_DIR": str(app.config["INSTANCE_DIR"]), "QMS_MAIL_BACKEND": "file"}


def _wait_for_line(proc: subprocess.Popen, needle: str, timeout: float = 90) -> str:
    """The first line of ``proc`` holding ``needle``. Patient: a new process imports the
    whole app, which takes 15 s and more while the 2 cores are shared."""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if selector.select(timeout=0.5):
            seen += proc.stdout.readline()
            if needle in seen:
                return seen
    raise AssertionError(f"{needle!r} not printed; output so far: {seen!r}, "
                         f"stderr: {proc.stderr.read() if proc.poll() is not None else ''}")


def run_second_scheduler(app) -> tuple[subprocess.Popen, subprocess.CompletedProcess]:
    first = subprocess.Popen([*FLASK, "scheduler"], cwd=ROOT, env=_env(app), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_line(first, "Scheduler running")
        second = subprocess.run([*FLASK, "scheduler"], cwd=ROOT, env=_env(app), text=True,
                                capture_output=True, timeout=60)
    except BaseException:
        first.kill()
        raise
    return first, second


def test_a_second_scheduler_is_refused_while_the_first_runs(app, app_ctx):
    first, second = run_second_scheduler(app)
    try:
        assert second.returncode == 1
        assert "a scheduler is already running" in second.stderr
        assert first.poll() is None
        jobs = db.session.execute(text("SELECT id FROM apscheduler_jobs ORDER BY id")).scalars().all()
        assert jobs == ["audit.verify_chain", "audit.verify_new", "reminders.send",
                        "reminders.sweep"]
    finally:
        first.send_signal(signal.SIGTERM)
        out, _ = first.communicate(timeout=30)
    assert first.returncode == 0 and "Scheduler stopped." in out
    # the lock went with the process: a new scheduler may start
    again = subprocess.Popen([*FLASK, "scheduler"], cwd=ROOT, env=_env(app), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_line(again, "Scheduler running")
    finally:
        again.send_signal(signal.SIGINT)
        out, err = again.communicate(timeout=30)
    assert again.returncode == 0 and "Scheduler stopped." in out, err
