"""Reminders and notifications: rules over other domains' facts, an in-app inbox, a mail
outbox that loses nothing and sends nothing twice, daily digests, one scheduler process."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.reminders import (  # noqa: F401 - registers
        builtin,
        cli,
        demo,
        permissions,
        rules_reviews,
        views,
    )

    app.register_blueprint(views.bp)
    app.context_processor(views.unread_badge)
