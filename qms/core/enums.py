"""Enums whose members carry a translatable label, defined once."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum as SAEnum
from wtforms.fields.choices import SelectChoice

from qms.core.forms import choices

#: Every LabelledEnum by class name; templates see it as ``enums``.
ENUMS: dict[str, type] = {}


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry their translatable label, declared together::

        class NCStatus(LabelledEnum):
            REPORTED = "reported", _l("Reportada")
            CLOSED = "closed", _l("Cerrada")

    ``NCStatus("reported")`` finds the member by its stored value; ``member.label`` is the
    label in the reader's language. Templates reach the members as ``enums.NCStatus``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__ in ENUMS:
            raise RuntimeError(f"two LabelledEnums named {cls.__name__}")
        ENUMS[cls.__name__] = cls

    def __new__(cls, value: str, label: Any):
        member = str.__new__(cls, value)
        member._value_ = value
        member._lazy_label = label
        return member

    @property
    def label(self) -> str:
        """The label in the reader's language."""
        return str(self._lazy_label)

    @property
    def lazy_label(self) -> Any:
        """The untranslated lazy string, for building other lazy strings at import time."""
        return self._lazy_label

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        """The members as a select field's options, in declaration order."""
        return choices((m.value, m.label) for m in cls)


def enum_column(enum_cls: type[enum.Enum], name: str) -> SAEnum:
    """A portable enum column: stored as its value, checked by a named CHECK constraint."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )
