"""CLI commands: features and labels (point-in-time, from a `patronage simulate` directory)."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from features.contracts import Events
from features.labels import build_labels
from features.loaders import DataValidationError, load_events
from features.pipeline import build_features

_err = Console(stderr=True)

DataOpt = Annotated[
    Path, typer.Option("--data", help="Directory of Parquet tables from `patronage simulate`.")
]
AsOfOpt = Annotated[
    str, typer.Option("--as-of", help="As-of date YYYY-MM-DD: only records known before it.")
]
OutOpt = Annotated[Path, typer.Option("--out", help="Parquet file to write.")]


def _fail(message: str) -> typer.Exit:
    _err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=2)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _fail(f"--as-of: expected a date YYYY-MM-DD, got {text!r}") from None


def write_parquet_atomic(frame: pl.DataFrame, out: Path) -> None:
    """Write to a temporary file beside `out`, then rename: never a half-written file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        frame.write_parquet(tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _run(data: Path, out: Path, what: str, step: Callable[[Events], pl.DataFrame]) -> None:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task(f"loading and validating {data}", total=None)
        try:
            events = load_events(data)
        except DataValidationError as exc:
            raise _fail(str(exc)) from None
        progress.update(task, description=f"building {what} for {events.families.height} families")
        frame = step(events)
        progress.update(task, description=f"writing {out}")
        write_parquet_atomic(frame, out)
    _err.print(f"wrote {frame.height} rows x {frame.width} columns of {what} to {out}")


def register(app: typer.Typer) -> None:
    """Add this topic's commands to `app`."""

    @app.command("features")
    def features_command(data: DataOpt, as_of: AsOfOpt, out: OutOpt) -> None:
        """Build one row of point-in-time features per family (family_id + features)."""
        day = _parse_date(as_of)
        _run(data, out, "features", lambda events: build_features(events, as_of=day))

    @app.command("labels")
    def labels_command(
        data: DataOpt,
        as_of: AsOfOpt,
        out: OutOpt,
        horizon_months: Annotated[
            int, typer.Option("--horizon-months", min=1, help="Label window length in months.")
        ] = 6,
    ) -> None:
        """Label each family: a recorded serious incident in [as-of, as-of + horizon)."""
        day = _parse_date(as_of)
        _run(
            data,
            out,
            "labels",
            lambda events: build_labels(
                events.outcomes, families=events.families, as_of=day, horizon_months=horizon_months
            ),
        )
