"""Beneficiary-satisfaction surveys [ISO 9001:2015 9.1.2]."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.surveys import (  # noqa: F401 - registers policies, commands, routes, seed step
        api,
        cli,
        demo,
        models,
        permissions,
        views,
        views_waves,
    )

    app.register_blueprint(views.bp)
    api.register(app)
