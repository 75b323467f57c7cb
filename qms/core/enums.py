"""Enums whose members carry a translatable label, defined once."""

from __future__ import annotations

import enum

from sqlalchemy import Enum as SAEnum


class LabelledEnum(enum.StrEnum):
    """A string enum; subclasses define ``__labels__`` mapping members to lazy strings."""

    @property
    def label(self) -> str:
        return str(type(self).__labels__()[self])  # type: ignore[attr-defined]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


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
