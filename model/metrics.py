"""List metrics: AUC, average precision, tie-aware precision/recall@k (overall and within a
group such as the district), Brier score and expected calibration error.

Top-k with ties follows triage: when the k-th score is shared by several families, the list
could take any of them, so the worst ordering (negatives first among the tied), the best
ordering (positives first) and the expected value under random tie-breaking are reported.
The worst figure is what a council could actually receive (the `precision_at_*` keys, kept for
auditors); the expected one (`*_expected`) is the fair comparison between rankers, because a
ranker with many ties (a count of police signals) is otherwise judged at an ordering nobody
would choose. The model gate and the comparisons use the expected figure.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

DEFAULT_PCTS: tuple[float, ...] = (1.0, 5.0, 10.0)


def top_k_size(n: int, pct: float) -> int:
    """Capacity k for a list of n families at pct per cent (at least one when n > 0)."""
    if not 0 < pct <= 100:
        raise ValueError(f"pct: expected a percentage in (0, 100], got {pct}")
    return 0 if n == 0 else max(1, math.ceil(n * pct / 100.0 - 1e-9))


def _positives_in_top_k(y: np.ndarray, score: np.ndarray, k: int) -> tuple[int, float, int]:
    """(worst, expected, best) number of positives among the top k over the orderings of ties.

    Expected: under a uniformly random order of the tied block that straddles the cut-off,
    each of its ``n_tied`` families is taken with probability ``take / n_tied``, so the list
    takes ``take * pos_tied / n_tied`` of its positives on average (hypergeometric mean);
    exact, no simulation.
    """
    if k <= 0:
        return 0, 0.0, 0
    if k >= len(score):
        total = int(y.sum())
        return total, float(total), total
    threshold = np.partition(score, len(score) - k)[len(score) - k]  # the k-th largest score
    above = score > threshold
    tied = score == threshold
    n_above, pos_above = int(above.sum()), int(y[above].sum())
    n_tied, pos_tied = int(tied.sum()), int(y[tied].sum())
    take = k - n_above
    worst = pos_above + max(0, take - (n_tied - pos_tied))
    best = pos_above + min(take, pos_tied)
    expected = pos_above + take * pos_tied / n_tied
    return worst, expected, best


@dataclass(frozen=True)
class TopK:
    """Precision and recall of a top-pct list: worst and best ordering of ties, and the
    expected value under random tie-breaking (worst <= expected <= best)."""

    pct: float
    k: int
    precision_worst: float
    precision_best: float
    recall_worst: float
    recall_best: float
    precision_expected: float = float("nan")
    recall_expected: float = float("nan")


def _group_rows(groups: np.ndarray) -> Iterator[np.ndarray]:
    """The row indices of each group, one group after the other."""
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.r_[True, groups[order][1:] != groups[order][:-1], True])
    for lo, hi in itertools.pairwise(bounds.tolist()):
        yield order[lo:hi]


def inclusion_weights(
    y_score: np.ndarray, *, pct: float, groups: Sequence[str] | np.ndarray
) -> np.ndarray:
    """Each row's probability of being on its group's top-pct list under random tie-breaking:
    1 above the cut-off, ``take / n_tied`` in the tied block that straddles it, else 0. The
    weights of a group add up to its capacity, and ``sum(w * y) / sum(w)`` is the expected
    precision of `precision_recall_at_k`."""
    s = np.asarray(y_score, dtype=float)
    g = np.asarray(groups)
    if g.shape != s.shape:
        raise ValueError(f"groups: expected shape {s.shape}, got {g.shape}")
    weights = np.zeros(len(s))
    for idx in _group_rows(g):
        k, scores = top_k_size(len(idx), pct), s[idx]
        if k >= len(idx):
            weights[idx] = 1.0
            continue
        threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
        above, tied = scores > threshold, scores == threshold
        weights[idx[above]] = 1.0
        weights[idx[tied]] = (k - int(above.sum())) / int(tied.sum())
    return weights


def precision_recall_at_k(
    y_true: np.ndarray,
    y_score: np.ndarray,
    *,
    pct: float,
    groups: Sequence[str] | np.ndarray | None = None,
) -> TopK:
    """Tie-aware precision/recall of the top pct% overall, or of the top pct% of each group.

    With `groups`, every group (district) flags its own top pct% (the council's capacity) and
    the figures pool the flagged families of all groups.
    """
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(y_score, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"y_true and y_score: expected equal shapes, got {y.shape} and {s.shape}")
    if groups is None:
        k = top_k_size(len(s), pct)
        worst, expected, best = _positives_in_top_k(y, s, k)
    else:
        g = np.asarray(groups)
        if g.shape != y.shape:
            raise ValueError(f"groups: expected shape {y.shape}, got {g.shape}")
        k = worst = best = 0
        expected = 0.0
        for idx in _group_rows(g):
            kg = top_k_size(len(idx), pct)
            w, e, b = _positives_in_top_k(y[idx], s[idx], kg)
            k, worst, best, expected = k + kg, worst + w, best + b, expected + e
    positives = int(y.sum())
    return TopK(
        pct=pct,
        k=k,
        precision_worst=worst / k if k else float("nan"),
        precision_best=best / k if k else float("nan"),
        recall_worst=worst / positives if positives else float("nan"),
        recall_best=best / positives if positives else float("nan"),
        precision_expected=expected / k if k else float("nan"),
        recall_expected=expected / positives if positives else float("nan"),
    )


def brier(y_true: np.ndarray, probability: np.ndarray) -> float:
    """Mean squared error of probabilities against 0/1 outcomes."""
    return float(np.mean((np.asarray(probability, float) - np.asarray(y_true, float)) ** 2))


def expected_calibration_error(
    y_true: np.ndarray, probability: np.ndarray, *, n_bins: int = 10
) -> float:
    """ECE over equal-count bins of the probability (weighted |mean p - observed rate|).

    Equal-count bins, because with a base rate of a few per cent equal-width bins would put
    almost every family in the first bin and hide miscalibration at the top of the list.
    """
    p = np.asarray(probability, dtype=float)
    y = np.asarray(y_true, dtype=float)
    if len(p) == 0:
        return float("nan")
    order = np.argsort(p, kind="stable")
    total = 0.0
    for chunk in np.array_split(order, min(n_bins, len(p))):
        total += len(chunk) * abs(float(p[chunk].mean()) - float(y[chunk].mean()))
    return total / len(p)


def calibration_table(
    y_true: np.ndarray, probability: np.ndarray, *, n_bins: int = 10
) -> list[tuple[float, float, int]]:
    """(mean predicted, observed rate, count) per equal-count bin, for calibration curves."""
    p = np.asarray(probability, dtype=float)
    y = np.asarray(y_true, dtype=float)
    order = np.argsort(p, kind="stable")
    return [
        (float(p[c].mean()), float(y[c].mean()), len(c))
        for c in np.array_split(order, min(n_bins, max(len(p), 1)))
        if len(c)
    ]


@dataclass(frozen=True)
class ListMetrics:
    """All figures of one ranker on one evaluation set."""

    n: int
    base_rate: float
    auc: float
    average_precision: float
    top_k: tuple[TopK, ...]
    top_k_within: tuple[TopK, ...]
    brier: float | None
    ece: float | None

    def as_dict(self) -> dict[str, float]:
        """Flat name -> value: `precision_at_<pct>pct` and `recall_at_...` at the worst
        ordering of ties (what a council could receive), `..._expected` under random
        tie-breaking (what the gate compares), `..._best` at the best ordering."""
        out: dict[str, float] = {
            "n": float(self.n),
            "base_rate": self.base_rate,
            "auc": self.auc,
            "average_precision": self.average_precision,
        }
        for suffix, rows in (("", self.top_k), ("_district", self.top_k_within)):
            for t in rows:
                tag = f"{t.pct:g}pct{suffix}"
                out[f"precision_at_{tag}"] = t.precision_worst
                out[f"precision_at_{tag}_expected"] = t.precision_expected
                out[f"precision_at_{tag}_best"] = t.precision_best
                out[f"recall_at_{tag}"] = t.recall_worst
                out[f"recall_at_{tag}_expected"] = t.recall_expected
                out[f"recall_at_{tag}_best"] = t.recall_best
        if self.brier is not None:
            out["brier"] = self.brier
        if self.ece is not None:
            out["ece"] = self.ece
        return out

    def to_json(self) -> dict[str, object]:
        """Nested JSON-ready form."""
        return asdict(self)


def list_metrics(
    y_true: np.ndarray,
    y_score: np.ndarray,
    *,
    probability: np.ndarray | None = None,
    groups: Sequence[str] | np.ndarray | None = None,
    pcts: Sequence[float] = DEFAULT_PCTS,
) -> ListMetrics:
    """Ranking figures from `y_score`; calibration figures from `probability` when given."""
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(y_score, dtype=float)
    both = len(np.unique(y)) == 2
    return ListMetrics(
        n=len(y),
        base_rate=float(y.mean()) if len(y) else float("nan"),
        auc=float(roc_auc_score(y, s)) if both else float("nan"),
        average_precision=float(average_precision_score(y, s)) if both else float("nan"),
        top_k=tuple(precision_recall_at_k(y, s, pct=p) for p in pcts),
        top_k_within=tuple(
            precision_recall_at_k(y, s, pct=p, groups=groups) for p in pcts if groups is not None
        ),
        brier=None if probability is None else brier(y, probability),
        ece=None if probability is None else expected_calibration_error(y, probability),
    )
