"""How often and how much: the fairness gate on fresh unbiased populations (issue 18).

For each simulator seed, a fresh population (36 months from 2023-01, no bias injected) is
trained with the real pipeline (`experiments.training.train`, cut-off `--until`, the default
gate). Prints, per seed: the model's held-out AUC and P@5%, the verdict, every failure with its
figures and its cause (`fairness.findings.Cause`), and the calibration gap of every group whose
gap is outside the rule's tolerance or significant (uncorrected), so the verdicts can be read
against the calibration evidence.

Usage: `python -m benchmarks.gate_seeds --families 20000 --seeds 1 2 3 4 5`
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from experiments.training import TrainingConfig, train
from features.simulator import SimulationConfig, simulate


def _pct(x: float) -> str:
    return f"{100 * x:+.2f} pt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--until", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1))
    args = parser.parse_args()

    for seed in args.seeds:
        t0 = time.perf_counter()
        config = SimulationConfig(
            families=args.families, months=36, start=dt.date(2023, 1, 1), seed=seed
        )
        result = train(simulate(config).events, config=TrainingConfig(until=args.until))
        verdict, report = result.fairness_verdict, result.fairness_report
        assert verdict is not None
        assert report is not None
        model = result.metrics["model"]
        print(
            f"\nseed {seed}: AUC {model['auc']:.4f}, P@5% "
            f"{model['precision_at_5pct_district_expected']:.4f}; gate "
            f"{'passed' if verdict.passed else 'FAILED'} "
            f"({time.perf_counter() - t0:.0f} s)"
        )
        limit = verdict.rules.max_calibration_gap
        for f in verdict.failures:
            if f.rule == "disparity":
                print(
                    f"  fails: {f.metric} {f.attribute}={f.group} {f.ratio:.2f}x "
                    f"(calibrated within groups: {f.calibrated_ratio:.2f}x), cause {f.cause}, "
                    f"p {f.adjusted_p:.1e} after Holm"
                )
            elif f.rule == "calibration_gap":
                low, high = f.difference_ci or (float("nan"), float("nan"))
                print(
                    f"  fails: calibration {f.attribute}={f.group} gap {_pct(f.difference or 0)} "
                    f"(95% {_pct(low)} to {_pct(high)}), p {f.adjusted_p:.1e} after Holm"
                )
            else:
                print(f"  fails: {f.rule}")
        for gap in report.calibration_gaps:
            outside = limit is not None and abs(gap.difference) > limit
            if outside or gap.significant:
                print(
                    f"  calibration {gap.attribute}={gap.group} vs {gap.reference}: "
                    f"{_pct(gap.difference)} (95% {_pct(gap.ci[0])} to {_pct(gap.ci[1])}, "
                    f"p {gap.p_value:.1e} uncorrected)"
                )


if __name__ == "__main__":
    main()
