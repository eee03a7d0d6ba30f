"""build_features on the simulated population: shape, guardrails, and signal over time."""

from __future__ import annotations

import datetime as dt

import polars as pl

from features.contracts import GEOGRAPHY_COLUMNS, PROTECTED_ATTRIBUTES
from features.pipeline import build_features
from features.registry import FEATURES
from features.simulator import Population


def test_simulated_population_builds_with_guardrails(small_population: Population) -> None:
    events = small_population.events
    frame = build_features(events, as_of=dt.date(2025, 1, 1))
    assert frame.columns == ["family_id", *FEATURES]
    assert frame.height == events.families.height
    assert frame["family_id"].is_unique().all()
    assert not (set(PROTECTED_ATTRIBUTES) | set(GEOGRAPHY_COLUMNS)) & set(frame.columns)
    # Every column is numeric and at least the main counts carry signal.
    assert all(dtype.is_numeric() for dtype in frame.drop("family_id").dtypes)
    for name in ("police_signals_all", "clinic_screenings_all", "school_surveys_all"):
        assert frame[name].sum() > 0, name
    # Never screened is null, not zero, in the scores.
    never = frame.filter(pl.col("clinic_never_screened") == 1)
    assert never.height > 0
    assert never["hits_latest"].null_count() == never.height


def test_features_grow_with_history(small_population: Population) -> None:
    events = small_population.events
    early = build_features(events, as_of=dt.date(2023, 7, 1))
    late = build_features(events, as_of=dt.date(2025, 7, 1))
    assert (late["police_signals_all"] >= early["police_signals_all"]).all()
    assert late["police_signals_all"].sum() > early["police_signals_all"].sum()
    assert not early.equals(late)
