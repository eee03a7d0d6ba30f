"""Which rows a risk tool puts on the list: a score threshold, the top k, or the top p%.

Ties matter for real tools: a checklist with integer scores can have hundreds of families on
the same score at the cut. Every row tied with the last place is treated the same way, so the
list never depends on row order. With ``ties="include"`` (the default, as in Aequitas's
``rank(method="min")``) all rows tied with the k-th score are flagged and the list may be longer
than k; with ``ties="exclude"`` none of them are and the list may be shorter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

Ties = Literal["include", "exclude"]


@dataclass(frozen=True)
class Threshold:
    """Flag every row whose score is at least ``t`` (``score >= t``)."""

    t: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.t):
            raise ValueError(f"threshold: expected a finite number, got {self.t!r}")

    def describe(self) -> str:
        return f"score >= {self.t:g}"


@dataclass(frozen=True)
class TopK:
    """Flag the ``k`` highest scores (overall, or within each value of a column)."""

    k: int
    ties: Ties = "include"

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"top_k: expected a whole number >= 1, got {self.k!r}")
        _check_ties(self.ties)

    def describe(self) -> str:
        return f"top {self.k} (ties {self.ties}d)"


@dataclass(frozen=True)
class TopPct:
    """Flag the highest ``p`` percent of scores; ``p`` is in percent, ``TopPct(5)`` is 5%.

    The count is ``ceil(p / 100 * n)`` rows of the population (or of each ``within`` part).
    """

    p: float
    ties: Ties = "include"

    def __post_init__(self) -> None:
        if not (isinstance(self.p, int | float) and 0 < self.p <= 100):
            raise ValueError(f"top_pct: expected a percentage in (0, 100], got {self.p!r}")
        _check_ties(self.ties)

    def describe(self) -> str:
        return f"top {self.p:g}% (ties {self.ties}d)"


FlagRule = Threshold | TopK | TopPct


def _check_ties(ties: str) -> None:
    if ties not in ("include", "exclude"):
        raise ValueError(f"ties: expected 'include' or 'exclude', got {ties!r}")


def flag(
    scores: pl.DataFrame, *, score_col: str, rule: FlagRule, within: str | None = None
) -> np.ndarray:
    """Boolean array (one per row of ``scores``): is the row on the list under ``rule``?

    ``within`` names a column (e.g. ``district``) whose every value gets its own top k or top p%,
    the way each council has its own capacity; a threshold ignores it. Missing values of
    ``within`` form one part of their own.
    """
    if score_col not in scores.columns:
        raise ValueError(f"{score_col}: expected a score column, not found")
    if isinstance(rule, Threshold):
        values = scores.get_column(score_col).cast(pl.Float64).to_numpy()
        return np.asarray(values >= rule.t, dtype=bool)
    if within is not None and within not in scores.columns:
        raise ValueError(f"{within}: expected a column to rank within, not found")

    # "min" ranks give every tied row the best place of its tie: rank <= k includes the tie.
    # "max" ranks give the worst place: rank <= k excludes a tie that would overflow k.
    method: Literal["min", "max"] = "min" if rule.ties == "include" else "max"
    rank = pl.col(score_col).cast(pl.Float64).rank(method=method, descending=True)
    if isinstance(rule, TopK):
        capacity: pl.Expr = pl.lit(rule.k)
    else:
        # n * p / 100 in this order (and a hair of slack) so 7% of 100 is 7 rows, not 8.
        capacity = (pl.len().cast(pl.Float64) * rule.p / 100.0 - 1e-9).ceil()
    if within is not None:
        rank = rank.over(within)
        capacity = capacity.over(within)
    flagged = scores.select((rank <= capacity).alias("flagged")).get_column("flagged")
    return np.asarray(flagged.to_numpy(), dtype=bool)
