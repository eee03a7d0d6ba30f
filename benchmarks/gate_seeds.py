"""How often and how much: the fairness gate on fresh unbiased populations (issue 18).

For each simulator seed, a fresh population (36 months from 2023-01, no bias injected) is
trained with the real pipeline (`experiments.training.train`, cut-off `--until`, the default
gate, the candidates `--candidates` judged `--judging`). Prints, per seed: every candidate's
judged AUC and P@5%, its gate verdict and failures; the champion chosen; then for
the champion every failure with its figures and its cause (`fairness.findings.Cause`), and the
calibration gap of every group whose gap is outside the rule's tolerance or significant
(uncorrected), so the verdicts can be read against the calibration evidence.

Usage: `python -m benchmarks.gate_seeds --families 20000 --seeds 1 2 3 4 5
[--candidates lightgbm logistic] [--judging out_of_time] [--police-bias ethnicity=russian:3]
[--recalibrate-within income_group] [--gaps income_group]`

`--recalibrate-within`: the deployment option of `model.recalibration` (off by default); the
calibration gaps of that attribute's groups are then printed whatever their size, with the
shifts the champion was given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from experiments.training import TrainingConfig, train
from features.simulator import SimulationConfig, simulate
from model.gates import describe


def _pct(x: float) -> str:
    return f"{100 * x:+.2f} pt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--until", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1))
    parser.add_argument("--candidates", nargs="+", default=["lightgbm", "logistic"])
    parser.add_argument("--judging", choices=["out_of_time", "held_out"], default="out_of_time")
    parser.add_argument(
        "--police-bias", default=None, metavar="ATTRIBUTE=GROUP:FACTOR",
        help="inject the police recording bias (e.g. ethnicity=russian:3)",
    )  # fmt: skip
    parser.add_argument("--recalibrate-within", default=None, metavar="ATTRIBUTE")
    parser.add_argument(
        "--gaps", default=None, metavar="ATTRIBUTE",
        help="print this attribute's calibration gaps whatever their size "
        "(default: the --recalibrate-within attribute)",
    )  # fmt: skip
    args = parser.parse_args()
    shown = args.gaps or args.recalibrate_within
    bias: dict[str, dict[str, float]] = {}
    if args.police_bias:
        target, factor = args.police_bias.split(":")
        attribute, group = target.split("=")
        bias = {attribute: {group: float(factor)}}

    for seed in args.seeds:
        t0 = time.perf_counter()
        config = SimulationConfig(
            families=args.families, months=36, start=dt.date(2023, 1, 1), seed=seed,
            police_multiplier_by_group=bias,
        )  # fmt: skip
        training = TrainingConfig(
            until=args.until, candidates=tuple(args.candidates), judging=args.judging,
            recalibrate_within=args.recalibrate_within,
        )  # fmt: skip
        result = train(simulate(config).events, config=training)
        verdict, report, selection = (
            result.fairness_verdict, result.fairness_report, result.selection
        )  # fmt: skip
        assert verdict is not None
        assert report is not None
        assert selection is not None
        print(f"\nseed {seed} ({time.perf_counter() - t0:.0f} s):")
        for c in selection.candidates:
            print(
                f"  {c.family:<9} AUC {c.metrics['auc']:.4f}, P@5% "
                f"{c.metrics['precision_at_5pct_district_expected']:.4f}, gate "
                f"{'passed' if c.gate.passed else 'FAILED'}"
            )
            for failure in c.gate.failures:
                print(f"            {describe(failure)}")
        choice = selection.choice
        print(
            f"  champion {choice.champion} (best {choice.best}, margin {choice.margin:+.4f}, "
            f"one standard error {choice.tolerance:.4f}); gate "
            f"{'passed' if result.gate.passed else 'FAILED'} (fairness "
            f"{'passed' if verdict.passed else 'failed'})"
        )
        limit = verdict.rules.max_calibration_gap
        if result.model.recalibration_ is not None:
            shifts = result.model.recalibration_.groups.items()
            print("  shifts (log-odds): " + ", ".join(f"{g} {f.shift:+.3f}" for g, f in shifts))
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
            if outside or gap.significant or gap.attribute == shown:
                print(
                    f"  calibration {gap.attribute}={gap.group} vs {gap.reference}: "
                    f"{_pct(gap.difference)} (95% {_pct(gap.ci[0])} to {_pct(gap.ci[1])}, "
                    f"p {gap.p_value:.1e} uncorrected)"
                )


if __name__ == "__main__":
    main()
