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
    # Before CSRFProtect reads the form: the export upload may exceed MAX_CONTENT_LENGTH.
    app.before_request_funcs.setdefault(None, []).insert(0, _larger_uploads_for_exports)


def _larger_uploads_for_exports() -> None:
    from flask import current_app, request

    if request.endpoint == "surveys.upload" and request.method == "POST":
        request.max_content_length = current_app.config.get("SURVEY_IMPORT_MAX_BYTES")
