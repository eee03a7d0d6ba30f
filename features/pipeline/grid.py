"""The training grid: features and labels for a range of monthly as-of dates.

The event tables are prepared once (column selection, derived scores); each as-of date then
filters by knowledge date and aggregates. Every date's rows equal `build_features` at that date
(tested), because both run the same `features_at`.

For large populations (`parts`, `float32`) the grid is built per partition of whole districts
(`features.pipeline.partition`) with its feature columns cast to float32 per date, then
merged date by date into the order of the single-pass grid: peak memory is the grid plus one
date, and the intermediate tables of `prepare` are those of one partition at a time.
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
from features.pipeline.partition import district_partitions
from features.pipeline.prepare import prepare

#: Columns of the grid that are not features (never cast to float32).
KEY_COLUMNS = ("as_of", "family_id", "label")

log = logging.getLogger(__name__)


def build_grid(
    events: Events,
    *,
    as_of_dates: Sequence[dt.date],
    horizon_months: int = 6,
    known_before: dt.date | None = None,
    progress: Callable[[dt.date], None] | None = None,
    parts: int = 1,
    float32: bool = False,
) -> pl.DataFrame:
    """`as_of` (Date), `family_id`, the features, `label` for every family at every date.

    `known_before` (the training cut-off) limits which outcomes can label; see
    `features.pipeline.labels`. `progress` is called after each date (the CLI shows a bar).
    `parts` > 1 builds the grid on that many partitions of whole districts and concatenates
    them (same rows, same order); `float32` casts every feature column to Float32 as each
    date is built (the dtype the model is trained on; see the module docstring).
    """
    if parts < 1:
        raise ValueError(f"parts: expected a whole number >= 1, got {parts}")
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
    if parts == 1:
        return pl.concat(_grid(events, dates, horizon_months, known_before, progress, float32))
    # per partition, one frame per date; then date by date, the partitions' frames in the
    # single-pass order (family_id), each released once merged: peak is the grid plus a date
    per_part = [
        _grid(part, dates, horizon_months, known_before, None, float32)
        for part in district_partitions(events, parts=parts)
    ]
    merged = []
    for i, as_of in enumerate(dates):
        day = pl.concat([frames[i] for frames in per_part])
        for frames in per_part:
            frames[i] = day.clear()
        merged.append(day.sort("family_id", maintain_order=True))
        del day
        if progress is not None:
            progress(as_of)
    return pl.concat(merged)


def _grid(
    events: Events,
    dates: list[dt.date],
    horizon_months: int,
    known_before: dt.date | None,
    progress: Callable[[dt.date], None] | None,
    float32: bool,
) -> list[pl.DataFrame]:
    """One frame per date of `dates` (as_of, family_id, the features, label)."""
    prepared = prepare(events)
    frames = []
    for as_of in dates:
        features = features_at(prepared, as_of=as_of)
        if float32:
            features = features.with_columns(pl.exclude(KEY_COLUMNS).cast(pl.Float32))
        labels = build_labels(
            events.outcomes,
            families=events.families,
            as_of=as_of,
            horizon_months=horizon_months,
            known_before=known_before,
        )
        # Both frames are sorted by family_id over the same cohort: a horizontal stack suffices.
        frames.append(
            features.with_columns(labels["label"]).select(
                pl.lit(as_of, dtype=pl.Date).alias("as_of"), pl.all()
            )
        )
        if progress is not None:
            progress(as_of)
    return frames
