"""CLI commands: features and labels (point-in-time, from a Parquet directory or the service's
database)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from experiments.cli.common import ERR, DataOpt, fail, parse_date, spinner
from features.atomic import write_atomic
from features.contracts import Events
from features.loaders import DataValidationError
from features.pipeline import build_features
from features.pipeline.labels import build_labels

AsOfOpt = Annotated[
    str, typer.Option("--as-of", help="As-of date YYYY-MM-DD: only records known before it.")
]
OutOpt = Annotated[Path, typer.Option("--out", help="Parquet file to write.")]


def _run(data: Path | None, out: Path, what: str, step: Callable[[Events], pl.DataFrame]) -> None:
    from experiments.data_source import DataSourceError, load_source

    with spinner() as progress:
        where = data if data is not None else "the database"
        task = progress.add_task(f"loading and validating {where}", total=None)
        try:
            events = load_source(data, purpose=what).events
        except (DataValidationError, DataSourceError) as exc:
            raise fail(str(exc)) from None
        progress.update(task, description=f"building {what} for {events.families.height} families")
        frame = step(events)
        progress.update(task, description=f"writing {out}")
        write_atomic(out, frame.write_parquet)
    ERR.print(f"wrote {frame.height} rows x {frame.width} columns of {what} to {out}")


def features_command(as_of: AsOfOpt, out: OutOpt, data: DataOpt = None) -> None:
    """Build one row of point-in-time features per family (family_id + features)."""
    day = parse_date("--as-of", as_of)
    _run(data, out, "features", lambda events: build_features(events, as_of=day))


def labels_command(
    as_of: AsOfOpt,
    out: OutOpt,
    data: DataOpt = None,
    horizon_months: Annotated[
        int, typer.Option("--horizon-months", min=1, help="Label window length in months.")
    ] = 6,
) -> None:
    """Label each family: a recorded serious incident in [as-of, as-of + horizon)."""
    day = parse_date("--as-of", as_of)
    _run(
        data,
        out,
        "labels",
        lambda events: build_labels(
            events.outcomes, families=events.families, as_of=day, horizon_months=horizon_months
        ),
    )
