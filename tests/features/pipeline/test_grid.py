"""The training grid equals build_features and build_labels date by date."""

from __future__ import annotations

import datetime as dt
import logging
import random

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from features.contracts import Events, PoliceKind
from features.months import monthly_dates
from features.pipeline import build_features
from features.pipeline.grid import build_grid
from features.pipeline.labels import build_labels
from features.registry import FEATURES
from tests.features.pipeline.builders import D, EventsBuilder


def random_events(seed: int, families: int = 40) -> Events:
    rng = random.Random(seed)
    b = EventsBuilder()
    start = D(2023, 1, 1)

    def day() -> dt.date:
        return start + dt.timedelta(days=rng.randrange(730))

    def lag() -> dt.timedelta:
        return dt.timedelta(days=rng.randrange(60))

    for i in range(families):
        fid = f"F{i:03d}"
        b.family(fid, n_children=rng.randrange(3))
        for _ in range(rng.randrange(6)):
            kind = rng.choice(list(PoliceKind)).value
            event = day()
            until = event + dt.timedelta(days=30) if "order" in kind or "court" in kind else None
            if kind == "order_violation":
                until = None
            b.police(fid, kind, event, known=event + lag(), valid_until=until)
        for _ in range(rng.randrange(4)):
            event = day()
            b.clinic(fid, event, known=event + lag(), hits=(rng.randint(1, 5),) * 4)
        for _ in range(rng.randrange(4)):
            event = day()
            b.school(fid, event, known=event + lag(), feels_safe=rng.randint(1, 5))
        if rng.random() < 0.3:
            event = day()
            b.outcome(fid, event, known=event + lag())
    return b.build()


def test_grid_equals_build_features_and_labels_date_by_date() -> None:
    events = random_events(7)
    dates = monthly_dates(D(2023, 6, 15), D(2024, 6, 1))
    assert dates[0] == D(2023, 6, 1)
    assert dates[-1] == D(2024, 6, 1)
    assert len(dates) == 13
    grid = build_grid(events, as_of_dates=dates, horizon_months=6, known_before=D(2025, 1, 1))
    assert grid.columns == ["as_of", "family_id", *FEATURES, "label"]
    assert grid.height == len(dates) * events.families.height
    for as_of in dates:
        part = grid.filter(pl.col("as_of") == as_of)
        assert_frame_equal(part.select("family_id", *FEATURES), build_features(events, as_of=as_of))
        expected = build_labels(
            events.outcomes, families=events.families, as_of=as_of, known_before=D(2025, 1, 1)
        )
        assert part["label"].to_list() == expected["label"].to_list()
    assert grid["label"].sum() > 0


def test_grid_warns_about_censored_label_windows(caplog: pytest.LogCaptureFixture) -> None:
    events = random_events(3, families=5)
    with caplog.at_level(logging.WARNING, logger="features.pipeline.grid"):
        build_grid(events, as_of_dates=[D(2024, 1, 1), D(2024, 6, 1)], known_before=D(2024, 9, 1))
    assert "censored" in caplog.text


def test_grid_needs_dates() -> None:
    with pytest.raises(ValueError, match="as_of_dates"):
        build_grid(random_events(1, families=2), as_of_dates=[])
