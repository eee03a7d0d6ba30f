"""Labels: a recorded serious incident in [as_of, as_of + horizon)."""

from __future__ import annotations

import polars as pl
import pytest

from features.pipeline.labels import build_labels
from tests.features.pipeline.builders import D, EventsBuilder


def labels(b: EventsBuilder, **kwargs: object) -> dict[str, int]:
    events = b.build()
    frame = build_labels(events.outcomes, families=events.families, **kwargs)  # type: ignore[arg-type]
    assert frame.schema == pl.Schema({"family_id": pl.String(), "label": pl.Int8()})
    return dict(frame.iter_rows())


def cohort() -> EventsBuilder:
    b = EventsBuilder()
    for family in ("F1", "F2", "F3", "F4", "F5"):
        b.family(family)
    return b


def test_window_bounds() -> None:
    b = cohort()
    b.outcome("F1", D(2024, 1, 1))  # first day: in
    b.outcome("F2", D(2024, 6, 30))  # last day of 6 months: in
    b.outcome("F3", D(2024, 7, 1))  # as_of + 6 months: out
    b.outcome("F4", D(2023, 12, 31))  # before as_of: out (a feature, not a label)
    assert labels(b, as_of=D(2024, 1, 1)) == {"F1": 1, "F2": 1, "F3": 0, "F4": 0, "F5": 0}
    assert labels(b, as_of=D(2024, 1, 1), horizon_months=7)["F3"] == 1


def test_known_before_censors_late_records() -> None:
    b = cohort()
    b.outcome("F1", D(2024, 2, 1), known=D(2024, 3, 1))
    b.outcome("F2", D(2024, 2, 1), known=D(2024, 9, 1))
    assert labels(b, as_of=D(2024, 1, 1))["F2"] == 1
    got = labels(b, as_of=D(2024, 1, 1), known_before=D(2024, 8, 1))
    assert (got["F1"], got["F2"]) == (1, 0)


def test_every_family_gets_a_row_and_duplicates_count_once() -> None:
    b = cohort()
    b.outcome("F1", D(2024, 2, 1)).outcome("F1", D(2024, 3, 1), kind="guardianship_care")
    b.outcome("F9", D(2024, 2, 1))  # not in the cohort
    got = labels(b, as_of=D(2024, 1, 1))
    assert list(got) == ["F1", "F2", "F3", "F4", "F5"]
    assert got["F1"] == 1
    assert "F9" not in got


def test_horizon_must_be_positive() -> None:
    with pytest.raises(ValueError, match="horizon_months"):
        labels(cohort(), as_of=D(2024, 1, 1), horizon_months=0)
