from __future__ import annotations

import numpy as np
import pytest

from model.calibration import Calibrator


def _miscalibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores whose true probability is sigmoid(0.5 * raw - 1): overconfident, shifted."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(-2.0, 1.5, n)
    p = 1.0 / (1.0 + np.exp(-(0.5 * raw - 1.0)))
    return raw, (rng.random(n) < p).astype(int)


def test_platt_recovers_the_true_mapping() -> None:
    raw, y = _miscalibrated(40_000, 0)
    cal = Calibrator("platt").fit(raw, y)
    assert cal.coef_ == pytest.approx(0.5, abs=0.05)
    assert cal.intercept_ == pytest.approx(-1.0, abs=0.1)


@pytest.mark.parametrize("method", ["isotonic", "platt", "auto"])
def test_calibration_improves_brier_on_fresh_data(method: str) -> None:
    raw, y = _miscalibrated(20_000, 1)
    test_raw, test_y = _miscalibrated(20_000, 2)
    cal = Calibrator(method).fit(raw, y)  # type: ignore[arg-type]
    uncalibrated = 1.0 / (1.0 + np.exp(-test_raw))
    before = np.mean((uncalibrated - test_y) ** 2)
    after = np.mean((cal.predict(test_raw) - test_y) ** 2)
    assert after < before
    probs = cal.predict(np.linspace(-8, 8, 200))
    assert np.all(np.diff(probs) >= 0)  # monotone: calibration never reorders families
    assert np.all((probs >= 0) & (probs <= 1))


def test_auto_picks_the_method_with_lower_cross_validated_brier() -> None:
    raw, y = _miscalibrated(10_000, 3)
    cal = Calibrator("auto").fit(raw, y)
    assert set(cal.cv_brier_) == {"isotonic", "platt"}
    assert cal.method_ == min(cal.cv_brier_, key=cal.cv_brier_.__getitem__)


def test_auto_prefers_isotonic_for_a_non_logistic_shape() -> None:
    rng = np.random.default_rng(4)
    raw = rng.uniform(-3, 3, 20_000)
    p = np.where(raw > 1.0, 0.6, 0.02)  # a step: Platt cannot fit it
    y = (rng.random(raw.size) < p).astype(int)
    assert Calibrator("auto").fit(raw, y).method_ == "isotonic"


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_state_round_trips_exactly(method: str) -> None:
    raw, y = _miscalibrated(5000, 5)
    cal = Calibrator(method).fit(raw, y)  # type: ignore[arg-type]
    again = Calibrator.from_dict(cal.to_dict())
    grid = np.linspace(-6, 4, 101)
    assert np.array_equal(cal.predict(grid), again.predict(grid))


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="both classes"):
        Calibrator().fit(np.zeros(10), np.zeros(10))
    with pytest.raises(ValueError, match="equal length"):
        Calibrator().fit(np.zeros(10), np.zeros(9))
