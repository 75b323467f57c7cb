"""The citizen transparency portal under /transparencia/: public aggregates only, no login.

Reads other domains only through their ``facts`` modules; every published count goes
through the small-group rule in :mod:`qms.portal.suppression`.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.portal import settings, views  # noqa: F401 - registers settings and routes

    app.register_blueprint(views.bp)
