"""Management review [ISO 9001:2015 9.3]: inputs compiled from the records, frozen when
the review is held; decisions with tracked actions; minutes signed by top management."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.api import register_api_blueprint
    from qms.reviews import api, demo, permissions, views  # noqa: F401 - registers policies

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
