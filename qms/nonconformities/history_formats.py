"""How an NC's history shows the codes its columns store (``__audit_formats__``)."""

from __future__ import annotations

from qms.nonconformities.enums import IshikawaCategory


def _enum_label(enum_cls, value: str) -> str:
    try:
        return enum_cls(value).label
    except ValueError:
        return value


def _place_name(place, code: str) -> str:
    return place.name if place is not None else code


def _ishikawa_text(causes: dict) -> str:
    """The 6M causes as the analysis form shows them: one category per line."""
    lines = []
    for category in IshikawaCategory:
        if causes.get(category.value):
            lines.append(f"{category.label}: {'; '.join(map(str, causes[category.value]))}")
    return "\n".join(lines) or "—"
