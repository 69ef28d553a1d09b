"""Tests of snnlib.stats: the ranks, rank differences and Wilcoxon tests of paper Table 1 / Tables A12-A13."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from snnlib import stats, tables

# Hand-made accuracy table: 3 datasets x 4 methods, ranks worked out by hand (1 = highest accuracy).
ACC = np.array([
    [0.90, 0.80, 0.70, 0.60],  # ranks 1 2 3 4
    [0.50, 0.50, 0.90, 0.10],  # ranks 2.5 2.5 1 4 (tie averaged)
    [0.70, 0.90, 0.80, 0.80],  # ranks 4 1 2.5 2.5
])
RANKS = np.array([[1, 2, 3, 4], [2.5, 2.5, 1, 4], [4, 1, 2.5, 2.5]])


def test_ranks_best_accuracy_gets_rank_1_and_ties_are_averaged():
    np.testing.assert_array_equal(stats.ranks(ACC), RANKS)


def test_average_ranks_and_difference_to_random_rank():
    np.testing.assert_allclose(stats.average_ranks(ACC), RANKS.mean(axis=0))
    # (k + 1) / 2 = 2.5 for k = 4 methods; the paper's Table 1 uses 4 for 7 methods and 12.5 for 24
    np.testing.assert_allclose(stats.average_rank_difference(ACC), RANKS.mean(axis=0) - 2.5)
    assert stats.random_rank(7) == 4.0 and stats.random_rank(24) == 12.5


def test_rank_differences_sum_to_zero():
    rng = np.random.default_rng(0)
    acc = rng.random((10, 7))
    assert abs(stats.average_rank_difference(acc).sum()) < 1e-12


def test_nan_ranks_last_with_worst_policy_and_raises_by_default():
    acc = np.array([[0.9, np.nan, 0.5], [0.2, 0.3, 0.4]])
    np.testing.assert_array_equal(stats.ranks(acc, nan_policy="worst"), [[1, 3, 2], [3, 2, 1]])
    with pytest.raises(ValueError, match="NaN"):
        stats.ranks(acc)
    with pytest.raises(ValueError, match="nan_policy"):
        stats.ranks(acc, nan_policy="drop")


def _enumerated_two_sided_p(d: np.ndarray) -> float:
    """Exact Wilcoxon p-value by enumerating all 2^n sign patterns (independent of scipy)."""
    r = np.argsort(np.argsort(np.abs(d))) + 1  # ranks of |d| (no ties in the test data)
    w_obs = r[d > 0].sum()
    mean = r.sum() / 2
    ws = [sum(ri for ri, s in zip(r, signs) if s) for signs in itertools.product([0, 1], repeat=len(d))]
    return float(np.mean([abs(w - mean) >= abs(w_obs - mean) - 1e-12 for w in ws]))


@pytest.mark.parametrize("d", [[1.0, -2.0, 3.0, 4.0], [0.5, 0.1, -0.3, 0.7, 0.9, -0.2], [1.0, 2.0, 3.0, 4.0]])
def test_wilcoxon_p_matches_enumeration(d):
    d = np.array(d)
    b = np.full(d.size, 0.5)
    assert stats.wilcoxon_p(b + d, b) == pytest.approx(_enumerated_two_sided_p(d), rel=1e-12)


def test_wilcoxon_known_value_for_four_pairs():
    # diffs 1, -2, 3, 4: W+ = 1 + 3 + 4 = 8 (null mean 5). Rank subsets with sum >= 8: {1,3,4}, {2,3,4},
    # {1,2,3,4}; with sum <= 2: {}, {1}, {2}. Two-sided exact p = 6 / 16 = 0.375.
    assert stats.wilcoxon_p([1.5, -1.5, 3.5, 4.5], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.375)


def test_min_wilcoxon_p_with_four_datasets_is_0_125():
    # all four differences with one sign: 2 / 2^4 (chapter 'A tabular benchmark')
    assert stats.min_wilcoxon_p(4) == 0.125
    assert stats.wilcoxon_p([0.9, 0.8, 0.7, 0.6], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.125)
    assert stats.min_wilcoxon_p(4, "greater") == 0.0625
    assert stats.min_wilcoxon_p(1) == 1.0
    assert stats.min_wilcoxon_p(4, "less") == 0.0625


def test_min_wilcoxon_p_above_50_pairs_is_the_normal_approximations():
    """scipy (and the p-values of paper Tables A12/A13) use the exact distribution up to 50 pairs and the
    normal approximation above: for the paper's 121 datasets the floor is ~1e-21, not 2/2**121 ~ 7.5e-37."""
    assert stats.min_wilcoxon_p(50) == pytest.approx(2 / 2**50, rel=1e-12)
    n = 121
    z = (n * (n + 1) / 2 - n * (n + 1) / 4) / math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    assert stats.min_wilcoxon_p(n) == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert 1e-22 < stats.min_wilcoxon_p(n) < 1e-20


def test_wilcoxon_all_equal_gives_p_1_and_drops_missing_pairs():
    assert stats.wilcoxon_p([0.5, 0.6], [0.5, 0.6]) == 1.0
    assert stats.wilcoxon_p([0.9, 0.8, np.nan, 0.7, 0.6], [0.1, 0.2, 0.3, 0.3, 0.4]) == pytest.approx(0.125)


