"""Accounts, roles, login and API tokens."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.auth import cli, demo, permissions, views  # noqa: F401 - policies, seeds, commands
    from qms.auth.services import load_session_user
    from qms.extensions import login_manager

    login_manager.user_loader(load_session_user)

    app.register_blueprint(views.bp)
    app.register_blueprint(views.admin_bp)
