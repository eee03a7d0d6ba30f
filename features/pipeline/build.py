"""Point-in-time features: one row per family of the cohort as of a date.

`build_features(events, *, as_of)` is a pure function of the event tables. Only records with
`knowledge_date < as_of` count (the single filter in `features.pipeline.prepare.known`), so records
that happened before `as_of` but became known on or after it are ignored.

Column types: counts, days, children, years and agencies are Int32; flags Int8; scores and shares
Float64. Missing is null (LightGBM reads it as NaN): "never screened" is null in every score and
flagged in `clinic_never_screened` / `school_never_surveyed`, never silently 0. Counts are 0 when
no record was known, because zero records is then the true count.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from features.contracts import GEOGRAPHY_COLUMNS, PROTECTED_ATTRIBUTES, Events
from features.pipeline.instruments import clinic_scores, school_scores
from features.pipeline.prepare import Prepared, prepare
from features.pipeline.protection import protection
from features.pipeline.trajectory import expiring_while_rising, trajectory
from features.pipeline.windows import (
    clinic_counts,
    form_counts,
    outcome_counts,
    police_counts,
    school_counts,
)
from features.registry import FEATURES

#: Counts are 0 when no record is known: zero records is then the true count, not a gap.
_COUNTS = [s.name for s in FEATURES.values() if s.unit == "count"]
#: Flags also 0 without a known record: nothing was raised.
_ZERO_WITHOUT_RECORDS = [
    "signals_accelerating_12m",
    "signal_after_silence",
    "agencies_agree_30d_6m",
]
_DTYPES: dict[str, pl.DataType] = {
    "count": pl.Int32(),
    "days": pl.Int32(),
    "children": pl.Int32(),
    "years": pl.Int32(),
    "agencies": pl.Int32(),
    "flag": pl.Int8(),
    "score": pl.Float64(),
    "share": pl.Float64(),
}

# Guardrail 2: fail at import if the registry ever names a protected or geographic column.
_FORBIDDEN = set(PROTECTED_ATTRIBUTES) | set(GEOGRAPHY_COLUMNS)
assert not _FORBIDDEN & set(FEATURES), "protected attributes are never features"


def build_features(events: Events, *, as_of: dt.date) -> pl.DataFrame:
    """Features of every family in `events.families` as of `as_of`, sorted by `family_id`.

    Columns: `family_id`, then exactly `list(features.registry.FEATURES)`.
    """
    return features_at(prepare(events), as_of=as_of)


def features_at(prepared: Prepared, *, as_of: dt.date) -> pl.DataFrame:
    """`build_features` on frames already prepared (the grid prepares once for many dates)."""
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise TypeError(f"as_of: expected a datetime.date, got {type(as_of).__name__}")
    frame = prepared.cohort.lazy()
    for part in (
        police_counts(prepared, as_of),
        school_counts(prepared, as_of),
        clinic_counts(prepared, as_of),
        outcome_counts(prepared, as_of),
        form_counts(prepared, as_of),
        clinic_scores(prepared, as_of),
        school_scores(prepared, as_of),
        protection(prepared, as_of),
        trajectory(prepared, as_of),
        _children(prepared, as_of),
    ):
        frame = frame.join(part, on="family_id", how="left")
    frame = frame.with_columns(pl.col(c).fill_null(0) for c in [*_COUNTS, *_ZERO_WITHOUT_RECORDS])
    frame = frame.with_columns(
        pl.col("protection_active").fill_null(0),
        protection_expiring_signals_rising=expiring_while_rising(as_of),
        **_derived(),
    )
    return (
        frame.select(
            "family_id",
            *(pl.col(s.name).cast(_DTYPES[s.unit]) for s in FEATURES.values()),
        )
        .sort("family_id")
        .collect()
    )


def _signalled(window: str) -> pl.Expr:
    return sum(
        (
            (pl.col(f"{name}_{window}") > 0).cast(pl.Int32)
            for name in ("police_signals", "clinic_positive")
        ),
        (pl.col(f"school_concerns_{window}") > 0).cast(pl.Int32),
    )


def _share(numerator: str, denominator: str) -> pl.Expr:
    """numerator / denominator, null where the denominator is 0 or null (no data, not 0%)."""
    den = pl.col(denominator).cast(pl.Float64)
    return pl.when(den > 0).then(pl.col(numerator).cast(pl.Float64) / den)


def _derived() -> dict[str, pl.Expr]:
    return {
        "agencies_signalled_3m": _signalled("3m"),
        "agencies_signalled_12m": _signalled("12m"),
        "clinic_positive_share": _share("clinic_positive_all", "clinic_screenings_all"),
        "school_concern_share": _share("school_concerns_all", "school_surveys_all"),
        "school_children_surveyed_share_12m": _share("_children_surveyed_12m", "n_children").clip(
            upper_bound=1.0
        ),
        "school_never_surveyed": (pl.col("school_surveys_all") == 0).cast(pl.Int8),
        "clinic_never_screened": (pl.col("clinic_screenings_all") == 0).cast(pl.Int8),
    }


def _children(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """Ages of the youngest and oldest child born by the as-of year (birth year only)."""
    age = (as_of.year - pl.col("birth_year").cast(pl.Int32)).cast(pl.Int32)
    return (
        prepared.children.lazy()
        .filter(pl.col("birth_year") <= as_of.year)
        .group_by("family_id")
        .agg(age.min().alias("youngest_child_age"), age.max().alias("oldest_child_age"))
    )
