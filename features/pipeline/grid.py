"""The training grid: features and labels for a range of monthly as-of dates.

The event tables are prepared once (column selection, derived scores); each as-of date then
filters by knowledge date and aggregates. Every date's rows equal `build_features` at that date
(tested), because both run the same `features_at`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

import polars as pl

from features.contracts import Events
from features.months import months_after
from features.pipeline.build import features_at
from features.pipeline.labels import build_labels
from features.pipeline.prepare import prepare

log = logging.getLogger(__name__)


def build_grid(
    events: Events,
    *,
    as_of_dates: Sequence[dt.date],
    horizon_months: int = 6,
    known_before: dt.date | None = None,
    progress: Callable[[dt.date], None] | None = None,
) -> pl.DataFrame:
    """`as_of` (Date), `family_id`, the features, `label` for every family at every date.

    `known_before` (the training cut-off) limits which outcomes can label; see
    `features.pipeline.labels`. `progress` is called after each date (the CLI shows a bar).
    """
    if not as_of_dates:
        raise ValueError("as_of_dates: expected at least one date, got none")
    dates = sorted(set(as_of_dates))
    if known_before is not None:
        late = [d for d in dates if months_after(d, horizon_months) > known_before]
        if late:
            log.warning(
                "%d as-of date(s) from %s have label windows ending after known_before %s: "
                "their labels are censored",
                len(late),
                late[0],
                known_before,
            )
    prepared = prepare(events)
    parts = []
    for as_of in dates:
        features = features_at(prepared, as_of=as_of)
        labels = build_labels(
            events.outcomes,
            families=events.families,
            as_of=as_of,
            horizon_months=horizon_months,
            known_before=known_before,
        )
        # Both frames are sorted by family_id over the same cohort: a horizontal stack suffices.
        parts.append(
            features.with_columns(labels["label"]).select(
                pl.lit(as_of, dtype=pl.Date).alias("as_of"), pl.all()
            )
        )
        if progress is not None:
            progress(as_of)
    return pl.concat(parts)
