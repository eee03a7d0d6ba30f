"""`patronage backtest`: score every month of a range with one model and report the list
metrics per month (AUC, precision and recall of the top 5%, overall and per district list).

Every month's figures use the features as of its 1st and the outcomes of the following
`horizon_months` months (the model's label window). A month whose window ends after the last
recorded outcome has censored labels and is flagged `censored`; a month before the model's
training cut-off was (partly) seen in training and is flagged `in_training`: neither is an
honest out-of-time figure.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from experiments.training import GridBuilder
from features.contracts import Events
from features.months import format_month, monthly_dates, months_after, parse_month
from features.pipeline.grid import build_grid
from model.bands import order_key
from model.metrics import list_metrics
from model.risk_model import RiskModel

#: The council's capacity: the share of each district's families on its list.
LIST_PCT = 5.0
#: As-of months whose grid is held at once (memory grows with the months of one grid only).
MONTHS_PER_GRID = 6


@dataclass(frozen=True)
class MonthFigures:
    """The list metrics of one month."""

    month: str
    families: int
    positives: int
    base_rate: float
    auc: float
    precision_at_5pct: float
    recall_at_5pct: float
    precision_at_5pct_district: float
    recall_at_5pct_district: float
    censored: bool
    in_training: bool


@dataclass(frozen=True)
class Backtest:
    """Per-month figures of one model over a range of months."""

    model: str
    horizon_months: int
    months: tuple[MonthFigures, ...]

    def to_frame(self) -> pl.DataFrame:
        """One row per month."""
        return pl.DataFrame([asdict(m) for m in self.months])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (NaN as null)."""
        rows = [
            {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in asdict(m).items()}
            for m in self.months
        ]
        return {"model": self.model, "horizon_months": self.horizon_months, "months": rows}


def month_range(start: str, end: str) -> list[dt.date]:
    """The first days of the months `start`..`end` (YYYY-MM, inclusive)."""
    try:
        first = parse_month(start)
    except ValueError as exc:
        raise ValueError(f"--from: {exc}") from None
    try:
        last = parse_month(end)
    except ValueError as exc:
        raise ValueError(f"--to: {exc}") from None
    if last < first:
        raise ValueError(f"--to: expected a month on or after --from {start}, got {end}")
    return monthly_dates(first, last)


def _last_outcome(events: Events) -> dt.date | None:
    value = events.outcomes["knowledge_date"].max()
    return value if isinstance(value, dt.date) else None


def backtest(
    events: Events,
    *,
    model: RiskModel,
    months: Sequence[dt.date],
    model_name: str = "",
    grid: GridBuilder | None = None,
    progress: Callable[[str], None] | None = None,
) -> Backtest:
    """Score `model` at every month of `months` and measure its lists (see the module).

    `grid`: how the grid is built (`build_grid`, or a Dask cluster's `Cluster.grid`).
    """
    if not months:
        raise ValueError("months: expected at least one month, got none")
    say = progress or (lambda _msg: None)
    horizon = model.horizon_months_
    last = _last_outcome(events)
    figures: list[MonthFigures] = []
    dates = sorted(set(months))
    for start in range(0, len(dates), MONTHS_PER_GRID):
        chunk = dates[start : start + MONTHS_PER_GRID]
        say(f"building features and labels for {format_month(chunk[0])}..{format_month(chunk[-1])}")
        rows = (grid or build_grid)(
            events, as_of_dates=list(chunk), horizon_months=horizon, known_before=None
        )
        figures.extend(_month(rows, as_of, model, events.families, last, say) for as_of in chunk)
    return Backtest(model=model_name, horizon_months=horizon, months=tuple(figures))


def _month(
    rows: pl.DataFrame,
    as_of: dt.date,
    model: RiskModel,
    families: pl.DataFrame,
    last: dt.date | None,
    say: Callable[[str], None],
) -> MonthFigures:
    """The figures of the month `as_of` from its rows of the grid."""
    horizon = model.horizon_months_
    month_rows = rows.filter(pl.col("as_of") == as_of)
    say(f"scoring {format_month(as_of)}: {month_rows.height:,} families")
    y = month_rows["label"].to_numpy().astype(int)
    scores = model.score(month_rows.drop("as_of", "label"), families=families)
    # a recalibration within groups reorders the groups: rank as the council's list does
    ranking = (
        scores.raw_score
        if model.recalibration_ is None
        else order_key(scores.probability, scores.raw_score)
    )
    groups = month_rows.select("family_id").join(
        families.select("family_id", "district"), on="family_id", how="left"
    )
    m = list_metrics(y, ranking, groups=groups["district"].to_numpy(), pcts=(LIST_PCT,))
    overall, within = m.top_k[0], m.top_k_within[0]
    return MonthFigures(
        month=format_month(as_of),
        families=m.n,
        positives=int(np.sum(y)),
        base_rate=m.base_rate,
        auc=m.auc,
        precision_at_5pct=overall.precision_expected,
        recall_at_5pct=overall.recall_expected,
        precision_at_5pct_district=within.precision_expected,
        recall_at_5pct_district=within.recall_expected,
        censored=last is None or months_after(as_of, horizon) > last,
        in_training=as_of < model.trained_until_,
    )
