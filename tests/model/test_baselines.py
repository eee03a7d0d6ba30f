from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from model.baselines import (
    ChecklistBaseline,
    Indicator,
    LogisticBaseline,
    PoliceHistoryBaseline,
)
from tests.model.synthetic import synthetic_frame


def test_checklist_counts_yes_answers_and_treats_missing_as_no() -> None:
    frame = pl.DataFrame(
        {
            "family_id": ["a", "b", "c"],
            "police_domestic_call_12m": [0, 1, 3],
            "hits_max": [None, 12.0, 8.0],
            "school_feels_safe_min": [1.0, None, 5.0],
        }
    )
    checklist = ChecklistBaseline().fit(frame)
    assert {i.feature for i in checklist.indicators_} == {
        "police_domestic_call_12m",
        "hits_max",
        "school_feels_safe_min",
    }
    # a: feels unsafe (1); b: one call (1) + HITS 12 (1); c: repeated calls (2)
    assert checklist.score(frame).tolist() == [1.0, 2.0, 2.0]


def test_checklist_without_any_indicator_feature_is_refused() -> None:
    with pytest.raises(ValueError, match="indicator"):
        ChecklistBaseline((Indicator("q", "absent_feature", 1),)).fit(pl.DataFrame({"x": [1]}))


def test_police_history_reads_the_12_month_count() -> None:
    frame = pl.DataFrame({"police_signals_12m": [0, 4, None]})
    assert PoliceHistoryBaseline().fit(frame).score(frame).tolist() == [0.0, 4.0, 0.0]
    with pytest.raises(ValueError, match="police_signals_12m"):
        PoliceHistoryBaseline().fit(pl.DataFrame({"x": [1]}))


def test_logistic_baseline_learns_the_synthetic_signal() -> None:
    train, y = synthetic_frame(3000, seed=20)
    test, y_test = synthetic_frame(2000, seed=21)
    model = LogisticBaseline().fit(train, y)
    assert "family_id" not in model.feature_names_
    score = model.score(test)
    assert np.all((score > 0) & (score < 1))
    assert score[y_test == 1].mean() > score[y_test == 0].mean() + 0.05
