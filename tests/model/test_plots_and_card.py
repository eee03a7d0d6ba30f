from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from model import plots
from model.model_card import ModelCardInfo, render_model_card
from model.risk_model import RiskModel
from tests.model.synthetic import synthetic_frame


def test_waterfall_writes_png_and_svg(fitted_model: RiskModel, tmp_path: Path) -> None:
    frame, _ = synthetic_frame(20, seed=50)
    written = plots.waterfall(fitted_model.explain(frame), 3, tmp_path / "family")
    assert sorted(p.name for p in written) == ["family.png", "family.svg"]
    assert (tmp_path / "family.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "family.svg").read_text()[:2000]


def test_run_plots(fitted_model: RiskModel, tmp_path: Path) -> None:
    frame, y = synthetic_frame(2000, seed=51)
    scores = fitted_model.score(frame)
    groups = np.array(["A", "B"] * 1000)
    written = [
        *plots.shap_summary(fitted_model.explain(frame), tmp_path / "summary", max_rows=500),
        *plots.calibration_curve(y, {"model": scores.probability}, tmp_path / "cal"),
        *plots.precision_recall(y, {"model": scores.raw_score}, tmp_path / "pr"),
        *plots.precision_at_k_curve(y, {"model": scores.raw_score}, tmp_path / "pk", groups=groups),
    ]
    assert all(p.stat().st_size > 1000 for p in written)


def test_model_card_states_use_label_data_metrics_and_limits() -> None:
    info = ModelCardInfo(
        model_name="patronage-risk",
        trained_until=dt.date(2025, 1, 1),
        horizon_months=6,
        train_as_of=[dt.date(2023, 7, 1), dt.date(2023, 11, 1)],
        valid_as_of=[dt.date(2024, 5, 1), dt.date(2024, 7, 1)],
        n_train=500_000,
        n_valid=300_000,
        data_fingerprint="abcdef",
        features_by_source={"police": 60, "school": 20},
        calibration="platt",
        band_cuts=(0.02, 0.05, 0.1, 0.2),
        metrics={"model": {"auc": 0.8123, "ece": 0.004}, "checklist": {"auc": 0.7}},
        gate_passed=False,
        gate_failures=["No fairness verdict."],
    )
    card = render_model_card(info)
    for heading in (
        "## Intended use",
        "## Not for",
        "## What the label measures and what it misses",
        "## Data and time ranges",
        "## Metrics on the held-out period",
        "## Fairness summary",
        "## Known limitations",
    ):
        assert heading in card
    assert "0.8123" in card
    assert "2023-07-01 .. 2023-11-01" in card
    assert "Recorded is not the same as happened" in card
    assert "No fairness verdict." in card
    assert "because" not in card.lower()
