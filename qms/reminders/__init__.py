"""Reminders and notifications: rules over other domains' facts, an in-app inbox, a mail
outbox that loses nothing and sends nothing twice, daily digests, one scheduler process."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.reminders import builtin, cli, demo, permissions, views  # noqa: F401 - registers

    app.register_blueprint(views.bp)
    app.context_processor(views.unread_badge)
