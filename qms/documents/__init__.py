"""Controlled documents [ISO 9001:2015 7.5]: register, revisions, reading, master list."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.api import register_api_blueprint
    from qms.documents import (  # noqa: F401 - registers policies, routes, commands, seeds
        api,
        cards,
        cli,
        demo,
        lifecycle,
        pending,
        permissions,
        process_section,
        revision_views,
        views,
    )
    from qms.documents.rendering import render_markdown

    app.jinja_env.filters["markdown"] = render_markdown
    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
