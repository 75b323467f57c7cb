"""Nonconformities and corrective actions [ISO 9001:2015 10.2]."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.api import register_api_blueprint
    from qms.nonconformities import (  # noqa: F401 - models, policies, routes, card, section, pending work, figures, CLI
        api,
        cards,
        cli,
        demo,
        figures,
        models,
        pending,
        permissions,
        process_section,
        views,
    )

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
