from __future__ import annotations

import datetime as dt

import pytest

from model.risk_model import RiskModel
from model.training import BoosterParams
from tests.model.synthetic import synthetic_frame


@pytest.fixture(scope="session")
def fitted_model() -> RiskModel:
    train, y = synthetic_frame(4000, seed=1)
    valid, y_valid = synthetic_frame(2000, seed=2)
    params = BoosterParams(num_boost_round=120, early_stopping_rounds=20, min_data_in_leaf=40)
    return RiskModel(params=params).fit(
        train, y, valid_features=valid, y_valid=y_valid, trained_until=dt.date(2025, 1, 1)
    )
