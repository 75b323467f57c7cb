"""The citizen transparency portal under /transparencia/: public aggregates only, no login.

Reads other domains only through their ``facts`` modules; every published count goes
through the small-group rule in :mod:`qms.portal.suppression`.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.extensions import limiter
    from qms.portal import settings, views  # noqa: F401 - registers settings and routes

    # Read-only pages served from memory: no per-address counting on the hot path
    # (the complaint form, a separate blueprint, keeps its limits).
    limiter.exempt(views.bp)
    limiter.request_filter(_portal_page)
    app.register_blueprint(views.bp)


def _portal_page() -> bool:
    from flask import request

    return request.blueprint == "portal"
