"""Calibration of each group of one attribute, and its gap to the reference group.

`attribute_calibration` turns the calibration cells (`fairness.calibration`) into report
entries with bootstrap intervals, and compares each group's calibration error with the
reference group's: a bootstrap interval for the difference and a model-based p-value.

`calibrated_reference` answers the question a false omission or false negative ratio raises at
a fixed list size: would a ranking whose scores mean the same in every group show it too? It
shifts each group's scores in log-odds until the group's mean score equals its observed rate
(calibration in the large within groups, the very quantity the gate's calibration rule
measures), re-flags the audit rows under the same rule and capacity, and returns the group
metrics of that list. A shift keeps the order inside each group and changes only how the groups
interleave, so the difference between the raw and the recalibrated ratio is what the groups'
calibration gaps do to the list; what remains follows from different base rates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import polars as pl

from fairness import calibration as cal
from fairness.bootstrap import nan_pair, percentile_interval, resample_counts
from fairness.flagging import FlagRule, Threshold, TopK
from fairness.flagging import flag as flag_rows
from fairness.metrics import confusion_counts, group_metrics
from fairness.report import CalibrationBin, CalibrationGap, Disparity, GroupCalibration

#: Log-odds shifts are searched in [-_MAX_SHIFT, _MAX_SHIFT] (a factor of about e^20 in odds).
_MAX_SHIFT = 20.0
_EPS = 1e-9


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


def recalibrate_within_groups(
    score: np.ndarray, label: np.ndarray, codes: np.ndarray, *, usable: np.ndarray
) -> np.ndarray:
    """``score`` shifted in log-odds per group so that each usable group's mean score equals
    its observed rate; groups not ``usable`` (suppressed), or whose rate is 0 or 1, keep their
    scores. The order of the scores within a group never changes."""
    g_count = usable.size
    clipped = np.clip(score.astype(np.float64), _EPS, 1.0 - _EPS)
    logit = np.log(clipped) - np.log1p(-clipped)
    n = np.bincount(codes, minlength=g_count).astype(np.float64)
    positives = np.bincount(codes, weights=label.astype(np.float64), minlength=g_count)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = positives / n
    solve = usable & (n > 0) & (rate > 0) & (rate < 1)
    low, high = np.full(g_count, -_MAX_SHIFT), np.full(g_count, _MAX_SHIFT)
    for _ in range(60):  # bisection: the mean score rises with the shift
        mid = (low + high) / 2
        mean = np.bincount(codes, weights=_sigmoid(logit + mid[codes]), minlength=g_count) / n
        too_high = mean > rate
        high = np.where(too_high, mid, high)
        low = np.where(too_high, low, mid)
    shift = np.where(solve, (low + high) / 2, 0.0)
    return np.where(solve[codes], _sigmoid(logit + shift[codes]), score)


def calibrated_reference(
    scores: pl.DataFrame,
    *,
    score_col: str,
    label: np.ndarray,
    codes: np.ndarray,
    usable: np.ndarray,
    rule: FlagRule,
    within: str | None,
    n_flagged: int,
) -> dict[str, np.ndarray]:
    """Group metrics (`fairness.metrics.group_metrics`) of the list a ranking calibrated within
    groups would give at the same capacity: the same top k or top p% (per ``within`` part);
    for a threshold, the same number of rows (``n_flagged``) overall."""
    score = scores.get_column(score_col).cast(pl.Float64).to_numpy()
    shifted = recalibrate_within_groups(score, label, codes, usable=usable)
    frame = scores.with_columns(pl.Series(score_col, shifted))
    same: FlagRule = TopK(n_flagged) if isinstance(rule, Threshold) and n_flagged else rule
    flagged = flag_rows(frame, score_col=score_col, rule=same, within=within)
    if isinstance(rule, Threshold) and not n_flagged:
        flagged = np.zeros(score.size, dtype=bool)
    return group_metrics(confusion_counts(flagged, label, codes, usable.size))


def with_calibrated_ratios(
    disparities: Sequence[Disparity], names: list[str], reference: dict[str, np.ndarray]
) -> list[Disparity]:
    """``disparities`` with `Disparity.calibrated_ratio` read from ``reference`` (the metrics
    of `calibrated_reference`), each against the same reference group as its raw ratio."""
    index = {name: g for g, name in enumerate(names)}
    out = []
    for d in disparities:
        values = reference.get(d.metric)
        if values is None:
            out.append(d)
            continue
        mine, theirs = float(values[index[d.group]]), float(values[index[d.reference]])
        ratio = mine / theirs if theirs > 0 and math.isfinite(mine) else math.nan
        out.append(replace(d, calibrated_ratio=ratio))
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)
