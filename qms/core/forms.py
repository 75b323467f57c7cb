"""Helpers shared by forms of every domain."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import flash
from flask_wtf import FlaskForm
from wtforms import FloatField, HiddenField
from wtforms.fields.choices import SelectChoice

from qms.core.errors import ConflictError, ServiceError


class LocaleFloatField(FloatField):
    """A number typed and shown as the reader's locale writes it: «1,96» in Spanish,
    «1.96» in English (a FloatField shows and reads only «1.96»). In Spanish a plain
    «1.96» is still read as one point ninety-six (people paste from other systems), but
    «1.5.0» or text is refused with a message."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        from qms.core.formats import number

        return number(self.data).replace("\u00a0", "")

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        from babel.numbers import NumberFormatError, parse_decimal
        from flask_babel import get_locale

        text = valuelist[0].strip()
        try:
            self.data = float(parse_decimal(text, locale=get_locale(), strict=True))
            return
        except NumberFormatError:
            pass
        try:
            self.data = float(text) if text.count(".") <= 1 and "," not in text else None
        except ValueError:
            self.data = None
        if self.data is None:
            from flask_babel import gettext as _

            raise ValueError(_("Escriba un número, por ejemplo %(example)s.",
                               example=_format_example()))


def _format_example() -> str:
    from qms.core.formats import number

    return number(1.96, 2)


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state ("Aprobar", "Revocar")."""


def _version_number(value):
    """The posted version as an int; missing or garbled is None, which
    :func:`qms.core.errors.check_version` refuses as a stale edit (never a 500)."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class VersionedForm(FlaskForm):
    """A form that edits a :class:`~qms.core.db.VersionedMixin` record.

    It carries the version the person read in a hidden field; the view passes
    ``form.version.data`` to the service, whose :func:`~qms.core.errors.check_version`
    refuses the save with the one conflict message when somebody saved in between.
    Built with ``obj=record`` and no posted data, the field is filled from the record.
    """

    version = HiddenField(filters=[_version_number])

    def read_version(self, record) -> None:
        """Show ``record``'s current version (a page that renders the form afresh)."""
        self.version.data = record.version


def apply_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a service's refusal on the field it names, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and not isinstance(error, ConflictError):
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "danger")


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Options for a ``SelectField`` from ``(value, label)`` pairs.

    WTForms 3.3 deprecates tuples as choices (removed in 3.4) in favour of
    :class:`~wtforms.fields.choices.SelectChoice`; every form builds its options here.
    """
    return [SelectChoice(value, label) for value, label in pairs]
