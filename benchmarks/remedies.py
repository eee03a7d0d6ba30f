"""What a remedy for an under-stated group does to the gap, the list and precision (issue 18).

A fresh unbiased population (`--seed 3` by default, the one whose gate fails on low income) is
trained with the default pipeline. On the judged months the champion's probabilities are then
read three ways, each audited like the run's own audit (last judged month, one row per family,
top 5% of each district list):
- **accept the gap**: the probabilities as they are (what a recorded override ships);
- **recalibrate within groups**: per group of `--attribute`, a shift in log-odds that makes the
  group's mean probability equal its observed rate (`fairness.group_calibration`), fitted on
  the earlier judged months and applied to the last one, so the shifts never saw the audited
  month. It uses the attribute at scoring time: a legal and policy choice, not built into the
  product;
- **features from the records** are not a read of the same scores: the trajectory features
  were that attempt (docs/model.md); their ablation is there.
Prints, per remedy: the calibration gap of every group of the attribute against its reference,
the FOR and FNR ratios, the expected precision at 5% per district list, and how many of the
listed families change.

Usage: `python -m benchmarks.remedies --families 20000 --seed 3 [--until 2025-01-01]
[--judging held_out] [--attribute income_group]`
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import polars as pl

RATES = ("for", "fnr")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--until", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1))
    parser.add_argument("--attribute", default="income_group")
    parser.add_argument("--judging", choices=["out_of_time", "held_out"], default="out_of_time")
    args = parser.parse_args()

    import fairness
    from experiments.training import TrainingConfig, train
    from fairness.group_calibration import recalibrate_within_groups
    from features.contracts import PROTECTED_ATTRIBUTES
    from features.simulator import SimulationConfig, simulate
    from model.metrics import list_metrics
    from model.recalibration import logit

    population = simulate(
        SimulationConfig(
            families=args.families, months=36, start=dt.date(2023, 1, 1), seed=args.seed
        )
    )
    result = train(population.events, config=TrainingConfig(until=args.until, judging=args.judging))
    rows = result.scored.rows.with_columns(probability=result.scored.probability["model"])
    last = max(rows["as_of"].to_list())
    earlier, audited = rows.filter(pl.col("as_of") < last), rows.filter(pl.col("as_of") == last)
    groups = sorted(set(rows[args.attribute].to_list()))
    codes = {g: i for i, g in enumerate(groups)}

    # the shifts, fitted on the earlier judged months: recalibrate there, read each group's shift
    fit = recalibrate_within_groups(
        earlier["probability"].to_numpy(),
        earlier["label"].to_numpy(),
        np.array([codes[g] for g in earlier[args.attribute].to_list()]),
        usable=np.ones(len(groups), dtype=bool),
    )
    before = logit(earlier["probability"].to_numpy())
    shifted = logit(fit)
    shift = {
        g: float(np.median((shifted - before)[earlier[args.attribute].to_numpy() == g]))
        for g in groups
    }
    p = audited["probability"].to_numpy()
    raw_logit = logit(p)
    moved = raw_logit + np.array([shift[g] for g in audited[args.attribute].to_list()])
    recalibrated = 1.0 / (1.0 + np.exp(-moved))

    print(
        f"{args.families:,} families, seed {args.seed}; champion {result.model.family}; audited "
        f"month {last}, shifts fitted on {sorted(set(earlier['as_of'].to_list()))}"
    )
    print("log-odds shifts: " + ", ".join(f"{g} {s:+.3f}" for g, s in shift.items()))
    listed: dict[str, set[str]] = {}
    for name, score in (("accept the gap", p), ("recalibrate within groups", recalibrated)):
        frame = audited.with_columns(score=score)
        report = fairness.audit(
            frame, score_col="score", label_col="label",
            group_cols=list(PROTECTED_ATTRIBUTES), flag=fairness.TopPct(5.0),
            within="list_key", n_boot=200, seed=0,
        )  # fmt: skip
        verdict = fairness.evaluate_gate(report)
        flagged = fairness.flag(
            frame, score_col="score", rule=fairness.TopPct(5.0), within="list_key"
        )
        listed[name] = set(frame.filter(pl.Series(flagged))["family_id"].to_list())
        m = list_metrics(
            frame["label"].to_numpy(), score, groups=frame["list_key"].to_numpy()
        ).as_dict()
        print(f"\n{name}: E[P@5%] per district {m['precision_at_5pct_district_expected']:.4f}; "
              f"gate {'passed' if verdict.passed else 'FAILED'}")  # fmt: skip
        for gap in report.calibration_gaps:
            if gap.attribute == args.attribute:
                low, high = (100 * x for x in gap.ci)
                gap_pt = 100 * gap.difference
                print(f"  calibration {gap.group} vs {gap.reference}: "
                      f"{gap_pt:+.2f} pt (95% {low:+.2f} to {high:+.2f})")  # fmt: skip
        for d in report.disparities:
            if d.attribute == args.attribute and d.metric in (
                "false_omission_rate",
                "false_negative_rate",
            ):
                print(f"  {d.metric} {d.group} vs {d.reference}: {d.ratio:.2f}x "
                      f"({d.ratio_ci[0]:.2f} to {d.ratio_ci[1]:.2f})")  # fmt: skip
        for f in verdict.failures:
            print(f"  fails: {f.describe()}")
    a, b = listed.values()
    print(f"\nlisted families that change: {len(a - b)} of {len(a)} ({len(a - b) / len(a):.1%})")


if __name__ == "__main__":
    main()
