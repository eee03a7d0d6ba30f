"""`experiments.backtest`: per-month list metrics of one model."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from experiments.backtest import backtest, month_range
from features.pipeline.grid import build_grid
from features.simulator import Population
from model.metrics import precision_recall_at_k
from model.risk_model import RiskModel
from model.training import BoosterParams

UNTIL = dt.date(2024, 7, 1)


def test_month_range() -> None:
    assert month_range("2024-11", "2025-02") == [
        dt.date(2024, 11, 1), dt.date(2024, 12, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="--to: expected a month on or after --from 2025-02"):
        month_range("2025-02", "2025-01")
    with pytest.raises(ValueError, match="--from: expected a month YYYY-MM, got '2025-1'"):
        month_range("2025-1", "2025-02")


def test_backtest_figures_equal_the_metrics_of_each_month(small_population: Population) -> None:
    events = small_population.events
    grid = build_grid(
        events, as_of_dates=[dt.date(2024, 4, 1), dt.date(2024, 5, 1)], known_before=UNTIL
    )
    train_rows = grid.filter(pl.col("as_of") == dt.date(2024, 4, 1))
    valid_rows = grid.filter(pl.col("as_of") == dt.date(2024, 5, 1))
    model = RiskModel(params=BoosterParams(num_boost_round=20, min_data_in_leaf=50)).fit(
        train_rows.drop("as_of", "label"),
        train_rows["label"].to_numpy(),
        valid_features=valid_rows.drop("as_of", "label"),
        y_valid=valid_rows["label"].to_numpy(),
        trained_until=UNTIL,
    )
    months = [dt.date(2024, 6, 1), dt.date(2024, 9, 1), dt.date(2025, 8, 1)]
    result = backtest(events, model=model, months=months, model_name="m")
    assert next(m.month for m in result.months) == "2024-06"
    assert len(result.months) == len(months)
    # checked independently for one month: the top 5% of the whole cohort
    as_of = dt.date(2024, 9, 1)
    rows = build_grid(events, as_of_dates=[as_of], known_before=None)
    raw = model.score(rows.drop("as_of", "label")).raw_score
    top = precision_recall_at_k(rows["label"].to_numpy(), raw, pct=5.0)
    september = next(m for m in result.months if m.month == "2024-09")
    assert september.precision_at_5pct == pytest.approx(top.precision_expected)
    assert september.recall_at_5pct == pytest.approx(top.recall_expected)
    assert september.positives == int(np.sum(rows["label"].to_numpy()))
    assert not september.in_training
    assert result.months[0].in_training  # 2024-06 is before the cut-off UNTIL
    # the population's outcomes end with its 36 months (2025-12): a window past that is censored
    last = max(result.months, key=lambda m: m.month)
    assert last.month == "2025-08"
    assert last.censored
    assert not september.censored
    assert result.to_frame().height == len(months)
