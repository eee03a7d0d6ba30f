from __future__ import annotations

import numpy as np
import pytest

from model.bands import (
    BANDS,
    DEFAULT_BAND_CUTS,
    assign_bands,
    order_key,
    rank_within,
    validate_band_cuts,
)


def test_bands_follow_cut_points_with_cut_values_in_upper_band() -> None:
    cuts = (0.1, 0.2, 0.3, 0.4)
    probs = np.array([0.0, 0.0999, 0.1, 0.25, 0.3, 0.39, 0.4, 1.0])
    assert assign_bands(probs, cuts) == [
        "very_low",
        "very_low",
        "low",
        "medium",
        "high",
        "high",
        "very_high",
        "very_high",
    ]


def test_default_cuts_are_valid_and_five_bands() -> None:
    assert validate_band_cuts(DEFAULT_BAND_CUTS) == DEFAULT_BAND_CUTS
    assert len(BANDS) == 5


@pytest.mark.parametrize(
    ("cuts", "message"),
    [
        ((0.1, 0.2, 0.3), "4 cut points"),
        ((0.1, 0.3, 0.2, 0.4), "increasing"),
        ((0, 0.1, 0.2, 1.2), r"\(0, 1\)"),
    ],
)
def test_invalid_cuts_are_refused(cuts: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_band_cuts(cuts)


def test_rank_within_district_breaks_probability_ties_by_raw_score() -> None:
    prob = np.array([0.1, 0.1, 0.5, 0.2, 0.2])
    raw = np.array([-1.0, -0.5, 2.0, 0.1, 0.3])
    groups = ["A", "A", "B", "A", "B"]
    assert rank_within(prob, raw, groups=groups).tolist() == [3, 2, 1, 1, 2]


def test_the_order_key_ranks_by_probability_then_raw_score() -> None:
    probability = np.array([0.1, 0.3, 0.3, 0.1, 0.3])
    raw = np.array([-2.0, -1.0, -0.5, -1.5, -1.0])
    key = order_key(probability, raw)
    assert list(np.argsort(-key, kind="stable")) == [2, 1, 4, 3, 0]
    assert key[1] == key[4]  # equal in both: tied
    assert len(set(key.tolist())) == 4
