"""Benchmark `simulate()` + `write_population()`: wall time (median of runs) and peak memory.

Each run happens in a fresh subprocess so its peak RSS is its own. The baseline is the
smallest size measured in the same invocation; the ratio column compares time per
family-month against it (1.0 = perfectly linear scaling).

    .venv/bin/python benchmarks/simulate.py                      # 10k and 100k x 36, 3 runs
    .venv/bin/python benchmarks/simulate.py --sizes 1000000 --runs 1
    .venv/bin/python benchmarks/simulate.py --stats 100000       # realised base rate, AUC...
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where benchmarks/features.py would
# shadow the `features` package: search the project root instead.
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:1] = [str(_ROOT)]

from benchmarks.common import run_child  # noqa: E402

_CHILD = r"""
import datetime as dt, json, resource, sys, tempfile, time
from pathlib import Path
from features.simulator import SimulationConfig, simulate, write_population
n, months = int(sys.argv[1]), int(sys.argv[2])
cfg = SimulationConfig(families=n, months=months, start=dt.date(2023, 1, 1), seed=1)
t0 = time.perf_counter()
pop = simulate(cfg)
t1 = time.perf_counter()
with tempfile.TemporaryDirectory() as d:
    write_population(pop, Path(d) / "out")
t2 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
names = ("school_surveys", "medical_screenings", "police_signals", "outcomes")
rows = {k: getattr(pop.events, k).height for k in names}
print(json.dumps({"simulate": t1 - t0, "total": t2 - t0, "peak_mb": rss, "rows": rows}))
"""


def _one(n: int, months: int) -> dict[str, object]:
    result: dict[str, object] = run_child(_CHILD, n, months)
    return result


def bench(sizes: list[int], months: int, runs: int) -> None:
    base: float | None = None
    print(f"{'families':>10} {'months':>6} {'simulate s':>11} {'+write s':>9} {'peak MB':>8} "
          f"{'ratio/fm':>8}  rows")  # fmt: skip
    for n in sizes:
        results = [_one(n, months) for _ in range(runs)]
        sim = statistics.median(float(r["simulate"]) for r in results)  # type: ignore[arg-type]
        tot = statistics.median(float(r["total"]) for r in results)  # type: ignore[arg-type]
        peak = max(float(r["peak_mb"]) for r in results)  # type: ignore[arg-type]
        per = tot / (n * months)
        base = base or per
        print(f"{n:>10,} {months:>6} {sim:>11.2f} {tot:>9.2f} {peak:>8.0f} {per / base:>8.2f}  "
              f"{results[0]['rows']}")  # fmt: skip


def stats(n: int, months: int) -> None:
    import datetime as dt

    from features.simulator import SimulationConfig, simulate
    from features.simulator.report import plot_population, realised_stats

    pop = simulate(SimulationConfig(families=n, months=months, start=dt.date(2023, 1, 1), seed=1))
    print(json.dumps(realised_stats(pop).as_dict(), indent=2))
    plot_population(pop, _ROOT / "docs" / "img" / "simulator_family_paths.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stats", type=int, default=0, help="families for realised figures")
    args = parser.parse_args()
    if args.stats:
        stats(args.stats, args.months)
    else:
        bench(args.sizes, args.months, args.runs)


if __name__ == "__main__":
    main()
