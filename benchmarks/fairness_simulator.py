"""The audit on the simulator: does it catch a police recording bias we injected on purpose?

Two populations (36 months from 2023-01), identical except that in the second the police record
lesser signals of one group twice as often at equal true risk. A model is trained on each (the
real training pipeline, `--until`), and the fairness audit of the run is read: the last
held-out month, one row per family, top 5% of each district's list, the default gate.

For each population it also audits, with the same lists:
- the oracle ranking (`p_incident_6m`, the best possible ranking of the *recorded* label): a
  disparity the oracle shows too comes from the population (base rates, where groups live,
  capacity per district), not from the model;
- the held-out months pooled (each family once per month, as the run audited before), to
  show how much repeated families narrow the intervals;
- the model against the simulator's *true need* (any true incident, recorded or not, in the
  6 months from the as-of date): simulator-only, it sees what recorded labels cannot.

Prints verdicts and per-group figures, writes the reports under `--out/<scenario>/`.

Run: .venv/bin/python -m benchmarks.fairness_simulator --families 100000 [--until 2025-01-01]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    sys.path[:1] = [str(Path(__file__).resolve().parent.parent)]

import polars as pl

from experiments.training import TrainingConfig, TrainingResult, train
from fairness import GateRules, GateVerdict, TopPct, audit, evaluate_gate, write_report
from fairness.report import AuditReport
from features.contracts import PROTECTED_ATTRIBUTES
from features.simulator import Population, SimulationConfig, simulate
from features.simulator.report import true_need

START = dt.date(2023, 1, 1)
NO_CALIBRATION = GateRules(max_calibration_gap=None)  # scores are not probabilities of the need


def _audit(rows: pl.DataFrame, *, score: str, label: str, n_boot: int) -> AuditReport:
    return audit(
        rows,
        score_col=score,
        label_col=label,
        group_cols=list(PROTECTED_ATTRIBUTES),
        flag=TopPct(5.0),
        within="list_key",
        n_boot=n_boot,
        seed=0,
    )


def audited_rows(result: TrainingResult, population: Population) -> pl.DataFrame:
    """The rows of the run's fairness audit with model, oracle and true-need columns."""
    scored = result.scored
    frame = scored.rows.with_columns(
        probability=scored.probability["model"], oracle=scored.ranking["oracle"]
    )
    frame = frame.filter(pl.col("as_of") == pl.col("as_of").max())
    return frame.with_columns(true_need=true_need(population.truth, frame))


def group_table(rows: pl.DataFrame, attribute: str) -> pl.DataFrame:
    """Per group: size, recorded and true prevalence, oracle mean, and the prevalence of the
    districts the group lives in (weighted by its families)."""
    district_rate = rows.group_by("district").agg(district_prevalence=pl.col("label").mean())
    return (
        rows.join(district_rate, on="district")
        .group_by(attribute)
        .agg(
            n=pl.len(),
            prevalence=pl.col("label").mean(),
            true_need=pl.col("true_need").mean(),
            oracle_mean=pl.col("oracle").mean(),
            its_districts_prevalence=pl.col("district_prevalence").mean(),
            districts=pl.col("district").n_unique(),
        )
        .sort("n", descending=True)
    )


def _line(report: AuditReport, attribute: str, group: str) -> str:
    parts = []
    for d in report.disparities:
        if d.attribute == attribute and d.group == group and d.metric in ("fnr", "for", "fpr"):
            lo, hi = d.ratio_ci
            parts.append(
                f"{d.metric} {d.value:.3f} vs {d.reference_value:.3f} = {d.ratio:.2f} "
                f"({lo:.2f}-{hi:.2f}, p {d.p_value:.2g})"
            )
    return "; ".join(parts) or "(reference or suppressed)"


