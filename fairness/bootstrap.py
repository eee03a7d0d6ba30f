"""Stratified bootstrap on cell counts: exact, and fast enough for a million rows.

Resampling the n_g rows of group g with replacement and recounting the rows that fall in each
cell (a confusion cell, or a score-bin x label cell) gives a multinomial draw with n_g trials
and the observed cell shares as probabilities. Drawing those counts directly is the same
distribution as re-indexing the rows, at a cost that does not grow with the number of rows.

The list is held fixed: a row keeps the flag it had in the audited list. Intervals therefore
describe how much the figures would move with other families in the same groups, not how the
list itself would change.
"""

from __future__ import annotations

import math

import numpy as np

# scipy is not a declared dependency; the arrays here are small (groups), so vectorize suffices.
_erfc = np.vectorize(math.erfc, otypes=[np.float64])

#: Percentile intervals are left null when more than this share of resamples is undefined
#: (a zero denominator), because the remaining resamples are a biased subset.
MAX_UNDEFINED_SHARE = 0.05


def resample_counts(counts: np.ndarray, *, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` resamples ``(n_boot, G, C)`` of counts ``(G, C)``, each group on its own.

    Groups with no rows stay at zero.
    """
    c = np.asarray(counts, dtype=np.int64)
    n = c.sum(axis=-1)
    safe_n = np.where(n > 0, n, 1)
    pvals = c / safe_n[:, None]
    pvals[n == 0] = 0.0
    pvals[n == 0, 0] = 1.0  # any valid distribution; 0 trials draw nothing
    draws = rng.multinomial(n, pvals, size=(n_boot, c.shape[0]))
    return np.asarray(draws, dtype=np.int64)


def wald_p_value(
    estimate: np.ndarray, samples: np.ndarray, *, max_undefined: float = MAX_UNDEFINED_SHARE
) -> np.ndarray:
    """Two-sided p-value of "the true value is 0", from the bootstrap standard error.

    ``estimate`` is shaped like ``samples[0]``. Uses the normal approximation
    ``p = erfc(|estimate| / (se * sqrt 2))`` because percentile-counting p-values cannot go
    below ``1 / n_boot``, too coarse for a multiple-comparison correction. NaN where the
    estimate is undefined or more than ``max_undefined`` of the resamples are.
    """
    s = np.asarray(samples, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    out = np.full(est.shape, np.nan)
    ok = (np.isnan(s).mean(axis=0) <= max_undefined) & np.isfinite(est)
    if not ok.any():
        return out
    se = np.nanstd(s[:, ok], axis=0, ddof=1)
    z = np.divide(np.abs(est[ok]), se, out=np.full(se.shape, np.inf), where=se > 0)
    z[(se == 0) & (est[ok] == 0)] = 0.0
    out[ok] = _erfc(z / np.sqrt(2.0))
    return out


def percentile_interval(
    samples: np.ndarray, *, level: float = 0.95, max_undefined: float = MAX_UNDEFINED_SHARE
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0 of ``samples``, ignoring NaN resamples.

    Returns ``(low, high)`` arrays shaped like ``samples[0]``; both are NaN where more than
    ``max_undefined`` of the resamples are NaN.
    """
    if not 0 < level < 1:
        raise ValueError(f"level: expected a probability in (0, 1), got {level!r}")
    s = np.asarray(samples, dtype=np.float64)
    alpha = (1.0 - level) / 2.0
    undefined = np.isnan(s).mean(axis=0)
    ok = undefined <= max_undefined
    low = np.full(s.shape[1:], np.nan)
    high = np.full(s.shape[1:], np.nan)
    if ok.any():
        picked = s[:, ok]
        low[ok] = np.nanquantile(picked, alpha, axis=0)
        high[ok] = np.nanquantile(picked, 1.0 - alpha, axis=0)
    return low, high


def nan_pair(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The intervals of ``size`` groups when there are no resamples: NaN at both ends."""
    return np.full(size, np.nan), np.full(size, np.nan)
