"""Police-kind outcomes carry the record id of their police signal, as the service stores them."""

from __future__ import annotations

import datetime as dt

import polars as pl

from features.contracts import OUTCOME_POLICE_KINDS
from features.simulator import SimulationConfig, simulate


def test_police_kind_outcomes_are_their_police_signals() -> None:
    events = simulate(
        SimulationConfig(families=1500, months=24, start=dt.date(2023, 1, 1), seed=4)
    ).events
    kinds = sorted(k.value for k in OUTCOME_POLICE_KINDS)
    keys = ["record_id", "family_id", "kind", "event_date", "knowledge_date"]
    police_kind = events.outcomes.filter(pl.col("kind").is_in(kinds))
    assert police_kind.height > 20
    signals = events.police_signals.filter(pl.col("kind").is_in(kinds)).select(keys)
    # Every such outcome is one signal: same id, family, kind, event and knowledge date.
    assert police_kind.select(keys).sort("record_id").equals(signals.sort("record_id"))
    others = events.outcomes.filter(~pl.col("kind").is_in(kinds))
    assert others.height > 0
    assert others["record_id"].str.starts_with("OC").all()
    assert events.outcomes["record_id"].n_unique() == events.outcomes.height
