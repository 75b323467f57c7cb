"""What a reminder says (in the reader's language), the mails, and how they leave.

Texts are rendered when shown or sent, in the recipient's language (Spanish unless
they chose English), from the values the reminder stored. Links are absolute, built
on ``QMS_BASE_URL``. A mail has a plain-text and an HTML part (``templates/emails/``).

Transports: ``smtp`` (``QMS_SMTP_*``) and ``file`` — a folder of ``.eml`` files, the
development sink when no SMTP server is configured. A file is named after the
Message-ID, so writing a message again replaces it.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from qms.core.db import now_utc
from qms.core.enums import ENUMS
from qms.reminders.models import Notification, Stage
from qms.reminders.rules import RULES

SUPPORTED = ("es", "en")


def locale_of(user: Any) -> str:
    value = (getattr(user, "locale", None) or "es")[:2]
    return value if value in SUPPORTED else "es"


def _format_values(notification: Notification) -> dict[str, Any]:
    values = dict(notification.params or {})
    values["due"] = format_date(notification.due_on, "long")
    if "since" in values:
        values["since"] = format_date(date.fromisoformat(values["since"]), "long")
    enum_name = values.pop("status_enum", None)
    if enum_name and enum_name in ENUMS and "status" in values:
        values["status"] = ENUMS[enum_name](values["status"]).label
    values.setdefault("late", "")
    return values


def describe(notification: Notification) -> str:
    """The reminder's one-line text in the current language."""
    rule = RULES.get(notification.rule)
    if rule is None:  # a rule that was removed: keep the inbox readable
        return f"{notification.rule}: {notification.record_type} {notification.record_id}"
    template = rule.texts.get(notification.stage) or rule.texts.get(Stage.OVERDUE)
    return str(template) % _format_values(notification)


def rule_label(notification: Notification) -> str:
    rule = RULES.get(notification.rule)
    return str(rule.label) if rule else notification.rule


def link_path(notification: Notification) -> str:
    """The record's path (relative to the application root)."""
    if has_request_context():
        return url_for(notification.link_endpoint, **(notification.link_values or {}))
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return adapter.build(notification.link_endpoint, notification.link_values or {})


def absolute_link(path: str) -> str:
    base = (current_app.config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    return base + path


def _inbox_link() -> str:
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return absolute_link(adapter.build("reminders.inbox", {}))


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _entry(notification: Notification) -> dict[str, Any]:
    return {"text": describe(notification), "rule": rule_label(notification),
            "stage": notification.stage, "title": (notification.params or {}).get("title", ""),
            "url": absolute_link(link_path(notification))}


def render_single(notification: Notification, user: Any) -> Rendered:
    with force_locale(locale_of(user)):
        entry = _entry(notification)
        context = {"user": user, "entry": entry, "inbox_url": _inbox_link(),
                   "programme": current_app.config.get("PROGRAMME_NAME", "")}
        prefix = _("Aviso del SGC") if notification.stage is not Stage.ESCALATED \
            else _("Escalamiento del SGC")
        return Rendered(f"[{prefix}] {entry['text']}"[:300],
                        render_template("emails/reminder.txt", **context),
                        render_template("emails/reminder.html", **context))


def render_digest(notifications: list[Notification], user: Any, day: date) -> Rendered:
    with force_locale(locale_of(user)):
        entries = [_entry(n) for n in notifications]
        context = {"user": user, "entries": entries, "inbox_url": _inbox_link(),
                   "day": format_date(day, "long"),
                   "programme": current_app.config.get("PROGRAMME_NAME", "")}
        subject = _("[Resumen del SGC] %(n)s avisos del %(day)s", n=len(entries),
                    day=context["day"])
        return Rendered(subject, render_template("emails/digest.txt", **context),
                        render_template("emails/digest.html", **context))


def build_message(rendered: Rendered, *, to: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(now_utc())
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


# ------------------------------------------------------------------------ transports


class Transport:
    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SMTPTransport(Transport):
    """One connection per sender pass (opened at the first message)."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), timeout=30)
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        self.smtp.send_message(message)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


class FileTransport(Transport):
    """Writes each mail as ``<folder>/<message-id>.eml`` (development sink)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("/", "_")
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(bytes(message))
        tmp.replace(self.folder / f"{name}.eml")


def transport() -> Transport:
    config = current_app.config
    if config.get("MAIL_BACKEND", "smtp") == "file":
        return FileTransport(Path(config.get("MAIL_FILE_DIR")
                                  or Path(config["INSTANCE_DIR"]) / "mail"))
    return SMTPTransport(config)
