"""Accounts, roles, login and API tokens."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.auth import demo, permissions, views  # noqa: F401 - registers policies and seeds

    app.register_blueprint(views.bp)
    app.register_blueprint(views.admin_bp)
