"""Risk bands and within-district ranks: how a calibrated probability is shown to a council.

Five bands (`very_low` .. `very_high`) cut at four calibrated probabilities. The defaults
follow the base rate of a *recorded* serious incident within 6 months on the simulator (a few
per cent): `very_high` starts at 4x a typical base rate so that the top band stays short.
The cut points are configurable at training time and stored with the model.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import polars as pl

BANDS = ("very_low", "low", "medium", "high", "very_high")

#: Default cut points (calibrated probability of a recorded serious incident in 6 months):
#: very_low < 2% <= low < 5% <= medium < 10% <= high < 20% <= very_high.
DEFAULT_BAND_CUTS: tuple[float, float, float, float] = (0.02, 0.05, 0.10, 0.20)


def validate_band_cuts(cuts: Sequence[float]) -> tuple[float, float, float, float]:
    """Check that `cuts` are four strictly increasing probabilities in (0, 1)."""
    values = tuple(float(c) for c in cuts)
    if len(values) != 4:
        raise ValueError(f"band_cuts: expected 4 cut points, got {len(values)}: {values}")
    if not all(0.0 < c < 1.0 for c in values):
        raise ValueError(f"band_cuts: expected probabilities in (0, 1), got {values}")
    if not all(a < b for a, b in itertools.pairwise(values)):
        raise ValueError(f"band_cuts: expected strictly increasing values, got {values}")
    return (values[0], values[1], values[2], values[3])


def assign_bands(probability: np.ndarray, cuts: Sequence[float] = DEFAULT_BAND_CUTS) -> list[str]:
    """Band of each probability; a probability equal to a cut point goes to the upper band."""
    checked = validate_band_cuts(cuts)
    index = np.searchsorted(np.asarray(checked), np.asarray(probability, dtype=float), side="right")
    return [BANDS[i] for i in index.tolist()]


def order_key(probability: np.ndarray, raw_score: np.ndarray) -> np.ndarray:
    """One number per family whose descending order is the model's own ordering: the
    probability, ties broken by the raw score (dense ranks; equal only where both are).

    A model recalibrated within groups (`model.recalibration`) ranks by its shifted
    probability, which isotonic calibration makes a step function: metrics computed on this key
    rank families as the lists do."""
    p = np.asarray(probability, dtype=np.float64)
    r = np.asarray(raw_score, dtype=np.float64)
    order = np.lexsort((r, p))
    ps, rs = p[order], r[order]
    new = np.r_[True, (ps[1:] != ps[:-1]) | (rs[1:] != rs[:-1])] if len(p) else np.zeros(0, bool)
    key = np.empty(len(p))
    key[order] = np.cumsum(new)
    return key


def rank_within(
    probability: np.ndarray, raw_score: np.ndarray, *, groups: Sequence[str] | np.ndarray
) -> np.ndarray:
    """Rank (1 = highest risk) of each family within its group (the district).

    Ties in the calibrated probability (isotonic calibration is a step function) are broken by
    the raw score, then by input order, so the rank order is the model's own ordering.
    """
    frame = pl.DataFrame(
        {
            "i": np.arange(len(probability)),
            "g": pl.Series(list(groups), dtype=pl.String),
            "p": np.asarray(probability, dtype=float),
            "r": np.asarray(raw_score, dtype=float),
        }
    )
    ranked = frame.sort(["g", "p", "r", "i"], descending=[False, True, True, False]).with_columns(
        rank=pl.int_range(1, pl.len() + 1).over("g")
    )
    return ranked.sort("i")["rank"].to_numpy()
