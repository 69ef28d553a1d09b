"""Statistics of the paper's method comparison: ranks, average rank differences, paired Wilcoxon tests.

The paper ranks methods by test accuracy on each UCI dataset, averages the ranks, reports the average rank
difference to the rank of a random predictor ((k + 1) / 2: 4 for seven methods), and tests every method against
the best-ranked one with a paired Wilcoxon signed-rank test across datasets (no Friedman test). Paper Table 1,
Tables A12/A13 and §A4.2; see chapter "A tabular benchmark".

All functions take an accuracy table ``acc`` of shape ``(n_datasets, n_methods)`` (higher is better) and return
plain numpy arrays, lists and dicts (pandas is not a dependency).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

NAN_POLICIES = ("raise", "worst")
ALTERNATIVES = ("two-sided", "less", "greater")


def _table(acc: Any, nan_policy: str) -> np.ndarray:
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    arr = np.asarray(acc, dtype=float)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 2:
        raise ValueError(f"acc must be a 2-d table (n_datasets >= 1, n_methods >= 2), got shape {arr.shape}")
    if np.any(np.isinf(arr)):
        raise ValueError("acc (accuracies) must not contain infinities")
    if nan_policy == "raise" and np.any(np.isnan(arr)):
        raise ValueError("acc (accuracies) contains NaN; pass nan_policy='worst' to rank missing results last")
    return arr


def ranks(acc: Any, nan_policy: str = "raise") -> np.ndarray:
    """Rank the methods on each dataset: rank 1 for the highest accuracy, ties get the average of their ranks.

    Paper Table 1 / §A4.2 ("methods were ranked by their accuracy on each dataset"); chapter "A tabular
    benchmark". With ``nan_policy='worst'`` a missing result (NaN, "NA" in Table A11) ranks below every method
    that has one, and missing results tie among themselves.
    """
    from scipy.stats import rankdata

    arr = _table(acc, nan_policy)
    key = np.where(np.isnan(arr), np.inf, -arr)  # ascending rank of -acc: best accuracy -> rank 1
    return rankdata(key, method="average", axis=1)


def average_ranks(acc: Any, nan_policy: str = "raise") -> np.ndarray:
    """Average rank of each method over the datasets (paper Tables A12/A13, column "avg. rank")."""
    return ranks(acc, nan_policy).mean(axis=0)


def random_rank(n_methods: int) -> float:
    """Expected rank ``(k + 1) / 2`` of a method that predicts at random among ``k`` methods.

    Paper Table 1: 4 for the 7 FNNs (left), 12.5 for the 24 methods (right).
    """
    if not isinstance(n_methods, (int, np.integer)) or n_methods < 1:
        raise ValueError(f"n_methods must be a positive integer (number of compared methods), got {n_methods!r}")
    return (int(n_methods) + 1) / 2


def average_rank_difference(acc: Any, nan_policy: str = "raise") -> np.ndarray:
    """Average rank minus the random rank ``(k + 1) / 2``; negative means better than chance (paper Table 1)."""
    avg = average_ranks(acc, nan_policy)
    return avg - random_rank(avg.size)


#: Decimals kept of each paired difference in :func:`wilcoxon_p` (accuracies are fractions of test-set sizes).
DIFF_DECIMALS: int = 9


def wilcoxon_p(a: Any, b: Any, alternative: str = "two-sided") -> float:
    """Paired Wilcoxon signed-rank test p-value for accuracies ``a`` vs ``b`` over the same datasets.

    Pairs with a missing value are dropped, differences are rounded to :data:`DIFF_DECIMALS` decimals so that
    equal differences tie, zero differences are discarded (Wilcoxon's convention, scipy's default), and if no
    non-zero difference remains the p-value is 1. Uses ``scipy.stats.wilcoxon`` (exact
    distribution for small samples without ties). Paper Table 1 and Tables A12/A13, column "p-value".
    """
    from scipy.stats import wilcoxon

    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    x, y = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same length (paired datasets), got {x.size} and {y.size}")
    keep = np.isfinite(x) & np.isfinite(y)
    # Rounded to 9 decimals: differences that are equal as fractions (e.g. 1/30 and 12/360 of two test sets)
    # come out of float arithmetic a few ulp (or, after upstream rounding, ~1e-12) apart and would otherwise
    # get distinct ranks instead of a shared one, changing the statistic and the p-value.
    d = np.round(x[keep] - y[keep], DIFF_DECIMALS)
    if not np.any(d != 0):
        return 1.0
    return float(wilcoxon(d, alternative=alternative).pvalue)


def min_wilcoxon_p(n: int, alternative: str = "two-sided") -> float:
    """Smallest p-value :func:`wilcoxon_p` can give with ``n`` pairs (all differences of one sign, no ties).

    Up to 50 pairs scipy uses the exact distribution and this is ``2 / 2**n`` two-sided (``1 / 2**n`` one-sided):
    with the 4 built-in datasets 0.125, so no method can be "significantly worse" at the 5% level. Above 50
    pairs scipy switches to the normal approximation, whose smallest p-value is much larger than ``2 / 2**n``
    (about 1e-21 instead of 7.5e-37 for the paper's 121 datasets). Chapter "A tabular benchmark".
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer (number of paired datasets), got {n!r}")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    d = np.arange(1.0, int(n) + 1.0) * (-1.0 if alternative == "less" else 1.0)
    return wilcoxon_p(d, np.zeros_like(d), alternative)


def compare(acc: Any, methods: Sequence[str], reference: str | None = None, alpha: float = 0.05,
            alternative: str = "two-sided", nan_policy: str = "raise") -> list[dict[str, Any]]:
    """The paper's comparison table: one row per method, sorted by average rank (best first).

    Each row holds ``method``, ``avg_rank``, ``avg_rank_diff`` (to ``(k + 1) / 2``), ``p_value`` of the paired
    Wilcoxon test against ``reference`` (default: the best-ranked method; ``None`` in its own row) and
    ``significant`` (``p_value < alpha``, the paper's ``*``). Paper Table 1 and Tables A12/A13; chapter
    "A tabular benchmark".
    """
    arr = _table(acc, nan_policy)
    names = [str(m) for m in methods]
    if len(names) != arr.shape[1]:
        raise ValueError(f"methods must name every column of acc ({arr.shape[1]}), got {len(names)} names")
    if len(set(names)) != len(names):
        raise ValueError(f"methods must be distinct, got {names}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha (significance level) must be in (0, 1), got {alpha!r}")
    avg = average_ranks(arr, nan_policy)
    order = np.argsort(avg, kind="stable")
    if reference is None:
        ref = int(order[0])
    elif reference in names:
        ref = names.index(reference)
    else:
        raise ValueError(f"reference must be one of {names} or None (best-ranked), got {reference!r}")
    rows = []
    for j in order:
        p = None if j == ref else wilcoxon_p(arr[:, j], arr[:, ref], alternative)
        rows.append({"method": names[j], "avg_rank": float(avg[j]),
                     "avg_rank_diff": float(avg[j] - random_rank(len(names))),
                     "p_value": p, "significant": bool(p is not None and p < alpha)})
    return rows




def compare_means(scores: Any, methods: Sequence[str], alpha: float = 0.05,
                  alternative: str = "two-sided") -> list[dict[str, Any]]:
    """Paper Table 3 (HTRU2): one row per method, sorted by mean score over the folds (best first).

    ``scores`` has shape ``(n_folds, n_methods)`` (the ROC AUC of every test fold). Each row holds ``method``,
    ``mean`` and ``std`` (sample standard deviation, ddof 1) over the folds, ``p_value`` of the paired Wilcoxon
    signed-rank test across the folds against the method with the highest mean (``None`` in its own row) and
    ``significant`` (``p_value < alpha``, the paper's ``*``). Unlike :func:`compare` the reference is the best
    mean, not the best average rank, as Table 3 sorts and tests by the mean AUC. Chapter "A tabular benchmark".
    """
    arr = _table(scores, "raise")
    names = [str(m) for m in methods]
    if len(names) != arr.shape[1] or len(set(names)) != len(names):
        raise ValueError(f"methods must name every column of scores ({arr.shape[1]}) once, got {names}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha (significance level) must be in (0, 1), got {alpha!r}")
    mean = arr.mean(axis=0)
    std = arr.std(axis=0, ddof=1) if arr.shape[0] > 1 else np.zeros(arr.shape[1])
    order = np.argsort(-np.round(mean, 12), kind="stable")
    ref = int(order[0])
    rows = []
    for j in order:
        p = None if j == ref else wilcoxon_p(arr[:, j], arr[:, ref], alternative)
        rows.append({"method": names[j], "mean": float(mean[j]), "std": float(std[j]), "p_value": p,
                     "significant": bool(p is not None and p < alpha)})
    return rows
