"""Language selection: Spanish first, English on request."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
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


# ------------------------------------------------------------ WTForms' own messages


@lru_cache(maxsize=8)
def _wtforms_catalog(locale: str):
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' built-in messages ("Not a valid date value") in the request's language,
    read once per process and language. Flask-WTF loads and parses the catalogue file
    again on every request that builds a form (2–3 ms of the login page); it looks for
    ``request.wtforms_translations`` first, which this object is. The locale is resolved
    only when a message is actually translated."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


WTFORMS_TRANSLATIONS = _WTFormsTranslations()


def init_app(app: Flask) -> None:
    @app.before_request
    def _cached_wtforms_translations() -> None:
        request.wtforms_translations = WTFORMS_TRANSLATIONS
