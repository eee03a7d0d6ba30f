"""Model families on the same rows: LightGBM, the tuned logistic regression and an Explainable
Boosting Machine, judged out of time.

Every candidate is fitted on the training grid of `experiments.time_split` up to `--until`
(the booster stops early on its held-out months, as in training). They are judged twice:
- on the held-out months of the split, whose label windows overlap the training labels (the
  split the gate uses today);
- out of time: every family as of `--test-as-of` (at least one label horizon after `--until`,
  so no label month was seen in any form), labelled from all the data.
Figures: AUC, and the expected precision at 5% within each district list (random tie-breaking),
its worst ordering, the fit time and, for the EBM, the share of its raw score that pairs carry.

Usage: `python -m benchmarks.candidates [--data DIR | --families 20000 --seed 3]
[--until 2024-07-01] [--test-as-of 2025-01-01] [--runs 1]`
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl


def _metrics(y: np.ndarray, score: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    from model.metrics import list_metrics

    m = list_metrics(y, score, groups=groups).as_dict()
    return {
        "auc": m["auc"],
        "p5_expected": m["precision_at_5pct_district_expected"],
        "p5_worst": m["precision_at_5pct_district"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--until", default="2024-07-01")
    parser.add_argument("--test-as-of", default="2025-01-01")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    from experiments.time_split import data_start, known_before, time_split
    from features.loaders import load_events
    from features.pipeline.grid import build_grid
    from features.simulator import SimulationConfig, simulate, write_population
    from model.baselines import LogisticBaseline
    from model.ebm import EbmLearner, EbmParams, fit_ebm
    from model.risk_model import feature_columns
    from model.training import BoosterParams, fit_booster

    until = dt.date.fromisoformat(args.until)
    test_as_of = dt.date.fromisoformat(args.test_as_of)
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = Path(tmp) / "sim"
            config = SimulationConfig(
                families=args.families, months=36, start=dt.date(2023, 1, 1), seed=args.seed
            )
            write_population(simulate(config), data)
        events = load_events(data)
    visible = known_before(events, until)
    split = time_split(data_start(visible), until=until, horizon_months=6, valid_months=3,
                       history_months=6, max_train_months=12)  # fmt: skip
    grid = build_grid(
        visible, as_of_dates=[*split.train_as_of, *split.valid_as_of], known_before=until
    )
    test = build_grid(events, as_of_dates=[test_as_of])
    names = feature_columns(grid.drop("as_of", "label"))
    is_valid = grid["as_of"].is_in(split.valid_as_of)
    train_rows, valid_rows = grid.filter(~is_valid), grid.filter(is_valid)

    def matrix(rows: pl.DataFrame) -> np.ndarray:
        return rows.select(names).to_numpy().astype(np.float64)

    def list_keys(rows: pl.DataFrame) -> np.ndarray:
        district = rows.join(events.families.select("family_id", "district"), on="family_id")
        keys = district["as_of"].cast(pl.String) + "|" + district["district"]
        return keys.to_numpy()

    x, y = matrix(train_rows), train_rows["label"].to_numpy()
    xv, yv = matrix(valid_rows), valid_rows["label"].to_numpy()
    xt, yt = matrix(test), test["label"].to_numpy()
    print(
        f"{events.families.height:,} families; training {train_rows.height:,} family-months "
        f"({split.train_as_of[0]}..{split.train_as_of[-1]}), held out {valid_rows.height:,} "
        f"({split.valid_as_of[0]}..{split.valid_as_of[-1]}), out of time {test.height:,} "
        f"({test_as_of}); {len(names)} features; base rates {yv.mean():.4f} / {yt.mean():.4f}"
    )

    fitted: dict[str, Any] = {}
    fit_s: dict[str, list[float]] = {}
    fits = {
        "lightgbm": lambda: fit_booster(
            x, y, x_valid=xv, y_valid=yv, feature_names=names, params=BoosterParams()
        ),
        "logistic": lambda: LogisticBaseline().fit(
            train_rows.select(names), y, valid=(valid_rows.select(names), yv)
        ),
        "ebm": lambda: fit_ebm(
            x, y, feature_names=names, params=EbmParams(), valid=(xv, yv)
        ),  # stops on the held-out months, as training does since 2026-12-01
    }
    for name, fit in fits.items():
        fit_s[name] = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            fitted[name] = fit()
            fit_s[name].append(time.perf_counter() - t0)

    def score(name: str, rows: pl.DataFrame, mat: np.ndarray) -> np.ndarray:
        model = fitted[name]
        if name == "logistic":
            return np.asarray(model.score(rows.select(names)))
        if name == "ebm":
            return np.asarray(model.decision_function(mat))
        return np.asarray(model.predict(mat, raw_score=True))

    gv, gt = list_keys(valid_rows), list_keys(test)
    print(f"\n{'model':<10} {'fit s':>7}  {'held-out AUC':>12} {'P@5% exp':>9} {'worst':>7}"
          f"  {'out-of-time AUC':>15} {'P@5% exp':>9} {'worst':>7}")  # fmt: skip
    for name in fits:
        mv = _metrics(yv, score(name, valid_rows, xv), gv)
        mt = _metrics(yt, score(name, test, xt), gt)
        print(
            f"{name:<10} {float(np.median(fit_s[name])):>7.1f}  {mv['auc']:>12.4f} "
            f"{mv['p5_expected']:>9.4f} {mv['p5_worst']:>7.4f}  {mt['auc']:>15.4f} "
            f"{mt['p5_expected']:>9.4f} {mt['p5_worst']:>7.4f}"
        )
    ebm = fitted["ebm"]
    base, contrib = EbmLearner.from_interpret(ebm).contributions(xt)
    terms = np.asarray(ebm.eval_terms(xt))
    pairs = [j for j, t in enumerate(ebm.term_features_) if len(t) > 1]
    pair_share = float(np.abs(terms[:, pairs]).sum() / max(np.abs(terms).sum(), 1e-12))
    gap = float(np.abs(base + contrib.sum(axis=1) - ebm.decision_function(xt)).max())
    print(
        f"\nEBM: {len(ebm.term_features_) - len(pairs)} shapes and {len(pairs)} pairs; pairs carry "
        f"{pair_share:.1%} of the absolute term scores; contributions add up to the raw score "
        f"within {gap:.1e}"
    )


if __name__ == "__main__":
    main()
