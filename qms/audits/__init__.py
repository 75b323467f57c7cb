"""Internal and external audits [ISO 9001:2015 9.2]."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.api import register_api_blueprint
    from qms.audits import api, checklists, cli, demo, models, pending, permissions, views, views_fieldwork  # noqa: F401 - models, policies, commands, routes, pending work

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
