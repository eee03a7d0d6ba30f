"""Calibration per group: observed rate per score bin, ECE, and mean-score-minus-observed.

Bins are quantiles of the scores of the whole population (so every group is read on the same
bins; ties collapse bins, so a checklist gets one bin per distinct score range). Per group g and
bin b, with S = sum of scores and P = number labelled:

- ``observed rate = P_gb / n_gb`` and ``mean score = S_gb / n_gb``;
- ``ECE_g = sum_b (n_gb / n_g) |mean score_gb - observed rate_gb| = sum_b |S_gb - P_gb| / n_g``;
- ``calibration error_g = (S_g - P_g) / n_g``: mean score minus observed rate; positive means
  the tool over-states the group's risk, negative that it under-states it.

Calibration only means something for probabilities, so scores outside [0, 1] skip it.
"""

from __future__ import annotations

import numpy as np

LABEL_CELLS = 2  # (not labelled, labelled)


def is_probability(scores: np.ndarray) -> bool:
    """True when every score lies in [0, 1]."""
    return bool(scores.size) and bool(np.all((scores >= 0.0) & (scores <= 1.0)))


def bin_edges(scores: np.ndarray, n_bins: int) -> np.ndarray:
    """Edges ``[min, cut_1, ..., max]`` at quantiles of ``scores`` (fewer bins where they tie).

    Bin 0 is ``[min, cut_1]`` and bin b is ``(cut_b, cut_b+1]``: a score equal to a cut goes to
    the lower bin, so a mass of tied scores (say 90% zeros) gets a bin of its own.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins: expected >= 1, got {n_bins}")
    low, high = float(np.min(scores)), float(np.max(scores))
    cuts = np.unique(np.quantile(scores, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))
    cuts = cuts[cuts < high]
    return np.asarray([low, *cuts.tolist(), high], dtype=np.float64)


def bin_index(scores: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each score, 0..len(edges)-2 (see `bin_edges` for which side a cut belongs to)."""
    return np.searchsorted(edges[1:-1], scores, side="left").astype(np.int64)


def calibration_cells(
    scores: np.ndarray, label: np.ndarray, codes: np.ndarray, n_groups: int, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Row counts and score sums per (group, bin, label), both shaped ``(G, B, 2)``."""
    n_bins = edges.size - 1
    index = (
        codes.astype(np.int64) * n_bins + bin_index(scores, edges)
    ) * LABEL_CELLS + label.astype(np.int64)
    size = n_groups * n_bins * LABEL_CELLS
    counts = np.bincount(index, minlength=size).reshape(n_groups, n_bins, LABEL_CELLS)
    sums = np.bincount(index, weights=scores, minlength=size).reshape(n_groups, n_bins, LABEL_CELLS)
    return counts, sums


def calibration_stats(counts: np.ndarray, sums: np.ndarray) -> dict[str, np.ndarray]:
    """ECE, signed calibration error, mean score and observed rate, from ``(..., G, B, 2)`` cells.

    Returns ``ece``, ``error``, ``mean_score``, ``observed_rate`` shaped ``(..., G)`` and
    ``bin_n``, ``bin_mean_score``, ``bin_observed_rate`` shaped ``(..., G, B)`` (NaN in empty bins).
    """
    c = np.asarray(counts, dtype=np.float64)
    bin_n = c.sum(axis=-1)
    bin_pos = c[..., 1]
    bin_sum = np.asarray(sums, dtype=np.float64).sum(axis=-1)
    n = bin_n.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        safe_n = np.where(n > 0, n, np.nan)
        safe_bin_n = np.where(bin_n > 0, bin_n, np.nan)
        return {
            "ece": np.abs(bin_sum - bin_pos).sum(axis=-1) / safe_n,
            "error": (bin_sum.sum(axis=-1) - bin_pos.sum(axis=-1)) / safe_n,
            "mean_score": bin_sum.sum(axis=-1) / safe_n,
            "observed_rate": bin_pos.sum(axis=-1) / safe_n,
            "bin_n": bin_n,
            "bin_mean_score": bin_sum / safe_bin_n,
            "bin_observed_rate": bin_pos / safe_bin_n,
        }


def resampled_sums(boot_counts: np.ndarray, counts: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """Score sums of resampled cells, taking each cell's observed mean score as fixed.

    This ignores the spread of scores inside one (bin, label) cell, a small loss with ten bins
    that keeps the bootstrap independent of the number of rows.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        cell_mean = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), 0.0)
    return np.asarray(boot_counts * cell_mean, dtype=np.float64)
