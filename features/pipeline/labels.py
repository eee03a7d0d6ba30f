"""Labels: a *recorded* serious incident in the horizon after the as-of date.

`label = 1` when the family has an outcome (criminal domestic-violence offense, protective-order
violation, hospital-treated injury, child taken into care) with `event_date` in
`[as_of, as_of + horizon_months)`. Recorded is not the same as happened: most violence is never
recorded, so the label measures what agencies will record, not the violence itself.

Knowledge lag: an incident enters the label through its `event_date`, whenever it was recorded,
as long as it was recorded before `known_before` (the training cut-off, `--until`). Without
`known_before` every recorded outcome counts (evaluation on complete simulated history). With it,
an incident that happened in the window but was recorded on or after the cut-off is unknown at
training time and cannot label: the label is censored, never filled from the future. Choose
as-of dates with `as_of + horizon_months + lag <= known_before`; the grid warns when a label
window reaches past `known_before`, because the last windows would then look safer than they are.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from features.months import months_after


def build_labels(
    outcomes: pl.DataFrame,
    *,
    families: pl.DataFrame,
    as_of: dt.date,
    horizon_months: int = 6,
    known_before: dt.date | None = None,
) -> pl.DataFrame:
    """`family_id`, `label` (Int8, 0/1) for every family in `families`, sorted by family_id."""
    if horizon_months < 1:
        raise ValueError(f"horizon_months: expected at least 1, got {horizon_months}")
    end = months_after(as_of, horizon_months)
    window = outcomes.lazy().filter((pl.col("event_date") >= as_of) & (pl.col("event_date") < end))
    if known_before is not None:
        window = window.filter(pl.col("knowledge_date") < known_before)
    positive = window.select("family_id").unique().with_columns(label=pl.lit(1, dtype=pl.Int8))
    return (
        families.lazy()
        .select("family_id")
        .join(positive, on="family_id", how="left")
        .with_columns(pl.col("label").fill_null(0))
        .sort("family_id")
        .collect()
    )
