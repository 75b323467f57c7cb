"""What the domains share: database, audit trail, permissions, time, language, CLI."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.core import (  # noqa: F401 - models, init steps
        checklists,
        cli,
        export_jobs,
        settings,
        storage,
        submissions,
        views,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(export_jobs.bp)
    app.cli.add_command(cli.qms)
