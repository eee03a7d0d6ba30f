"""Benchmark the records ceiling: N families x 12 as-of months, wall time and peak memory.

The population (36 months from 2023-01, seed 1) is simulated and written once; each run then
reads it in a fresh subprocess and computes the ceiling at the 12 as-of months 2024-01 to
2024-12, so the peak RSS is that process's own (tables plus filter). The median of the runs is
printed; "read MB" is the RSS after reading the tables, before the filter.

    .venv/bin/python benchmarks/ceiling.py                       # 100,000 families, 3 runs
    .venv/bin/python benchmarks/ceiling.py --families 20000 --runs 1 --quality
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where benchmarks/features.py would
# shadow the `features` package: search the project root instead.
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:1] = [str(_ROOT)]

from benchmarks.common import run_child  # noqa: E402

_CHILD = r"""
import datetime as dt, json, resource, sys, time
from pathlib import Path
from features.simulator import read_population
from features.simulator.ceiling import records_ceiling
pop = read_population(Path(sys.argv[1]))
read_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
as_of = [dt.date(2024, m, 1) for m in range(1, 13)]
t0 = time.perf_counter()
out = records_ceiling(pop.events, pop.config, as_of_dates=as_of, z_nodes=int(sys.argv[2]))
seconds = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": rss, "read_mb": read_mb, "rows": out.height}))
"""


def _population(n: int, out: Path) -> None:
    import datetime as dt

    from features.simulator import SimulationConfig, simulate, write_population

    cfg = SimulationConfig(families=n, months=36, start=dt.date(2023, 1, 1), seed=1)
    write_population(simulate(cfg), out)


def _one(directory: Path, z_nodes: int) -> dict[str, float]:
    result: dict[str, float] = run_child(_CHILD, directory, z_nodes)
    return result


def quality(directory: Path, z_nodes: int) -> None:
    """AUC and precision at 5% of oracle and ceiling, and the base rate, at 2024-01-01 and
    2025-01-01 (families ranked by score, ties in file order; the scores hardly tie)."""
    import datetime as dt

    import numpy as np
    import polars as pl
    from sklearn.metrics import roc_auc_score

    from features.pipeline.labels import build_labels
    from features.simulator import read_population
    from features.simulator.ceiling import records_ceiling

    pop = read_population(directory)
    dates = [dt.date(2024, 1, 1), dt.date(2025, 1, 1)]
    ceiling = records_ceiling(pop.events, pop.config, as_of_dates=dates, z_nodes=z_nodes)
    for as_of in dates:
        lab = build_labels(pop.events.outcomes, families=pop.events.families, as_of=as_of)
        truth = pop.truth.filter(pl.col("month") == as_of).select("family_id", "p_incident_6m")
        df = lab.join(ceiling.filter(pl.col("as_of") == as_of), on="family_id").join(
            truth, on="family_id"
        )
        y = df["label"].to_numpy()
        k = round(0.05 * len(y))
        print(f"as_of {as_of}: base rate {y.mean():.4f}, positives {int(y.sum())}")
        for name, col in (("oracle", "p_incident_6m"), ("ceiling", "p")):
            s = df[col].to_numpy()
            top = np.argsort(-s, kind="stable")[:k]
            # expected: the mean p over the ranker's own top 5% (its promise, without label noise)
            print(f"  {name:>8}: AUC {roc_auc_score(y, s):.4f}  P@5% {y[top].mean():.4f}  "
                  f"expected P@5% {s[top].mean():.4f}  mean p {s.mean():.4f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--z-nodes", type=int, default=16)
    parser.add_argument("--data", type=Path, default=None, help="a written population to reuse")
    parser.add_argument("--quality", action="store_true", help="also print AUC and P@5%%")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.data
        if directory is None:
            directory = Path(tmp) / "pop"
            _population(args.families, directory)
        results = [_one(directory, args.z_nodes) for _ in range(args.runs)]
        secs = statistics.median(r["seconds"] for r in results)
        peak = max(r["peak_mb"] for r in results)
        read = max(r["read_mb"] for r in results)
        rows = int(results[0]["rows"])
        print(f"{'families':>10} {'as-of':>5} {'z nodes':>7} {'median s':>9} {'runs':>4} "
              f"{'read MB':>8} {'peak MB':>8} {'rows':>10}")  # fmt: skip
        print(f"{rows // 12:>10,} {12:>5} {args.z_nodes:>7} {secs:>9.1f} {len(results):>4} "
              f"{read:>8.0f} {peak:>8.0f} {rows:>10,}")  # fmt: skip
        if args.quality:
            quality(directory, args.z_nodes)


if __name__ == "__main__":
    main()
