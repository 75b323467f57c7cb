"""The small-group rule: no group under k is published, nor recoverable by subtraction."""

from __future__ import annotations

import random

from qms.portal.suppression import Relation, leaks, suppress


def test_a_small_cell_and_its_complement_are_hidden():
    values = {"total": 120, "a": 3, "b": 50, "c": 67}
    rel = [Relation("total", ("a", "b", "c"))]
    hidden = suppress(values, rel, 10)
    assert "a" in hidden and "b" in hidden and "c" not in hidden  # b is the smallest other
    assert not leaks(values, rel, hidden, 10)


def test_two_small_cells_that_add_up_under_k_need_a_third():
    values = {"total": 100, "a": 3, "b": 4, "c": 40, "d": 53}
    rel = [Relation("total", ("a", "b", "c", "d"))]
    hidden = suppress(values, rel, 10)
    assert {"a", "b", "c"} <= hidden and "d" not in hidden


def test_zero_is_published_and_a_hidden_total_gets_a_hidden_part():
    values = {"total": 5, "a": 0, "b": 5}
    hidden = suppress(values, [Relation("total", ("a", "b"))], 10)
    assert hidden == {"total", "b"}


def test_random_tables_never_leak():
    rng = random.Random(13)
    for _ in range(300):
        k = rng.choice([5, 10, 20])
        rows = {f"r{i}": {f"c{j}": rng.choice([0, 1, 2, 5, 9, 12, 40, 300]) for j in range(4)}
                for i in range(rng.randint(1, 6))}
        values, relations = {}, []
        for r, cols in rows.items():
            for c, v in cols.items():
                values[(r, c)] = v
            values[(r, "T")] = sum(cols.values())
            relations.append(Relation((r, "T"), tuple((r, c) for c in cols)))
        for c in ["c0", "c1", "c2", "c3", "T"]:
            values[("T", c)] = sum(values[(r, c)] for r in rows)
            relations.append(Relation(("T", c), tuple((r, c) for r in rows)))
        hidden = suppress(values, relations, k)
        assert not leaks(values, relations, hidden, k)
        assert all(key in hidden for key, v in values.items() if 0 < v < k)
