"""One limit on free text, shared by the forms and the API.

:data:`MAX_TEXT` (10,000 characters) is the longest free text any form field or API
field accepts: a description, an analysis, evidence, a document's Markdown body. Shorter
fields (a title: 200) declare a lower bound with the same helpers, never a higher one;
a document's Markdown body is the one named exception (:data:`MAX_DOCUMENT_TEXT`).

- Forms: :class:`TextLength` (a WTForms ``Length``) on every ``StringField`` and
  ``TextAreaField``; its message names the field.
- API: :class:`Text` (a marshmallow ``String``) for every text field of every schema; the
  bound is published as ``maxLength`` in the OpenAPI document.

``tests/security/test_text_limit.py`` checks every form and schema declares it.
"""

from __future__ import annotations

from flask_babel import format_number
from flask_babel import gettext as _
from marshmallow import ValidationError as MarshmallowError
from marshmallow import fields, validate
from wtforms.validators import Length, ValidationError

MAX_TEXT = 10_000
#: The one exception: the Markdown body of a controlled document is long-form content
#: (a procedure runs to tens of thousands of characters), not a free-text field.
MAX_DOCUMENT_TEXT = 200_000


def _bounded(max_length: int) -> int:
    if max_length == MAX_DOCUMENT_TEXT:
        return max_length
    if not 0 < max_length <= MAX_TEXT:
        raise ValueError(f"text fields accept at most {MAX_TEXT} characters, not {max_length}")
    return max_length


class TextLength(Length):
    """``Length(max=…)`` within :data:`MAX_TEXT`, with a message that names the field."""

    def __init__(self, max: int = MAX_TEXT, min: int = -1) -> None:
        super().__init__(min=min, max=_bounded(max))

    def __call__(self, form, field) -> None:
        length = len(field.data or "")
        if length > self.max:
            raise ValidationError(_("«%(field)s» admite como máximo %(max)s caracteres; tiene "
                                    "%(n)s.", field=field.label.text, max=format_number(self.max),
                                    n=format_number(length)))
        super().__call__(form, field)


class _Length(validate.Length):
    """marshmallow's ``Length`` with messages in the request's language that give the
    actual length (the error is keyed by the field's name)."""

    def __call__(self, value):
        length = len(value)
        if self.min is not None and length < self.min:
            raise MarshmallowError(_("Debe tener al menos %(min)s caracteres.",
                                     min=format_number(self.min)))
        if self.max is not None and length > self.max:
            raise MarshmallowError(_("Admite como máximo %(max)s caracteres; tiene %(n)s.",
                                     max=format_number(self.max), n=format_number(length)))
        return value


class Text(fields.String):
    """A marshmallow string field bounded by :data:`MAX_TEXT` (or a lower ``max_length``),
    with ``min_length`` when an empty value is not an answer."""

    def __init__(self, *args, max_length: int = MAX_TEXT, min_length: int | None = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.validators.append(_Length(min=min_length, max=_bounded(max_length)))
