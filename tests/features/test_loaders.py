"""Loading and validating event tables: good data round-trips, bad data is named precisely."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from features.contracts import EVENT_TABLES, Events
from features.loaders import DataValidationError, load_events, load_truth, validate_events
from tests.features.pipeline.builders import D, EventsBuilder


def sample() -> Events:
    b = EventsBuilder().family("F1", n_children=1).family("F2")
    b.person("F1")
    b.police("F1", "protective_order", D(2024, 1, 1), valid_until=D(2024, 2, 1))
    b.police("F1", "domestic_call", D(2024, 1, 5), known=D(2024, 1, 9), forms=("physical",))
    b.clinic("F2", D(2024, 2, 1))
    b.school("F1", D(2024, 3, 1))
    b.outcome("F2", D(2024, 4, 1))
    return b.build()


def write(events: Events, directory: Path) -> Path:
    for f in fields(events):
        getattr(events, f.name).write_parquet(directory / f"{f.name}.parquet")
    return directory


def test_round_trip(tmp_path: Path) -> None:
    events = sample()
    loaded = load_events(write(events, tmp_path))
    for name in EVENT_TABLES:
        assert_frame_equal(getattr(loaded, name), getattr(events, name))


def test_missing_file(tmp_path: Path) -> None:
    write(sample(), tmp_path)
    (tmp_path / "outcomes.parquet").unlink()
    with pytest.raises(DataValidationError, match=r"outcomes\.parquet"):
        load_events(tmp_path)
    with pytest.raises(DataValidationError, match="directory"):
        load_events(tmp_path / "nope")


def test_missing_column_is_named() -> None:
    events = sample()
    bad = replace(events, police_signals=events.police_signals.drop("kind"))
    with pytest.raises(DataValidationError) as info:
        validate_events(bad)
    assert (info.value.table, info.value.column) == ("police_signals", "kind")
    assert "police_signals.kind" in str(info.value)
    assert "missing" in str(info.value)


def test_wrong_type_is_named() -> None:
    events = sample()
    bad = replace(
        events,
        school_surveys=events.school_surveys.with_columns(pl.col("event_date").cast(pl.String)),
    )
    with pytest.raises(DataValidationError, match=r"school_surveys\.event_date: expected Date"):
        validate_events(bad)


def test_wider_integers_are_accepted_when_they_fit() -> None:
    events = sample()
    wide = replace(
        events, families=events.families.with_columns(pl.col("n_children").cast(pl.Int64))
    )
    assert validate_events(wide).families.schema["n_children"] == pl.Int8
    too_big = replace(
        events, families=events.families.with_columns(pl.Series("n_children", [1000, 1]))
    )
    with pytest.raises(DataValidationError, match=r"families\.n_children") as info:
        validate_events(too_big)
    assert info.value.bad_rows == 1


def test_knowledge_before_event_counts_bad_rows() -> None:
    events = sample()
    bad_police = events.police_signals.with_columns(knowledge_date=pl.lit(D(2023, 1, 1)))
    with pytest.raises(DataValidationError) as info:
        validate_events(replace(events, police_signals=bad_police))
    assert (info.value.table, info.value.column, info.value.bad_rows) == (
        "police_signals",
        "knowledge_date",
        2,
    )
    assert "2 bad rows" in str(info.value)


def test_unknown_kind_is_named_without_leaking_identifiers() -> None:
    events = sample()
    bad = events.police_signals.with_columns(
        kind=pl.Series(["protective_order", "880101300123"])  # an IIN-shaped value
    )
    with pytest.raises(DataValidationError) as info:
        validate_events(replace(events, police_signals=bad))
    message = str(info.value)
    assert info.value.column == "kind"
    assert info.value.bad_rows == 1
    assert "domestic_call" in message
    assert "880101300123" not in message


def test_order_without_expiry_is_rejected() -> None:
    events = sample()
    bad = events.police_signals.with_columns(valid_until=pl.lit(None, dtype=pl.Date))
    with pytest.raises(DataValidationError, match=r"police_signals\.valid_until"):
        validate_events(replace(events, police_signals=bad))


def test_extra_columns_are_dropped_and_order_restored() -> None:
    events = sample()
    shuffled = events.families.with_columns(extra=pl.lit(1)).select(
        [*list(reversed(events.families.columns)), "extra"]
    )
    got = validate_events(replace(events, families=shuffled)).families
    assert got.columns == events.families.columns


def test_load_truth(tmp_path: Path) -> None:
    truth = pl.DataFrame(
        {
            "family_id": ["F1"],
            "month": [D(2024, 1, 1)],
            "latent_risk": [0.1],
            "true_incidents": [0],
            "p_incident_6m": [0.05],
        },
        schema_overrides={"true_incidents": pl.Int16},
    )
    truth.write_parquet(tmp_path / "truth.parquet")
    assert_frame_equal(load_truth(tmp_path), truth)
    truth.drop("latent_risk").write_parquet(tmp_path / "truth.parquet")
    with pytest.raises(DataValidationError, match=r"truth\.latent_risk"):
        load_truth(tmp_path)
