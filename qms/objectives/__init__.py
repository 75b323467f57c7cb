"""Quality objectives and their KPIs [ISO 9001:2015 6.2]."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.api import register_api_blueprint
    from qms.objectives import api, cli, demo, models, permissions, views  # noqa: F401 - registers

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
