"""Benchmark of the point-in-time feature pipeline: wall time (median of runs) and peak memory.

Scenarios (default simulator, 36 months from 2023-01):
- one as-of date for 100,000 families (target <= 5 s);
- 24 monthly as-of dates for 100,000 families with labels (`build_grid`, target <= 60 s);
- one as-of date for 1,000,000 families (target <= 60 s and <= 8 GB).

Baselines measured in the same run: a single pass that only counts each family's known records
in every table (the least any point-in-time pipeline must do), and for the grid, 24 separate
`build_features` + `build_labels` calls (what the grid saves by preparing once).

Each scenario runs in a fresh process so its peak RSS (which includes the loaded tables) is its
own. Usage (as a module, so `features` is the package): `python -m benchmarks.features
[--runs 3] [--large 1000000] [--families 100000]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import resource
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

START = dt.date(2023, 1, 1)
AS_OF = dt.date(2025, 7, 1)
GRID_DATES = [dt.date(2023 + (m // 12), m % 12 + 1, 1) for m in range(12, 36)]  # 2024-01..2025-12


def _simulate(families: int, out: Path) -> None:
    from features.simulator import SimulationConfig, simulate, write_population

    population = simulate(SimulationConfig(families=families, months=36, start=START, seed=11))
    write_population(population, out)


def simulate_in_child(families: int, out: Path) -> None:
    """Simulate in a child process: Linux keeps a process's peak RSS across exec, so a parent
    that had simulated would pass its own peak on to every scenario process it spawns."""
    proc = mp.get_context("spawn").Process(target=_simulate, args=(families, out))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise SystemExit(f"simulation failed with exit code {proc.exitcode}")


def _scenario(name: str, data: str, runs: int, queue: mp.Queue[tuple[list[float], float]]) -> None:
    from features.loaders import load_events
    from features.pipeline import build_features
    from features.pipeline.grid import build_grid
    from features.pipeline.labels import build_labels

    events = load_events(Path(data))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        if name == "features":
            build_features(events, as_of=AS_OF)
        elif name == "baseline_pass":
            for table in ("school_surveys", "medical_screenings", "police_signals", "outcomes"):
                getattr(events, table).lazy().filter(pl.col("knowledge_date") < AS_OF).group_by(
                    "family_id"
                ).len().collect()
        elif name == "grid":
            build_grid(events, as_of_dates=GRID_DATES)
        elif name == "grid_naive":
            for as_of in GRID_DATES:
                build_features(events, as_of=as_of)
                build_labels(events.outcomes, families=events.families, as_of=as_of)
        times.append(time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((times, peak_mb))


def measure(name: str, data: Path, runs: int) -> tuple[float, float]:
    """Median seconds and peak RSS (MB) of scenario `name` in a fresh process."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue[tuple[list[float], float]] = ctx.Queue()
    proc = ctx.Process(target=_scenario, args=(name, str(data), runs, queue))
    proc.start()
    times, peak = queue.get()
    proc.join()
    return statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000, help="0 skips the large run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
        small, large = Path(tmp) / "small", Path(tmp) / "large"
        print(f"simulating {args.families} families x 36 months ...", flush=True)
        simulate_in_child(args.families, small)
        rows = []
        base, base_mb = measure("baseline_pass", small, args.runs)
        rows.append((f"baseline: count known records, {args.families}", base, base_mb, 1.0))
        one, one_mb = measure("features", small, args.runs)
        rows.append((f"build_features 1 date, {args.families}", one, one_mb, one / base))
        grid_runs = max(1, args.runs - 1)
        naive, naive_mb = measure("grid_naive", small, grid_runs)
        rows.append((f"24 x build_features+labels, {args.families}", naive, naive_mb, 1.0))
        grid, grid_mb = measure("grid", small, grid_runs)
        rows.append((f"build_grid 24 dates, {args.families}", grid, grid_mb, grid / naive))
        if args.large:
            print(f"simulating {args.large} families x 36 months ...", flush=True)
            simulate_in_child(args.large, large)
            big_base, big_base_mb = measure("baseline_pass", large, args.runs)
            rows.append(
                (f"baseline: count known records, {args.large}", big_base, big_base_mb, 1.0)
            )
            big, big_mb = measure("features", large, args.runs)
            rows.append((f"build_features 1 date, {args.large}", big, big_mb, big / big_base))
    print(f"{'scenario':48} {'median s':>9} {'peak MB':>9} {'ratio':>7}")
    for label, seconds, mb, ratio in rows:
        print(f"{label:48} {seconds:9.2f} {mb:9.0f} {ratio:7.2f}")
    print("ratio: against the baseline row above it, measured in the same run")


if __name__ == "__main__":
    main()
