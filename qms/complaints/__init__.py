"""Citizen complaints and reports (quejas y denuncias) filed on the public portal, followed
with a tracking code, and triaged by the quality officer into an answer or a
Nonconformity [ISO 9001:2015 9.1.2, 10.2]."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.complaints import cards, models, origins, pending, permissions, public, views  # noqa: F401 - registers

    app.register_blueprint(public.bp)
    app.register_blueprint(views.bp)
    # The photo may be larger than a form post but never more than the complaint limit.
    app.before_request_funcs.setdefault(None, []).insert(0, _complaint_upload_limit)


def _complaint_upload_limit() -> None:
    from flask import current_app, request

    if request.endpoint == "complaints_public.new" and request.method == "POST":
        request.max_content_length = current_app.config.get(
            "COMPLAINT_MAX_BYTES", 6 * 1024 * 1024)
