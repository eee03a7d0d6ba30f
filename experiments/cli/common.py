"""What every CLI command group shares: the consoles, the exit-2 error, date options, the
`--data` and `--dask` options, the step spinner (files are written with
`features.atomic.write_atomic`)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

#: `--data`: where the commands that read records read them.
DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Directory of Parquet tables (`patronage simulate` or `patronage export`); "
        "default: the service's database (DATABASE_URL, else $PATRONAGE_HOME/patronage.db).",
    ),
]

#: `--dask`: the commands that can run on a Dask cluster.
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        help="Run on a Dask cluster: a scheduler address tcp://host:port, or local[:N] for a "
        "local cluster of N worker processes (default 2). Without it, one machine, no cluster.",
    ),
]

# soft_wrap: an error naming a long path or value is printed on one line, never broken mid-word.
ERR = Console(stderr=True, soft_wrap=True)
OUT = Console()


def spinner() -> Progress:
    """A spinner with the current step and the elapsed time on stderr.

    Transient when stderr is not a terminal, so logs and CI output keep only the logged steps.
    """
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=ERR,
        transient=not sys.stderr.isatty(),
    )


def fail(message: str) -> typer.Exit:
    """Print `error: message` on stderr and return the exit (code 2) for the caller to raise.

    The message is printed as plain text: a value in square brackets is never read as markup.
    """
    ERR.print(Text.assemble(("error:", "red"), " ", message))
    return typer.Exit(code=2)


def parse_date(option: str, text: str) -> dt.date:
    """`YYYY-MM-DD` for `option`, or exit 2 naming the option and what came."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option}: expected a date YYYY-MM-DD, got {text!r}") from None


@contextmanager
def dask_cluster(dask: str | None, say: Callable[[str], None]) -> Iterator[Any]:
    """None without `--dask`; else a connected, checked `experiments.distributed.Cluster`."""
    if dask is None:
        yield None
        return
    from experiments.distributed import connect

    say(f"connecting to the Dask cluster {dask}")
    with connect(dask) as cluster:
        say(f"Dask cluster {cluster.spec.label}: {len(cluster.workers)} workers")
        yield cluster
