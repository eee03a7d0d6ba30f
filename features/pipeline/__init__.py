"""The point-in-time feature pipeline: prepare, windows, instruments, protection, trajectory,
build, labels, grid. It never imports the simulator: it reads only the contract tables of
`features.contracts`."""

from features.pipeline.build import build_features

__all__ = ["build_features"]