def test_compare_sorts_by_rank_and_tests_against_best():
    rows = stats.compare(ACC, ["A", "B", "C", "D"])
    assert [r["method"] for r in rows] == ["B", "C", "A", "D"]  # average ranks 1.83, 2.17, 2.5, 3.5
    assert rows[0]["p_value"] is None and not rows[0]["significant"]
    assert rows[-1]["avg_rank_diff"] == pytest.approx(3.5 - 2.5)
    expected = stats.wilcoxon_p(ACC[:, 3], ACC[:, 1])
    assert rows[-1]["p_value"] == pytest.approx(expected)


def test_compare_with_explicit_reference_and_significance_flag():
    rng = np.random.default_rng(1)
    base = rng.random(12)
    acc = np.stack([base + 0.1, base], axis=1)  # method "good" wins on all 12 datasets
    rows = stats.compare(acc, ["good", "bad"], reference="good")
    assert rows[1]["method"] == "bad" and rows[1]["significant"]
    assert rows[1]["p_value"] == pytest.approx(2 / 2**12)


def test_markdown_table_marks_significant_p_values():
    rows = stats.compare(ACC, ["A", "B", "C", "D"])
    text = tables.markdown_table(rows, ["method", "avg_rank", "p_value"])
    lines = text.splitlines()
    assert lines[0] == "| method | avg_rank | p_value |"
    assert lines[2] == "| B | 1.833 | — |"
    assert len(lines) == 6


@pytest.mark.parametrize("kwargs, match", [
    ({"acc": [[1.0, 2.0]], "methods": ["a"]}, "methods"),
    ({"acc": [1.0, 2.0], "methods": ["a", "b"]}, "acc"),
    ({"acc": [[1.0, 2.0]], "methods": ["a", "b"], "reference": "c"}, "reference"),
    ({"acc": [[1.0, 2.0]], "methods": ["a", "b"], "alpha": 1.5}, "alpha"),
    ({"acc": [[1.0, 2.0]], "methods": ["a", "a"]}, "distinct"),
])
def test_compare_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        stats.compare(**kwargs)


def test_wilcoxon_rejects_bad_alternative_and_lengths():
    with pytest.raises(ValueError, match="alternative"):
        stats.wilcoxon_p([1, 2], [2, 3], alternative="bigger")
    with pytest.raises(ValueError, match="same length"):
        stats.wilcoxon_p([1, 2], [2, 3, 4])


def test_wilcoxon_ties_equal_differences_that_float_arithmetic_separates():
    """1/30 and 12/360 are the same difference; as computed from accuracies they differ by ~1e-16 (or ~1e-12
    after rounding the means), and must still share one rank (regression: they did not, p 0.023 vs 0.031)."""
    import numpy as np
    from scipy.stats import wilcoxon

    exact = np.array([1, 2, 1, 2, 1, 2, 1, -1]) / 30.0
    b = np.array([0.9, 0.8, 0.7111111111111111, 0.6, 0.5, 0.4, 0.3, 0.2])
    a = np.round(b + exact, 12)  # the accuracies as run_sweep stores them (means rounded to 12 decimals)
    assert len(set(np.abs(a - b))) > 2  # float arithmetic has split the ties
    expected = wilcoxon(exact).pvalue  # the exact differences: ties shared
    assert stats.wilcoxon_p(a, b) == pytest.approx(expected, rel=1e-12)


def test_one_sided_wilcoxon_follows_the_direction_of_the_alternative():
    a, b = [0.9, 0.8, 0.7, 0.6], [0.1, 0.2, 0.3, 0.4]  # a better on all 4 datasets
    assert stats.wilcoxon_p(a, b, "greater") == pytest.approx(1 / 16, rel=1e-12)
    assert stats.wilcoxon_p(a, b, "less") == pytest.approx(1.0, rel=1e-12)
    assert stats.wilcoxon_p(b, a, "less") == pytest.approx(1 / 16, rel=1e-12)


def test_wilcoxon_discards_zero_differences_and_drops_pairs_missing_on_either_side():
    d = np.array([0.0, 0.0, 0.1, 0.2, 0.3, -0.4, 0.5])
    b = np.full(d.size, 0.5)
    assert stats.wilcoxon_p(b + d, b) == pytest.approx(_enumerated_two_sided_p(d[2:]), rel=1e-12)
    x, y = b + d, b.copy()
    y[2] = np.nan  # missing in b: that pair goes, the rest is tested
    assert stats.wilcoxon_p(x, y) == pytest.approx(_enumerated_two_sided_p(d[3:]), rel=1e-12)


def test_worst_policy_ties_several_missing_results_and_infinities_are_rejected():
    acc = np.array([[0.9, np.nan, 0.5, np.nan]])
    np.testing.assert_array_equal(stats.ranks(acc, nan_policy="worst"), [[1, 3.5, 2, 3.5]])
    with pytest.raises(ValueError, match="inf|finite"):
        stats.ranks(np.array([[0.9, np.inf, 0.5]]))


def test_compare_one_sided_test_direction_and_alpha_boundary():
    acc = np.array([[0.9, 0.5], [0.8, 0.4], [0.7, 0.3], [0.95, 0.2], [0.85, 0.1]])
    rows = stats.compare(acc, ["A", "B"], alternative="less")
    assert rows[1]["method"] == "B" and rows[1]["p_value"] == pytest.approx(1 / 32)  # B worse on all 5
    four = acc[:4]
    rows = stats.compare(four, ["A", "B"], alpha=0.125)  # exact two-sided p = 2/16 = alpha: not significant
    assert rows[1]["p_value"] == pytest.approx(0.125) and rows[1]["significant"] is False
