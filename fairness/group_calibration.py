"""Calibration of each group of one attribute, and its gap to the reference group.

`attribute_calibration` turns the calibration cells (`fairness.calibration`) into report
entries with bootstrap intervals, and compares each group's calibration error with the
reference group's: a bootstrap interval for the difference and a model-based p-value.
"""

from __future__ import annotations

import math

import numpy as np

from fairness import calibration as cal
from fairness.bootstrap import nan_pair, percentile_interval, resample_counts
from fairness.report import CalibrationBin, CalibrationGap, GroupCalibration


def attribute_calibration(
    attribute: str,
    names: list[str],
    *,
    score: np.ndarray,
    label: np.ndarray,
    codes: np.ndarray,
    edges: np.ndarray,
    suppressed: np.ndarray,
    reference: int | None,
    n_boot: int,
    rng: np.random.Generator,
    level: float,
) -> tuple[list[GroupCalibration], list[CalibrationGap]]:
    """Calibration entries of the groups of ``attribute`` (suppressed groups without figures)
    and the gaps of the others to ``reference`` (None: the best calibrated group)."""
    g_count = len(names)
    counts, sums = cal.calibration_cells(score, label, codes, g_count, edges)
    stats = cal.calibration_stats(counts, sums)
    if n_boot:
        flat = counts.reshape(g_count, -1)
        boot_counts = resample_counts(flat, n_boot=n_boot, rng=rng).reshape(n_boot, *counts.shape)
        boot = cal.calibration_stats(boot_counts, cal.resampled_sums(boot_counts, counts, sums))
        ece_ci = percentile_interval(boot["ece"], level=level)
        err_ci = percentile_interval(boot["error"], level=level)
    else:
        boot = None
        ece_ci = err_ci = nan_pair(g_count)

    entries: list[GroupCalibration] = []
    for g, name in enumerate(names):
        if suppressed[g]:
            entries.append(
                GroupCalibration(attribute, name, True, None, None, None, None, None, None, None)
            )
            continue
        bins = tuple(
            CalibrationBin(
                low=float(edges[b]),
                high=float(edges[b + 1]),
                n=int(stats["bin_n"][g, b]),
                mean_score=float(stats["bin_mean_score"][g, b]),
                observed_rate=float(stats["bin_observed_rate"][g, b]),
            )
            for b in range(edges.size - 1)
        )
        entries.append(
            GroupCalibration(
                attribute=attribute,
                group=name,
                suppressed=False,
                n=int(stats["bin_n"][g].sum()),
                ece=float(stats["ece"][g]),
                ece_ci=(float(ece_ci[0][g]), float(ece_ci[1][g])),
                error=float(stats["error"][g]),
                error_ci=(float(err_ci[0][g]), float(err_ci[1][g])),
                mean_score=float(stats["mean_score"][g]),
                observed_rate=float(stats["observed_rate"][g]),
                bins=bins,
            )
        )

    # With reference="best" the reference is the best calibrated group (smallest |error|).
    error = stats["error"]
    ref = reference
    if ref is None:
        usable = ~suppressed & np.isfinite(error)
        ref = int(np.argmin(np.where(usable, np.abs(error), np.inf))) if usable.any() else None
    gaps: list[CalibrationGap] = []
    if ref is None:
        return entries, gaps
    if boot is not None:
        boot_diff = boot["error"] - boot["error"][:, ref : ref + 1]
        diff_low, diff_high = percentile_interval(boot_diff, level=level)
        # Model-based variance (Spiegelhalter): under "the scores are the true probabilities"
        # the observed rate has variance sum s(1-s) / n^2. Unlike the bootstrap it does not
        # collapse when a group has no labelled row at all.
        var = _binomial_variance(score, codes, g_count)
        p_values = _gap_p_values(error - error[ref], var + var[ref])
    else:
        diff_low, diff_high = nan_pair(g_count)
        p_values = np.full(g_count, np.nan)
    for g, name in enumerate(names):
        if g == ref or suppressed[g]:
            continue
        ci = (float(diff_low[g]), float(diff_high[g]))
        gaps.append(
            CalibrationGap(
                attribute=attribute,
                group=name,
                reference=names[ref],
                difference=float(error[g] - error[ref]),
                ci=ci,
                significant=bool(p_values[g] < 1.0 - level) if np.isfinite(p_values[g]) else None,
                p_value=float(p_values[g]),
            )
        )
    return entries, gaps


def _binomial_variance(score: np.ndarray, codes: np.ndarray, g_count: int) -> np.ndarray:
    n = np.bincount(codes, minlength=g_count).astype(np.float64)
    spread = np.bincount(codes, weights=score * (1.0 - score), minlength=g_count)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(spread / n**2, dtype=np.float64)


def _gap_p_values(diff: np.ndarray, var: np.ndarray) -> np.ndarray:
    se = np.sqrt(var)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, np.abs(diff) / se, np.where(diff == 0, 0.0, np.inf))
    return np.asarray(
        [math.erfc(x / math.sqrt(2.0)) if np.isfinite(x) or x == np.inf else math.nan for x in z]
    )
