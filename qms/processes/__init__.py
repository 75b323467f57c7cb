"""Processes of the quality-management system [ISO 9001:2015 4.4]."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.api import register_api_blueprint
    from qms.processes import api, demo, permissions, views  # noqa: F401 - registers policies

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
