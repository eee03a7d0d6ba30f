"""Counts over windows and recency: police, school, clinic, recorded serious incidents, forms.

One `group_by("family_id")` per table with conditional sums, so every window and kind of a
table costs one pass over its known records.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from features.contracts import Form, PoliceKind
from features.months import months_before
from features.pipeline.prepare import Prepared, days_since, known
from features.registry import WINDOW_MONTHS, WINDOWS


def cutoffs(as_of: dt.date) -> dict[str, dt.date | None]:
    """First day of each window ending the day before `as_of` (None: all history)."""
    return {w: None if m is None else months_before(as_of, m) for w, m in WINDOW_MONTHS.items()}


def _in_window(cutoff: dt.date | None, condition: pl.Expr | None = None) -> pl.Expr:
    # A column expression, not a literal: a literal would aggregate once per group, not per row.
    date = pl.col("event_date")
    expr = date.is_not_null() if cutoff is None else date >= cutoff
    return expr if condition is None else expr & condition


def _counts(
    prefix: str, cuts: dict[str, dt.date | None], condition: pl.Expr | None
) -> list[pl.Expr]:
    return [
        _in_window(cuts[w], condition).sum().cast(pl.Int32).alias(f"{prefix}_{w}") for w in WINDOWS
    ]


def _last(name: str, as_of: dt.date, condition: pl.Expr | None) -> pl.Expr:
    date = pl.col("event_date") if condition is None else pl.col("event_date").filter(condition)
    return days_since(date.max(), as_of).alias(name)


def police_counts(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """Per kind and in total: counts over every window and days since the last one."""
    cuts = cutoffs(as_of)
    exprs: list[pl.Expr] = []
    for kind in PoliceKind:
        exprs += _counts(f"police_{kind}", cuts, pl.col("kind") == kind.value)
    exprs += _counts("police_signals", cuts, None)
    for kind in PoliceKind:
        exprs.append(_last(f"days_since_police_{kind}", as_of, pl.col("kind") == kind.value))
    exprs.append(_last("days_since_police_signal", as_of, None))
    return known(prepared.police, as_of).group_by("family_id").agg(exprs)


def _every_and_flagged(
    cuts: dict[str, dt.date | None],
    as_of: dt.date,
    flag: pl.Expr,
    counts: tuple[str, str],
    lasts: tuple[str, str],
) -> list[pl.Expr]:
    """Counts over every window and days since the last one, of all the records (first name of
    each pair) and of those `flag` marks (second name): the school's and the clinic's shape."""
    return [
        *_counts(counts[0], cuts, None),
        *_counts(counts[1], cuts, flag),
        _last(lasts[0], as_of, None),
        _last(lasts[1], as_of, flag),
    ]


def school_counts(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """Surveys and surveys with a worrying answer; children surveyed in the last 12 months."""
    cuts = cutoffs(as_of)
    concern = pl.col("concern")
    exprs = [
        *_every_and_flagged(
            cuts,
            as_of,
            concern,
            ("school_surveys", "school_concerns"),
            ("days_since_school_survey", "days_since_school_concern"),
        ),
        pl.col("person_id")
        .filter(pl.col("event_date") >= cuts["12m"])
        .n_unique()
        .cast(pl.Int32)
        .alias("_children_surveyed_12m"),
    ]
    return known(prepared.school, as_of).group_by("family_id").agg(exprs)


def clinic_counts(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """Screenings and positive screenings over every window; days since the last of each."""
    cuts = cutoffs(as_of)
    positive = pl.col("positive")
    exprs = _every_and_flagged(
        cuts,
        as_of,
        positive,
        ("clinic_screenings", "clinic_positive"),
        ("days_since_clinic_screening", "days_since_clinic_positive"),
    )
    return known(prepared.clinic, as_of).group_by("family_id").agg(exprs)


def outcome_counts(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """Recorded serious incidents known before `as_of` (past labels are legitimate history)."""
    cuts = cutoffs(as_of)
    exprs = [
        *_counts("serious_incidents", cuts, None),
        _last("days_since_serious_incident", as_of, None),
    ]
    return known(prepared.outcomes, as_of).group_by("family_id").agg(exprs)


def form_counts(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """Records (police signals and clinic disclosures) naming each form of violence."""
    cuts = cutoffs(as_of)
    columns = ("family_id", "event_date", "forms")
    records = pl.concat(
        [
            known(prepared.police, as_of).select(columns),
            known(prepared.clinic, as_of).select(columns),
        ]
    )
    exprs = [
        _in_window(cuts[w], pl.col("forms").list.contains(form.value).fill_null(False))
        .sum()
        .cast(pl.Int32)
        .alias(f"form_{form}_{w}")
        for form in Form
        for w in ("12m", "all")
    ]
    return records.group_by("family_id").agg(exprs)
