"""Group confusion counts and the Aequitas group metrics computed from them.

Everything here works on count arrays whose last axis is the four confusion cells
``(tp, fp, tn, fn)`` and whose second-to-last axis is the groups of one attribute, so the same
code serves the point estimates (shape ``(G, 4)``) and the bootstrap (``(B, G, 4)``).

Definitions (Aequitas; "flagged" = predicted positive, "label" = recorded serious incident):

- ``tpr = tp / (tp + fn)``    share of labelled families that were flagged (recall)
- ``fnr = fn / (tp + fn)``    share of labelled families that were missed
- ``fpr = fp / (fp + tn)``    share of unlabelled families that were flagged
- ``tnr = tn / (fp + tn)``    share of unlabelled families that were not flagged
- ``precision = tp / (tp + fp)``   share of flagged families that were labelled
- ``fdr = fp / (tp + fp)``    share of flagged families that were not labelled
- ``for = fn / (fn + tn)``    share of not-flagged families that were labelled (false omission)
- ``npv = tn / (fn + tn)``    share of not-flagged families that were not labelled
- ``pprev = (tp + fp) / n``   selection rate: share of the group that was flagged
- ``ppr = (tp + fp) / K``     the group's share of the whole list (K = all flagged rows)
- ``prevalence = (tp + fn) / n``   share of the group with the label

A zero denominator gives NaN here (null in reports), never 0 and never an error.
"""

from __future__ import annotations

from typing import Final

import numpy as np

#: Index of each confusion cell on the last axis of a counts array.
TP, FP, TN, FN = 0, 1, 2, 3
CELLS: Final = ("tp", "fp", "tn", "fn")

#: The group metrics, in report order.
METRICS: Final = (
    "tpr",
    "fpr",
    "fnr",
    "tnr",
    "precision",
    "fdr",
    "for",
    "npv",
    "pprev",
    "ppr",
    "prevalence",
)


#: Rates that are a proportion within the group: metric -> (numerator cells, denominator cells).
PROPORTIONS: Final[dict[str, tuple[tuple[int, ...], tuple[int, ...]]]] = {
    "tpr": ((TP,), (TP, FN)),
    "fpr": ((FP,), (FP, TN)),
    "fnr": ((FN,), (TP, FN)),
    "tnr": ((TN,), (FP, TN)),
    "precision": ((TP,), (TP, FP)),
    "fdr": ((FP,), (TP, FP)),
    "for": ((FN,), (FN, TN)),
    "npv": ((TN,), (FN, TN)),
    "pprev": ((TP, FP), (TP, FP, TN, FN)),
    "prevalence": ((TP, FN), (TP, FP, TN, FN)),
}


def confusion_counts(
    flagged: np.ndarray, label: np.ndarray, codes: np.ndarray, n_groups: int
) -> np.ndarray:
    """Counts ``(n_groups, 4)`` of ``(tp, fp, tn, fn)``; ``codes`` are 0..n_groups-1 per row."""
    f = flagged.astype(bool, copy=False)
    y = label.astype(bool, copy=False)
    # tp=0 (f, y), fp=1 (f, not y), tn=2 (not f, not y), fn=3 (not f, y)
    cell = np.where(f, np.where(y, TP, FP), np.where(y, FN, TN)).astype(np.int64)
    index = codes.astype(np.int64, copy=False) * 4 + cell
    counts = np.bincount(index, minlength=4 * n_groups)
    return counts.reshape(n_groups, 4)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` as float, NaN wherever the denominator is 0."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def group_metrics(counts: np.ndarray) -> dict[str, np.ndarray]:
    """All of `METRICS` from counts shaped ``(..., G, 4)``; each result is shaped ``(..., G)``.

    ``ppr`` divides by the flagged rows of all groups on the G axis, so pass every group of the
    attribute (suppressed ones included) for it to mean "share of the list".
    """
    c = np.asarray(counts, dtype=np.float64)
    tp, fp, tn, fn = c[..., TP], c[..., FP], c[..., TN], c[..., FN]
    n = tp + fp + tn + fn
    pos = tp + fn
    neg = fp + tn
    flagged = tp + fp
    unflagged = fn + tn
    total_flagged = flagged.sum(axis=-1, keepdims=True)
    return {
        "tpr": ratio(tp, pos),
        "fpr": ratio(fp, neg),
        "fnr": ratio(fn, pos),
        "tnr": ratio(tn, neg),
        "precision": ratio(tp, flagged),
        "fdr": ratio(fp, flagged),
        "for": ratio(fn, unflagged),
        "npv": ratio(tn, unflagged),
        "pprev": ratio(flagged, n),
        "ppr": ratio(flagged, np.broadcast_to(total_flagged, flagged.shape)),
        "prevalence": ratio(pos, n),
    }
