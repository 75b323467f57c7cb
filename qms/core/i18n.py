"""Language selection: Spanish first, English on request."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

#: Session key set when a visitor picks a language before logging in: logging in then
#: stores it as the user's language instead of replacing it with the stored one.
LANGUAGE_CHOSEN = "lang_chosen"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(languages) or "es"
    return current_app.config["BABEL_DEFAULT_LOCALE"]
