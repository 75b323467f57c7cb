"""Internal and external audits [ISO 9001:2015 9.2]."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.api import register_api_blueprint
    from qms.audits import (  # noqa: F401 - models, policies, commands, routes, NC origins
        api,
        checklists,
        cli,
        demo,
        models,
        origins,
        pending,
        permissions,
        process_section,
        views,
        views_calendar,
        views_fieldwork,
    )

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
