"""Language selection: Spanish first, English on request."""

from __future__ import annotations

from functools import lru_cache

import flask
from babel import Locale
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2.ext import _make_new_gettext, _make_new_ngettext, _make_new_npgettext, _make_new_pgettext

#: Session key set when a visitor picks a language before logging in: logging in then
#: stores it as the user's language instead of replacing it with the stored one.
LANGUAGE_CHOSEN = "lang_chosen"


def select_locale() -> Locale:
    """The request's language, as a parsed :class:`~babel.Locale` (Flask-Babel parses a
    string again on every request, and Babel checks the locale's data file on disk each
    time it does)."""
    return _locale(_locale_tag())


def _locale_tag() -> str:
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


@lru_cache(maxsize=16)
def _locale(tag: str) -> Locale:
    return Locale.parse(tag)


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
    ``request.wtforms_translations`` first, which this object is (see :class:`Request`).
    The locale is resolved only when a message is actually translated."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


WTFORMS_TRANSLATIONS = _WTFormsTranslations()


class Request(flask.Request):
    """The application's request class: it carries :data:`WTFORMS_TRANSLATIONS` from the
    start (a class attribute), where a before-request hook used to set it on every
    request, forms or not."""

    wtforms_translations = WTFORMS_TRANSLATIONS


# ---------------------------------------------------------- templates' catalogue


@lru_cache(maxsize=8)
def _template_gettext(translations) -> dict:
    """The i18n extension's callables bound to one catalogue, with Jinja's own
    "new style" behaviour (autoescaping, ``%(name)s`` variables, ``num``)."""
    return {
        "gettext": _make_new_gettext(translations.ugettext),
        "ngettext": _make_new_ngettext(translations.ungettext),
        "pgettext": _make_new_pgettext(translations.upgettext),
        "npgettext": _make_new_npgettext(translations.unpgettext),
    }


def template_catalogue() -> dict:
    """Context processor: every ``_()`` and ``{% trans %}`` of the template being
    rendered (and of the templates it extends or includes) uses the catalogue looked up
    once for the render. Flask-Babel's global callables look it up again for each
    message — the domain, the locale and the cache through five context-local lookups,
    10–15 µs a message, thirty and more on a signed-in page. Macros imported
    without context still use the global callables (same text, the slower way). A
    render inside :func:`flask_babel.force_locale` gets the forced catalogue."""
    return _template_gettext(get_translations())


def init_app(app: Flask) -> None:
    app.request_class = Request
    app.context_processor(template_catalogue)
