"""Small-group suppression with complementary suppression over additive relations.

Primary rule: a count of 1 … k−1 households, people or complaints is not published.
Secondary rule (no disclosure by subtraction): for every published relation
``total = part₁ + … + partₙ`` the hidden members must not be recoverable — a relation
with exactly one hidden member, or whose hidden parts add up to 1 … k−1, gets one more
part hidden (the smallest non-zero one), until no relation leaks. A total that is hidden
while all its parts are shown gets a part hidden too.

This is the standard cell-suppression heuristic for tables published with their margins;
it guards against subtraction within any one relation, which is how tables are read.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

Key = Hashable


@dataclass(frozen=True)
class Relation:
    total: Key
    parts: tuple[Key, ...]


def primary(values: Mapping[Key, int], k: int) -> set[Key]:
    return {key for key, value in values.items() if 0 < value < k}


def suppress(values: Mapping[Key, int], relations: Iterable[Relation], k: int) -> set[Key]:
    """The keys to hide so that no relation discloses a group smaller than ``k``."""
    hidden = primary(values, k)
    relations = [r for r in relations if r.parts]
    changed = True
    while changed:
        changed = False
        for rel in relations:
            hidden_parts = [p for p in rel.parts if p in hidden]
            shown = [p for p in rel.parts if p not in hidden and values.get(p, 0) > 0]
            total_hidden = rel.total in hidden
            if not hidden_parts and not total_hidden:
                continue
            leak = False
            if not total_hidden:
                subtotal = sum(values.get(p, 0) for p in hidden_parts)
                leak = len(hidden_parts) == 1 or 0 < subtotal < k
            elif not hidden_parts:
                leak = True  # the total would be the sum of its shown parts
            if not leak:
                continue
            if shown:
                hidden.add(min(shown, key=lambda p: (values.get(p, 0), str(p))))
            elif not total_hidden:
                hidden.add(rel.total)
            else:
                continue
            changed = True
    return hidden


def leaks(values: Mapping[Key, int], relations: Iterable[Relation], hidden: set[Key],
          k: int) -> list[Relation]:
    """Relations from which a hidden group under ``k`` could be recovered (tests use it)."""
    found = []
    for rel in relations:
        hidden_parts = [p for p in rel.parts if p in hidden]
        if rel.total in hidden:
            if not hidden_parts and rel.parts:
                found.append(rel)
            continue
        subtotal = sum(values.get(p, 0) for p in hidden_parts)
        if len(hidden_parts) == 1 and values.get(hidden_parts[0], 0) > 0 or 0 < subtotal < k:
            found.append(rel)
    return found
