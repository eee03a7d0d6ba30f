"""Preparation shared by every as-of date: the columns the feature modules read, derived once.

`prepare(events)` selects and derives (HITS total, WAST score, positive screening, worrying
school answer) without looking at any date, so the training grid prepares once and builds many
as-of dates from the same frames.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from features.contracts import HITS_POSITIVE_ABOVE, Events, Role

#: Items of the school survey that count as a worrying answer (0-7 per survey).
SCHOOL_CONCERN_ITEMS = (
    "afraid_of_adult",
    "seen_violence",
    "hurt_by_adult",
    "hunger_neglect",
    "wants_counsellor",
    "unexplained_injury",
    "behaviour_change",
)
#: A child who feels safe at home at most this often (1 never ... 5 always) is a worrying answer.
FEELS_SAFE_CONCERN_AT_MOST = 2

_WAST_TENSION = {"none": 0, "some": 1, "a_lot": 2}
_WAST_ARGUMENTS = {"none": 0, "some": 1, "great": 2}


@dataclass(frozen=True)
class Prepared:
    """The event tables reduced to what the features read (see `prepare`)."""

    cohort: pl.DataFrame  # family_id, n_children
    children: pl.DataFrame  # family_id, birth_year
    police: pl.DataFrame  # family_id, event_date, knowledge_date, kind, forms, valid_until
    clinic: pl.DataFrame  # family_id, event_date, knowledge_date, hits, wast, phq2, positive, forms
    school: pl.DataFrame  # family_id, person_id, event_date, knowledge_date, concern_items, ...
    outcomes: pl.DataFrame  # family_id, event_date, knowledge_date


def prepare(events: Events) -> Prepared:
    """Select the columns the features need and derive the per-record scores (no dates)."""
    hits = sum(
        (pl.col(c).cast(pl.Int16) for c in ("hits_hurt", "hits_insult", "hits_threaten")),
        pl.col("hits_scream").cast(pl.Int16),
    )
    wast = pl.col("wast_tension").replace_strict(_WAST_TENSION, return_dtype=pl.Int8) + pl.col(
        "wast_arguments"
    ).replace_strict(_WAST_ARGUMENTS, return_dtype=pl.Int8)
    # Positive: HITS above 10, the WAST short-form positive pattern (a lot of tension and great
    # difficulty), an injury that does not match the history, or any form of violence disclosed.
    positive = (
        (pl.col("hits") > HITS_POSITIVE_ABOVE)
        | ((pl.col("wast_tension") == "a_lot") & (pl.col("wast_arguments") == "great"))
        | pl.col("injury_inconsistent").fill_null(False)
        | (pl.col("forms").list.len().fill_null(0) > 0)
    )
    clinic = (
        events.medical_screenings.lazy()
        .with_columns(hits=hits, wast=wast)
        .with_columns(positive=positive)
        .select(
            "family_id",
            "event_date",
            "knowledge_date",
            pl.col("hits").cast(pl.Float64),
            pl.col("wast").cast(pl.Float64),
            pl.col("phq2").cast(pl.Float64),
            "positive",
            "forms",
        )
        .collect()
    )
    items = sum(
        (pl.col(c).fill_null(False).cast(pl.Int8) for c in SCHOOL_CONCERN_ITEMS[1:]),
        pl.col(SCHOOL_CONCERN_ITEMS[0]).fill_null(False).cast(pl.Int8),
    )
    school = (
        events.school_surveys.lazy()
        .select(
            "family_id",
            "person_id",
            "event_date",
            "knowledge_date",
            items.cast(pl.Float64).alias("concern_items"),
            pl.col("feels_safe").cast(pl.Float64),
        )
        .with_columns(
            concern=(pl.col("concern_items") > 0)
            | (pl.col("feels_safe") <= FEELS_SAFE_CONCERN_AT_MOST)
        )
        .collect()
    )
    police = events.police_signals.select(
        "family_id", "event_date", "knowledge_date", "kind", "forms", "valid_until"
    )
    outcomes = events.outcomes.select("family_id", "event_date", "knowledge_date")
    children = events.persons.filter(pl.col("role") == Role.child.value).select(
        "family_id", "birth_year"
    )
    cohort = events.families.select("family_id", pl.col("n_children").cast(pl.Int32)).sort(
        "family_id"
    )
    return Prepared(cohort, children, police, clinic, school, outcomes)


def known(frame: pl.DataFrame, as_of: dt.date) -> pl.LazyFrame:
    """Rows known strictly before `as_of`: the one point-in-time filter of the pipeline."""
    return frame.lazy().filter(pl.col("knowledge_date") < as_of)


def days_since(date_expr: pl.Expr, as_of: dt.date) -> pl.Expr:
    """Whole days from `date_expr` to `as_of` (null stays null)."""
    return (pl.lit(as_of) - date_expr).dt.total_days().cast(pl.Int32)