def describe(
    name: str, audits: dict[str, tuple[AuditReport, GateVerdict]], focus: list[str]
) -> None:
    for kind, (report, verdict) in audits.items():
        s = report.settings
        print(
            f"== {name} / {kind}: {s.n_rows} rows, {s.n_flagged} flagged, {s.n_labelled} labelled"
        )
        with_fpr = evaluate_gate(
            report, GateRules(metrics=("fnr", "for", "fpr"), max_calibration_gap=None)
        )
        print(
            f"  gate passed: {verdict.passed} ({verdict.comparisons} comparisons); "
            f"with fpr added: {with_fpr.passed}"
        )
        failed = [f.describe() for f in verdict.failures]
        for text in failed:
            print("  FAIL", text)
        for text in (f.describe() for f in with_fpr.failures):
            if text not in failed:
                print("  FAIL(+fpr)", text)
        for group in focus:
            attribute, value = group.split("=")
            print(f"  {group}: {_line(report, attribute, value)}")


def run(
    families: int, bias: dict[str, dict[str, float]], *, seed: int, until: dt.date, n_boot: int
) -> tuple[dict[str, tuple[AuditReport, GateVerdict]], pl.DataFrame, dict[str, Any]]:
    population = simulate(
        SimulationConfig(
            families=families, months=36, start=START, seed=seed, police_multiplier_by_group=bias
        )
    )
    result = train(
        population.events,
        config=TrainingConfig(until=until, fairness_boot=n_boot),
        truth=population.truth,
    )
    recorded = result.fairness_report
    assert isinstance(recorded, AuditReport)
    rows = audited_rows(result, population)
    oracle = _audit(rows, score="oracle", label="label", n_boot=n_boot)
    need = _audit(rows, score="probability", label="true_need", n_boot=n_boot)
    # what the run audited before: the 3 held-out months pooled, each family 3 times
    pooled_rows = result.scored.rows.with_columns(probability=result.scored.probability["model"])
    pooled = _audit(pooled_rows, score="probability", label="label", n_boot=n_boot)
    audits = {
        "recorded": (recorded, evaluate_gate(recorded)),
        "recorded_pooled_3_months": (pooled, evaluate_gate(pooled)),
        "oracle_recorded": (oracle, evaluate_gate(oracle)),
        "model_true_need": (need, evaluate_gate(need, NO_CALIBRATION)),
    }
    keys = ("auc", "recall_at_5pct_district", "precision_at_5pct_district")
    metrics = {
        f"{ranker}_{k}": result.metrics.get(ranker, {}).get(k)
        for ranker in ("model", "oracle")
        for k in keys
    }
    return audits, rows, metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1, help="simulator seed (demo: 1)")
    parser.add_argument("--until", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1))
    parser.add_argument("--biased", default="ethnicity=russian", help="attribute=group, x2")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--focus", nargs="*", default=["ethnicity=russian", "ethnicity=uyghur"])
    parser.add_argument("--scenarios", nargs="*", default=["no_bias", "police_x2"])
    parser.add_argument("--out", type=Path, default=None, help="write reports here")
    parser.add_argument("--html", action="store_true", help="also write report.html")
    args = parser.parse_args()
    attribute, group = args.biased.split("=")
    biases = {"no_bias": {}, "police_x2": {attribute: {group: 2.0}}}
    print(f"families {args.families:,}, seed {args.seed}, until {args.until}, n_boot {args.n_boot}")
    for name in args.scenarios:
        start = time.perf_counter()
        audits, rows, metrics = run(
            args.families, biases[name], seed=args.seed, until=args.until, n_boot=args.n_boot
        )
        elapsed = time.perf_counter() - start
        describe(name, audits, args.focus)
        print(f"  model metrics: {json.dumps(metrics)}")
        with pl.Config(tbl_rows=20, tbl_cols=10, float_precision=4, tbl_width_chars=140):
            print(group_table(rows, "ethnicity"))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"  {name}: {elapsed:.0f} s (simulate + train + audits), peak RSS so far {rss:.0f} MB"
        )
        if args.out is not None:
            for kind, (report, verdict) in audits.items():
                folder = args.out / f"{name}" / kind
                write_report(report, folder, verdict=verdict)
                if not args.html:
                    (folder / "report.html").unlink(missing_ok=True)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
