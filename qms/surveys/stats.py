"""Satisfaction statistics from running sums (FACTS.md §7), as pure functions.

From n, Σx and Σx² of a group: the mean, the standard deviation, the 95 % margin of
error of the mean (t for small n) and of the share satisfied (top-2-box, answers 4–5),
both with the finite-population correction sqrt((N−n)/(N−1)) when the group's
population N is known. The item index rescales a 1–5 mean to 0–100: 100·(mean−1)/4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Two-sided 95 % Student t quantiles for 1–30 degrees of freedom.
_T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t_quantile(df: int, z: float = 1.96) -> float:
    """t for a 95 % interval with ``df`` degrees of freedom; z beyond 30 (or at other levels)."""
    if abs(z - 1.96) > 1e-9 or df > 30:
        return z
    return _T95[max(1, df) - 1]


def fpc(n: int, population: int | None) -> float:
    """Finite-population correction; 1 when N is unknown, 0 when the group was censused."""
    if not population or population <= 1:
        return 1.0
    if n >= population:
        return 0.0
    return math.sqrt((population - n) / (population - 1))


def moe_proportion(p: float, n: int, population: int | None = None, z: float = 1.96) -> float:
    """z·sqrt(p(1−p)/n)·FPC, as a proportion (0–1)."""
    if n <= 0:
        return math.nan
    return z * math.sqrt(p * (1 - p) / n) * fpc(n, population)


def variance(n: int, total: float, total_sq: float) -> float:
    if n < 2:
        return 0.0
    return max(0.0, (total_sq - total * total / n) / (n - 1))


def moe_mean(n: int, total: float, total_sq: float, population: int | None = None,
             z: float = 1.96) -> float:
    """t·s/√n·FPC."""
    if n < 2:
        return math.nan
    return t_quantile(n - 1, z) * math.sqrt(variance(n, total, total_sq) / n) * fpc(n, population)


def item_index(mean: float) -> float:
    return 100.0 * (mean - 1) / 4


@dataclass(frozen=True)
class Summary:
    n: int
    suppressed: bool
    mean: float | None = None
    sd: float | None = None
    moe_mean: float | None = None
    #: Top-2-box share in percent, and its margin of error in percentage points.
    pct_satisfied: float | None = None
    moe_pct: float | None = None
    pct_dissatisfied: float | None = None
    #: 0–100 rescaling of the mean (Likert) or the mean itself (the composite index).
    index: float | None = None
    moe_index: float | None = None


def summarise(sums: tuple | None, *, kind: str, population: int | None, min_n: int,
              z: float = 1.96) -> Summary:
    """``kind``: "likert", "share" (yes/no: mean = share of yes), "number", "index", "count"."""
    n, total, total_sq, top2, bottom2 = (sums or (0, 0, 0, 0, 0))
    n = int(n or 0)
    if n < min_n:
        return Summary(n=n, suppressed=True)
    if kind == "count":
        return Summary(n=n, suppressed=False)
    mean = total / n
    sd = math.sqrt(variance(n, total, total_sq))
    moe = moe_mean(n, total, total_sq, population, z)
    if kind == "likert":
        p, q = top2 / n, bottom2 / n
        return Summary(n, False, mean, sd, moe, 100 * p, 100 * moe_proportion(p, n, population, z),
                       100 * q, item_index(mean), 100 * moe / 4)
    if kind == "share":
        return Summary(n, False, mean, sd, moe, 100 * mean,
                       100 * moe_proportion(mean, n, population, z))
    if kind == "index":
        return Summary(n, False, mean, sd, moe, index=mean, moe_index=moe)
    return Summary(n, False, mean, sd, moe)


def sample_size(margin: float, population: int | None = None, p: float = 0.5,
                z: float = 1.96) -> int:
    """n₀ = z²p(1−p)/e², then n = n₀/(1+(n₀−1)/N) (FACTS.md §7's worked examples)."""
    n0 = z * z * p * (1 - p) / (margin * margin)
    if population:
        n0 = n0 / (1 + (n0 - 1) / population)
    return math.ceil(n0 - 1e-9)  # round up: the sample must reach the margin
