"""What the domains share: database, audit trail, permissions, time, language, CLI."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.core import cli, settings, storage, views  # noqa: F401 - models registered

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.qms)
