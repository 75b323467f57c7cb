"""What the domains share: database, audit trail, permissions, time, language, CLI."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.core import checklists, cli, settings, storage, views  # noqa: F401 - models, init steps

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.qms)
