"""Shared fixtures: one small synthetic population per test session.

`small_population` (3,000 families x 36 months from 2023-01, seed 7) takes a few seconds;
`population_dir` is the same population written with `write_population`. Tests must not
mutate either (the frames are shared).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from features.simulator import Population, SimulationConfig, simulate, write_population

SMALL_CONFIG = SimulationConfig(families=3000, months=36, start=dt.date(2023, 1, 1), seed=7)


@pytest.fixture(scope="session")
def small_population() -> Population:
    """A small simulated population (3,000 families, 36 months, start 2023-01, seed 7)."""
    return simulate(SMALL_CONFIG)


@pytest.fixture(scope="session")
def population_dir(small_population: Population, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`small_population` written to a directory of Parquet files plus config.json."""
    out = tmp_path_factory.mktemp("population") / "sim"
    write_population(small_population, out)
    return out
