"""The synthetic population: households, latent dynamics, what agencies record, and the report.

The entry points (configure, simulate, write, read back) live in `features.simulator.world`.
"""

from features.simulator.ceiling import records_ceiling
from features.simulator.world import (
    Population,
    SimulationConfig,
    check_output_dir,
    read_population,
    simulate,
    write_population,
)

__all__ = [
    "Population",
    "SimulationConfig",
    "check_output_dir",
    "read_population",
    "records_ceiling",
    "simulate",
    "write_population",
]
