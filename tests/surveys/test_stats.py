"""Satisfaction statistics (FACTS.md §7): margins of error with the FPC, suppression."""

from __future__ import annotations

import math

import pytest

from qms.surveys import stats


@pytest.mark.parametrize("margin, population, expected", [
    (0.05, 200_000, 384), (0.03, 200_000, 1062), (0.02, 200_000, 2373), (0.10, 11_100, 96),
])
def test_sample_sizes_of_the_worked_examples(margin, population, expected):
    assert stats.sample_size(margin, population) == expected


def test_fpc_shrinks_the_margin_for_small_populations():
    assert stats.fpc(100, None) == 1.0
    assert stats.fpc(100, 100) == 0.0
    assert stats.fpc(384, 200_000) == pytest.approx(0.99904, abs=1e-5)
    assert stats.fpc(50, 100) == pytest.approx(math.sqrt(50 / 99))


def test_margin_of_error_of_a_proportion():
    # 384 answers, p = 0.5, N = 200,000: the classic ±5 %
    assert stats.moe_proportion(0.5, 384, 200_000) == pytest.approx(0.05, abs=0.0005)
    assert stats.moe_proportion(0.5, 384, 400) < 0.05 / 4


def test_margin_of_error_of_a_mean_uses_t_for_small_samples():
    values = [1, 2, 3, 4, 5]
    n, total, total_sq = 5, sum(values), sum(v * v for v in values)
    sd = math.sqrt(2.5)
    assert stats.moe_mean(n, total, total_sq) == pytest.approx(2.776 * sd / math.sqrt(5))
    assert stats.t_quantile(200) == 1.96


def test_summary_of_likert_answers():
    values = [5, 4, 4, 3, 2, 1, 5, 4, 4, 5]
    sums = (10, sum(values), sum(v * v for v in values), 7, 2)
    s = stats.summarise(sums, kind="likert", population=None, min_n=10)
    assert not s.suppressed
    assert s.mean == pytest.approx(3.7)
    assert s.pct_satisfied == pytest.approx(70.0)
    assert s.pct_dissatisfied == pytest.approx(20.0)
    assert s.index == pytest.approx(100 * (3.7 - 1) / 4)
    assert s.moe_pct == pytest.approx(100 * 1.96 * math.sqrt(0.7 * 0.3 / 10))


def test_groups_below_the_minimum_are_suppressed_without_numbers():
    s = stats.summarise((9, 40, 180, 7, 1), kind="likert", population=None, min_n=10)
    assert s.suppressed and s.mean is None and s.pct_satisfied is None and s.index is None


def test_census_of_a_group_has_no_sampling_error():
    s = stats.summarise((20, 80, 330, 15, 1), kind="likert", population=20, min_n=10)
    assert s.moe_pct == 0 and s.moe_mean == 0
