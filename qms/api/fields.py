"""Fields for JSON request bodies that take JSON's types at their word.

marshmallow coerces by default: ``"active": 0`` loads as ``False``, ``"process_id": "12"``
as 12, ``"version": true`` as 1. A body is JSON, so a client that sends the wrong type has
a bug the API should report, not guess around. Query strings, which are text by nature,
keep the coercing fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields


class StrictBool(fields.Boolean):
    """Only ``true`` or ``false``: 0, 1, "yes" or "true" are refused."""

    default_error_messages = {"invalid": _l("Debe ser true o false.")}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictInt(fields.Integer):
    """Only a JSON integer: "12", 12.0 and true are refused."""

    default_error_messages = {"invalid": _l("Debe ser un número entero.")}

    def __init__(self, **kwargs) -> None:
        super().__init__(strict=True, **kwargs)
