"""What the benchmark scripts share: a measurement in a fresh interpreter, and timed runs.

The scratch PostgreSQL database the database benchmarks measure on is the service tests' own
(`tests.service.scratch_db`), as the service benchmark uses the tests' server.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

T = TypeVar("T")

#: The project root: the children run from it, so they import the packages, not this folder.
ROOT: Final = Path(__file__).resolve().parent.parent


def run_child(code: str, *args: object) -> Any:
    """Run `code` in a fresh Python (its peak memory is its own) with `args` as `sys.argv[1:]`;
    the JSON value of the last line it prints."""
    out = subprocess.run(
        [sys.executable, "-c", code, *(str(a) for a in args)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def timed(fn: Callable[[], T], runs: int) -> tuple[float, list[float], T]:
    """Call `fn` `runs` times: the median seconds, every run's seconds and the last result."""
    times: list[float] = []
    out: T | None = None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    assert out is not None
    return statistics.median(times), times, out
