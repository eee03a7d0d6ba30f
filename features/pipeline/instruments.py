"""Instrument scores: latest, worst and trend of HITS, WAST, PHQ-2 and the school items.

Several records may share a date (two children surveyed the same day, two screenings in one
visit); each date keeps its worst value first, so "latest" and "trend" do not depend on the
order of the rows, and appending unrelated rows can never change them.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from features.pipeline.prepare import Prepared, known

_CLINIC_SCORES = {"hits": "max", "wast": "max", "phq2": "max"}
_SCHOOL_SCORES = {"concern_items": "max", "feels_safe": "min"}


def _scores(frame: pl.LazyFrame, scores: dict[str, str], prefix: str) -> pl.LazyFrame:
    def worst(col: str, how: str) -> pl.Expr:
        return pl.col(col).min() if how == "min" else pl.col(col).max()

    per_date = (
        frame.group_by("family_id", "event_date")
        .agg(worst(col, how) for col, how in scores.items())
        .sort("family_id", "event_date")
    )
    # Sorted by family then date: the previous row is the previous date of the same family, and
    # the last row of a family is its latest date. Plain shifts beat per-group filters by ~20x.
    same_family = pl.col("family_id") == pl.col("family_id").shift(1)
    is_last = pl.col("family_id") != pl.col("family_id").shift(-1)
    latest = (
        per_date.with_columns(
            pl.when(same_family).then(pl.col(col).shift(1)).alias(f"_prev_{col}") for col in scores
        )
        .filter(is_last.fill_null(True))
        .select(
            "family_id",
            *(pl.col(col).alias(f"{prefix}{col}_latest") for col in scores),
            *(
                (pl.col(col) - pl.col(f"_prev_{col}")).alias(f"{prefix}{col}_trend")
                for col in scores
            ),
        )
    )
    worst_ever = per_date.group_by("family_id").agg(
        worst(col, how).alias(f"{prefix}{col}_{how}") for col, how in scores.items()
    )
    return latest.join(worst_ever, on="family_id")


def clinic_scores(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """`hits_*`, `wast_*`, `phq2_*`: latest, max and trend per family (null if never screened)."""
    return _scores(known(prepared.clinic, as_of), _CLINIC_SCORES, "")


def school_scores(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """`school_concern_items_*` (latest, max, trend) and `school_feels_safe_*` (latest, min,
    trend); the worst child of a survey date stands for the family."""
    return _scores(known(prepared.school, as_of), _SCHOOL_SCORES, "school_")
