"""Benchmark: audit 1,000,000 scored rows over 3 attributes with 1,000 bootstrap resamples.

Target (issue 5): <= 60 s on the project machine. Prints the median of several runs, the peak
resident memory, and ratios against baselines measured in the same run:
- the audit without bootstrap (n_boot=0): the cost of flagging, counting and calibration;
- naive row re-indexing bootstrap (what the count-based bootstrap replaces), timed over a few
  resamples of the same rows and extrapolated to 1,000.

Run: .venv/bin/python -m benchmarks.fairness [--rows N] [--repeats R]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

# Run as a script, this folder comes first on sys.path, where this very file would shadow the
# `fairness` package: put the project root there instead.
if __name__ == "__main__":
    sys.path[:1] = [str(Path(__file__).resolve().parent.parent)]

from fairness import TopPct, audit
from fairness.metrics import confusion_counts, group_metrics


def make_frame(rows: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    risk = rng.beta(1.2, 20.0, size=rows)
    return pl.DataFrame(
        {
            "score": risk,
            "label": (rng.random(rows) < risk).astype(np.int8),
            "ethnicity": rng.choice(["kazakh", "russian", "uzbek", "uyghur", "other"], rows),
            "income_group": rng.choice(["q1", "q2", "q3", "q4", "q5"], rows),
            "urban": rng.random(rows) < 0.6,
            "district": rng.choice([f"d{i:03d}" for i in range(200)], rows),
        }
    )


def run_audit(frame: pl.DataFrame, n_boot: int) -> float:
    start = time.perf_counter()
    audit(
        frame,
        score_col="score",
        label_col="label",
        group_cols=["ethnicity", "income_group", "urban"],
        flag=TopPct(5),
        within="district",
        n_boot=n_boot,
        seed=0,
    )
    return time.perf_counter() - start


def naive_bootstrap_per_resample(frame: pl.DataFrame, resamples: int = 5) -> float:
    """Seconds per resample of re-indexing all rows within each group of one attribute."""
    flagged = frame.get_column("score").to_numpy() >= 0.1
    label = frame.get_column("label").to_numpy().astype(bool)
    names, codes = np.unique(frame.get_column("ethnicity").to_numpy(), return_inverse=True)
    members = [np.flatnonzero(codes == g) for g in range(len(names))]
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(resamples):
        idx = np.concatenate([rng.choice(m, size=m.size) for m in members])
        group_metrics(confusion_counts(flagged[idx], label[idx], codes[idx], len(names)))
    return (time.perf_counter() - start) / resamples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-boot", type=int, default=1000)
    args = parser.parse_args()

    frame = make_frame(args.rows)
    run_audit(frame.head(10_000), 10)  # warm-up: imports, polars thread pool
    full = [run_audit(frame, args.n_boot) for _ in range(args.repeats)]
    no_boot = [run_audit(frame, 0) for _ in range(args.repeats)]
    per_resample = naive_bootstrap_per_resample(frame)
    # three attributes, n_boot resamples each
    naive_estimate = statistics.median(no_boot) + 3 * args.n_boot * per_resample
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    med = statistics.median(full)
    print(f"rows={args.rows:,} attributes=3 n_boot={args.n_boot} repeats={args.repeats}")
    print(
        f"audit with bootstrap:    median {med:.2f} s  "
        f"(runs: {', '.join(f'{t:.2f}' for t in full)})"
    )
    print(f"audit without bootstrap: median {statistics.median(no_boot):.2f} s")
    print(f"bootstrap overhead:      {med / statistics.median(no_boot):.2f}x the audit without it")
    print(f"naive row bootstrap:     {per_resample * 1000:.1f} ms per resample per attribute")
    print(
        f"naive estimate:          {naive_estimate:.0f} s -> "
        f"count bootstrap is {naive_estimate / med:.0f}x faster"
    )
    print(f"peak resident memory:    {peak_mb:.0f} MB")
    print(f"target <= 60 s:          {'met' if med <= 60 else 'MISSED'}")


if __name__ == "__main__":
    main()
