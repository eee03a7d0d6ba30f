"""District partitions: whole districts, balanced, and the grid on partitions equals the grid."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from features.pipeline.grid import build_grid
from features.pipeline.partition import district_groups, district_partitions
from features.simulator import Population


def test_groups_keep_districts_whole_and_balance_family_counts(
    small_population: Population,
) -> None:
    families = small_population.events.families
    groups = district_groups(families, parts=3)
    flat = [d for g in groups for d in g]
    assert sorted(flat) == sorted(families["district"].unique().to_list())
    assert len(flat) == len(set(flat))
    sizes = [families.filter(pl.col("district").is_in(g)).height for g in groups]
    largest = families.group_by("district").len()["len"].max()
    assert isinstance(largest, int)
    assert max(sizes) - min(sizes) <= largest
    assert district_groups(families, parts=3) == groups


def test_more_parts_than_districts_gives_one_district_each(small_population: Population) -> None:
    families = small_population.events.families
    n = families["district"].n_unique()
    assert len(district_groups(families, parts=n + 5)) == n


def test_parts_must_be_positive(small_population: Population) -> None:
    with pytest.raises(ValueError, match="parts: expected a whole number >= 1, got 0"):
        district_groups(small_population.events.families, parts=0)


def test_grid_on_partitions_equals_grid(small_population: Population) -> None:
    events = small_population.events
    dates = [dt.date(2024, 6, 1), dt.date(2024, 9, 1)]
    whole = build_grid(events, as_of_dates=dates, known_before=dt.date(2025, 6, 1))
    parts = district_partitions(events, parts=3)
    assert len(parts) == 3
    for part in parts:
        assert part.persons["family_id"].is_in(part.families["family_id"]).all()
        assert part.police_signals["family_id"].is_in(part.families["family_id"]).all()
    joined = pl.concat(
        [build_grid(p, as_of_dates=dates, known_before=dt.date(2025, 6, 1)) for p in parts]
    ).sort("as_of", "family_id")
    assert joined.equals(whole.sort("as_of", "family_id"))
