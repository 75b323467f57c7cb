"""Real SMTP for the reminder tests (aiosmtpd on 127.0.0.1), a guard against any other
mail host, and factories for records that come due."""

from __future__ import annotations

import email
import email.policy
import smtplib
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from qms.core import audit
from qms.core.time import local_zone, today_local
from qms.extensions import db
from tests.conftest import user
from tests.nonconformities.conftest import make_nc, make_process, to_implementation

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def _only_local_mail(monkeypatch):
    """Fail any test that would open an SMTP connection to a host other than this machine."""
    original = smtplib.SMTP.connect

    def guarded(self, host="localhost", port=0, source_address=None):
        if host not in LOCAL_HOSTS:
            pytest.fail(f"a test tried to send mail through {host}:{port}")
        return original(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """aiosmtpd handler keeping every accepted message, parsed with the modern policy.

    ``on_mail``/``on_data`` hooks let a test act at a precise point of the SMTP dialogue
    (kill the sending process before or after the server accepted the message).
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.on_mail: Callable[[], None] | None = None
        self.on_data: Callable[[], None] | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.on_mail is not None:
            hook, self.on_mail = self.on_mail, None
            hook()
            return "421 closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        if self.on_data is not None:
            hook, self.on_data = self.on_data, None
            hook()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message: EmailMessage) -> str:
        return message.get_body(("html",)).get_content()


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.sink = Sink()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app) -> Iterator[SMTPServer]:
    """A real SMTP server on 127.0.0.1; the app sends to it for the test."""
    server = SMTPServer()
    server.start()
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_BACKEND")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_BACKEND="smtp")
    try:
        yield server
    finally:
        server.stop()
        app.config.update(saved)


def moment(day: date, hour: int = 12) -> datetime:
    """An aware UTC datetime at ``hour`` local time on ``day``."""
    return datetime.combine(day, time(hour), tzinfo=local_zone()).astimezone(UTC)


def overdue_action_world(owner: str = "duenio", due_in: int = 5):
    """An NC in implementation with one corrective action of ``owner`` due in ``due_in`` days.

    Returns (nc, action). Commits."""
    with audit.acting_as(user("calidad")):
        from sqlalchemy import select

        from qms.processes.models import Process

        process = db.session.scalar(select(Process).where(Process.code == "PAG")) \
            or make_process("PAG", owner="duenio")
        nc = make_nc(process)
        to_implementation(nc, owners=(owner,))
        action = nc.actions[0]
        db.session.commit()
    return nc, action


def due(action) -> date:
    return action.due_on


__all__ = ["SMTPServer", "moment", "overdue_action_world", "today_local", "timedelta"]
