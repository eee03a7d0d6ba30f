"""Disparities against a reference group: ratios, differences, the band, bootstrap intervals.

For assistive interventions (a psychologist, patronage visits, a crisis centre) the harm of an
unfair list is *missing* a family that needs help, so the primary metrics are the false negative
rate (labelled families left off the list) and the false omission rate (share of the families
left off the list that go on to have a recorded incident). The punitive-side metrics, false
positive rate and false discovery rate (families put on the list without a later recorded
incident, who bear the scrutiny), are reported too, and so are selection rate, share of the
list, precision and recall for context.

Rates (every metric but the share of the list) are compared from their counts: the ratio gets
the MOVER-R interval built from Wilson intervals, the difference Newcombe's, and the p-value is
the inversion of the ratio's interval (`fairness.intervals`), so "interval excludes 1" and
"significant before correction" always agree. A rate is judged only when its own denominator
(the labelled families for FNR, the families left off the list for FOR, ...) reaches the
minimum size in both the group and the reference group; below it the comparison is reported
without interval or p-value ("too few" at the gate). The share of the list keeps the bootstrap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np

from fairness.bootstrap import percentile_interval, wald_p_value
from fairness.intervals import mover_ratio, newcombe_difference, rate_p_value, z_of
from fairness.metrics import PROPORTIONS, ratio
from fairness.report import Disparity, Side

PRIMARY_METRICS: Final = ("fnr", "for")
PUNITIVE_METRICS: Final = ("fpr", "fdr")
CONTEXT_METRICS: Final = ("tpr", "precision", "pprev", "ppr")

#: Metric -> which side of harm it measures, in report order.
DISPARITY_METRICS: Final[dict[str, Side]] = {
    **dict.fromkeys(PRIMARY_METRICS, "assistive"),
    **dict.fromkeys(PUNITIVE_METRICS, "punitive"),
    **dict.fromkeys(CONTEXT_METRICS, "context"),
}

#: For reference="best": the best-off group has the lowest error rate or the highest hit rate.
#: Selection rate and share of the list have no "better" direction; they use the largest group.
LOWER_IS_BETTER: Final = frozenset({"fnr", "for", "fpr", "fdr"})
HIGHER_IS_BETTER: Final = frozenset({"tpr", "precision"})

DEFAULT_BAND: Final = (0.8, 1.25)


def largest_group(n: np.ndarray, suppressed: np.ndarray) -> int | None:
    """Index of the largest non-suppressed group (first on ties), None if all are suppressed."""
    sizes = np.where(suppressed, -1, n)
    if sizes.size == 0 or sizes.max() < 0:
        return None
    return int(np.argmax(sizes))


def best_group(
    values: np.ndarray,
    suppressed: np.ndarray,
    metric: str,
    enough: np.ndarray | None = None,
) -> int | None:
    """Index of the best-off non-suppressed group on ``metric`` with a defined value (and,
    with ``enough``, a large enough denominator for that metric)."""
    usable = ~suppressed & np.isfinite(values)
    if enough is not None:
        usable &= enough
    if not usable.any():
        return None
    if metric in LOWER_IS_BETTER:
        return int(np.argmin(np.where(usable, values, np.inf)))
    return int(np.argmax(np.where(usable, values, -np.inf)))


def attribute_disparities(
    attribute: str,
    names: Sequence[str],
    *,
    n: np.ndarray,
    suppressed: np.ndarray,
    point: Mapping[str, np.ndarray],
    boot: Mapping[str, np.ndarray] | None,
    reference: int | None,
    counts: np.ndarray | None = None,
    band: tuple[float, float] = DEFAULT_BAND,
    level: float = 0.95,
    min_denominator: int = 1,
) -> list[Disparity]:
    """Disparities of every non-suppressed group of one attribute, for `DISPARITY_METRICS`.

    ``reference`` is the index of the reference group, or None for "the best-off group on each
    metric". ``point`` holds metrics shaped ``(G,)``; ``boot`` the same shaped ``(B, G)``, or None
    for no intervals. ``counts`` ``(G, 4)`` gives rates count-based intervals and p-values (see
    the module docstring) and applies ``min_denominator`` to each rate's own denominator;
    without counts, and for the share of the list, the bootstrap gives both. ``significant``
    means p < 1 - level before any multiple-comparison correction. The reference group itself
    is left out (its ratio is 1 by construction).
    """
    low_band, high_band = band
    z = z_of(level)
    out: list[Disparity] = []
    for metric, side in DISPARITY_METRICS.items():
        values = point[metric]
        k = m = enough = None
        if counts is not None and metric in PROPORTIONS:
            num_cells, den_cells = PROPORTIONS[metric]
            k = counts[:, list(num_cells)].sum(axis=1).astype(np.float64)
            m = counts[:, list(den_cells)].sum(axis=1).astype(np.float64)
            enough = m >= max(min_denominator, 1)
        ref = reference
        if ref is None:
            if metric in LOWER_IS_BETTER or metric in HIGHER_IS_BETTER:
                ref = best_group(values, suppressed, metric, enough)
            else:
                ref = largest_group(n, suppressed)
        if ref is None:
            continue
        ratios = ratio(values, np.full_like(values, values[ref]))
        diffs = values - values[ref]
        if k is not None and m is not None and enough is not None:
            ref_k, ref_m = np.full_like(k, k[ref]), np.full_like(m, m[ref])
            judged = enough & bool(enough[ref])
            nan = np.full(values.shape, np.nan)
            ratio_low, ratio_high = (
                np.where(judged, x, nan) for x in mover_ratio(k, m, ref_k, ref_m, z)
            )
            diff_low, diff_high = (
                np.where(judged, x, nan) for x in newcombe_difference(k, m, ref_k, ref_m, z)
            )
            p_values = np.where(judged, rate_p_value(k, m, ref_k, ref_m), nan)
        elif boot is not None:
            samples = boot[metric]
            ref_samples = samples[:, ref : ref + 1]
            ratio_low, ratio_high = percentile_interval(
                ratio(samples, np.broadcast_to(ref_samples, samples.shape)), level=level
            )
            diff_low, diff_high = percentile_interval(samples - ref_samples, level=level)
            p_values = wald_p_value(diffs, samples - ref_samples)
        else:
            nan = np.full(values.shape, np.nan)
            ratio_low = ratio_high = diff_low = diff_high = p_values = nan
        for g, name in enumerate(names):
            if g == ref or suppressed[g] or not np.isfinite(values[g]):
                continue
            r = float(ratios[g])
            defined = np.isfinite(r)
            ci = (float(ratio_low[g]), float(ratio_high[g]))
            p_value = float(p_values[g])
            out.append(
                Disparity(
                    attribute=attribute,
                    group=name,
                    reference=names[ref],
                    metric=metric,
                    side=side,
                    value=float(values[g]),
                    reference_value=float(values[ref]),
                    ratio=r,
                    ratio_ci=ci,
                    difference=float(diffs[g]),
                    difference_ci=(float(diff_low[g]), float(diff_high[g])),
                    outside_band=(not low_band <= r <= high_band) if defined else None,
                    significant=(p_value < 1.0 - level) if np.isfinite(p_value) else None,
                    p_value=p_value,
                )
            )
    return out
