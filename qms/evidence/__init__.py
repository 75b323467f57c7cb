"""Evidence packs for certifiers [ISO 9001:2015 4–10, 7.5.3; ISO/IEC 17021-1 9.3]: one
PDF/A-3 per period and scope with a SHA-256 manifest verified offline, and certifier
access that is time-boxed, scoped to processes and logged."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.evidence import access, cli, models, permissions, views  # noqa: F401 - models, policies, commands, routes

    app.register_blueprint(views.bp)
    access.init_app(app)
