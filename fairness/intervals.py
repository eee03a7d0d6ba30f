"""Intervals for rates and their ratios that stay honest at small counts, and the p-values that
go with them.

A percentile bootstrap over a group with a handful of labelled families collapses: at 5 of 5
missed every resample says 100%, and the "95% interval" of the ratio shrinks to the spread of
the reference group alone (the demo once showed "1.62 times, 95% interval 1.52 to 1.75" next
to "within chance, p 0.96"). Here instead:

- a rate ``k / m`` gets the **Wilson score interval**, which never has zero width while
  ``0 < m`` (5 of 5 gives 57% to 100%), and keeps its coverage near the nominal level at small m;
- the ratio of a group's rate to the reference group's gets the **MOVER-R** interval built from
  the two Wilson intervals (Donner and Zou 2012, "Closed-form confidence intervals for functions
  of the normal mean and standard deviation"; Newcombe 2013), and the difference the
  **Newcombe hybrid score** (MOVER-D) interval;
- the p-value of "same rate as the reference" is the **inversion of that same interval**: the
  smallest two-sided level at which it excludes 1 (the ratio; the difference's 0 when the
  reference rate is 0 and no ratio exists). So an interval at level ``1 - alpha`` excludes 1 if
  and only if ``p < alpha``: the interval and the test can never contradict each other.

The two groups are independent samples (disjoint families), as the methods assume.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
_erfc = np.vectorize(math.erfc, otypes=[np.float64])
_Z_MAX = 40.0  # beyond this every interval of finite counts excludes what it can exclude


def z_of(level: float) -> float:
    """The two-sided normal quantile of ``level`` (0.95 -> 1.96)."""
    if not 0 < level < 1:
        raise ValueError(f"level: expected a probability in (0, 1), got {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2)


def _rate(k: npt.ArrayLike, m: npt.ArrayLike) -> F64:
    """``k / m`` as float, NaN where ``m == 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: F64 = np.asarray(k, dtype=np.float64) / np.asarray(m, dtype=np.float64)
    return out


def wilson(k: npt.ArrayLike, m: npt.ArrayLike, z: npt.ArrayLike) -> tuple[F64, F64]:
    """Wilson score interval of ``k / m`` at normal quantile ``z`` (NaN where ``m == 0``)."""
    kk = np.asarray(k, dtype=np.float64)
    mm = np.asarray(m, dtype=np.float64)
    zz = np.asarray(z, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = kk / mm
        denom = 1.0 + zz**2 / mm
        centre = (p + zz**2 / (2 * mm)) / denom
        half = zz / denom * np.sqrt(np.maximum(p * (1 - p) / mm + zz**2 / (4 * mm**2), 0.0))
    low = np.where(mm > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(mm > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # exact ends at 0 and 1 (rounding would otherwise leave 1e-17 and make 0/m look non-zero)
    low = np.where((kk == 0) & (mm > 0), 0.0, low)
    high = np.where((kk == mm) & (mm > 0), 1.0, high)
    return low, high


def mover_ratio(
    k1: npt.ArrayLike, m1: npt.ArrayLike, k2: npt.ArrayLike, m2: npt.ArrayLike, z: npt.ArrayLike
) -> tuple[F64, F64]:
    """MOVER-R interval of ``(k1 / m1) / (k2 / m2)`` from Wilson intervals at quantile ``z``.

    NaN where a denominator is 0 or the reference rate ``k2 / m2`` is 0 (no ratio exists); the
    upper end is infinite when the data cannot bound it.
    """
    p1, p2 = _rate(k1, m1), _rate(k2, m2)
    l1, u1 = wilson(k1, m1, z)
    l2, u2 = wilson(k2, m2, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = p1 * p2
        disc_low = a**2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2)
        disc_high = a**2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2)
        den_low = u2 * (2 * p2 - u2)
        den_high = l2 * (2 * p2 - l2)
        low = (a - np.sqrt(np.maximum(disc_low, 0.0))) / den_low
        high = (a + np.sqrt(np.maximum(disc_high, 0.0))) / den_high
    # the method's edge cases: an unbounded side (negative discriminant or denominator <= 0)
    low = np.where((disc_low < 0) | (den_low <= 0), 0.0, np.maximum(low, 0.0))
    high = np.where((disc_high < 0) | (den_high <= 0), np.inf, high)
    undefined = ~(np.isfinite(p1) & np.isfinite(p2)) | (p2 == 0)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def newcombe_difference(
    k1: npt.ArrayLike, m1: npt.ArrayLike, k2: npt.ArrayLike, m2: npt.ArrayLike, z: npt.ArrayLike
) -> tuple[F64, F64]:
    """Newcombe's hybrid score interval of ``k1 / m1 - k2 / m2`` (NaN where m is 0)."""
    p1, p2 = _rate(k1, m1), _rate(k2, m2)
    l1, u1 = wilson(k1, m1, z)
    l2, u2 = wilson(k2, m2, z)
    d = p1 - p2
    return (
        d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def _touch_z(k1: F64, m1: F64, k2: F64, m2: F64, *, ratio: bool) -> F64:
    """Per comparison, the normal quantile at which the interval first reaches the null value
    (1 for the ratio, 0 for the difference), by bisection: Wilson intervals, and so the MOVER
    intervals built from them, widen as the level rises."""
    null = 1.0 if ratio else 0.0
    interval = mover_ratio if ratio else newcombe_difference
    with np.errstate(divide="ignore", invalid="ignore"):
        point = (k1 / m1) / (k2 / m2) if ratio else k1 / m1 - k2 / m2
    above = point > null
    lo = np.zeros(k1.shape)
    hi = np.full(k1.shape, _Z_MAX)
    for _ in range(60):
        mid = (lo + hi) / 2
        low, high = interval(k1, m1, k2, m2, mid)
        excludes = np.where(above, low > null, high < null)
        lo = np.where(excludes, mid, lo)
        hi = np.where(excludes, hi, mid)
    return np.where(point == null, 0.0, (lo + hi) / 2)


def rate_p_value(k1: npt.ArrayLike, m1: npt.ArrayLike, k2: npt.ArrayLike, m2: npt.ArrayLike) -> F64:
    """Two-sided p-value of "the group's rate equals the reference's", by inverting the MOVER-R
    interval of the ratio (the Newcombe interval of the difference when the reference rate is 0).

    Consistent with the intervals by construction: ``mover_ratio(..., z_of(1 - a))`` excludes
    1 exactly when the p-value is below ``a``. NaN where a denominator is 0; 1 when both
    rates are 0.
    """
    kk1, mm1, kk2, mm2 = (np.asarray(x, dtype=np.float64) for x in (k1, m1, k2, m2))
    kk1, mm1, kk2, mm2 = np.broadcast_arrays(kk1, mm1, kk2, mm2)
    out = np.full(kk1.shape, np.nan)
    ok = (mm1 > 0) & (mm2 > 0)
    by_ratio = ok & (kk2 > 0)
    by_difference = ok & (kk2 == 0)
    for mask, is_ratio in ((by_ratio, True), (by_difference, False)):
        if mask.any():
            z = _touch_z(kk1[mask], mm1[mask], kk2[mask], mm2[mask], ratio=is_ratio)
            out[mask] = _erfc(z / math.sqrt(2.0))
    return out
