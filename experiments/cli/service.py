"""`patronage serve / import / lists / users`: the scoring service, its data and its users."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from experiments.cli.common import OUT, fail

if TYPE_CHECKING:
    from service.state import ServiceState


@contextmanager
def _spinner(text: str) -> Iterator[None]:
    with OUT.status(text):
        yield


def service_state() -> ServiceState:
    """The service state on the environment's settings (secrets checked, database migrated,
    the MLflow champion as model source), or a clean CLI error."""
    from experiments.model_source import TrackingModelSource
    from service.auth.security import InsecureSettingsError
    from service.settings import get_settings
    from service.state import build_state

    settings = get_settings()
    try:
        return build_state(settings, models=TrackingModelSource(settings))
    except InsecureSettingsError as exc:
        raise fail(str(exc)) from None


def serve(host: str, port: int, *, workers: int = 1) -> None:
    """Run `experiments.app:create_app` under uvicorn in `workers` processes.

    Refuses insecure secrets and migrates the database once, here, before any worker starts, so
    workers never race to run the same migration."""
    service_state().engine.dispose()
    run_server(host, port, workers=workers)


def run_server(host: str, port: int, *, workers: int = 1) -> None:
    """uvicorn on the app factory, once the secrets are checked and the database migrated."""
    import uvicorn

    uvicorn.run(
        "experiments.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Server processes (one per core; they share the database)."
        ),
    ] = 1,
) -> None:
    """Serve the API (and web pages) with uvicorn; GET /health answers when ready.

    Needs PATRONAGE_TOKEN_KEY and PATRONAGE_IIN_HASH_KEY (32+ characters) unless
    PATRONAGE_DEMO=1. The database is SQLite under PATRONAGE_HOME unless DATABASE_URL is set.
    With `--workers N` the processes share one write queue on SQLite (or PostgreSQL's own
    locking), the login throttle and the access log's hash chain.
    """
    serve(host, port, workers=workers)


def import_command(
    data: Annotated[
        Path, typer.Option("--data", help="Directory written by `patronage simulate`.")
    ],
) -> None:
    """Load a simulator directory into the database (rows already stored are skipped)."""
    from features.loaders import DataValidationError
    from service.records.importer import import_directory

    state = service_state()
    columns = (
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(),
    )  # fmt: skip
    with Progress(*columns, console=OUT) as progress:
        tasks: dict[str, TaskID] = {}

        def report(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(table, total=total)
            progress.update(tasks[table], completed=done)

        try:
            result = import_directory(
                state.engine, data, iin_key=state.secrets.iin_hash_key, progress=report
            )
        except DataValidationError as exc:
            raise fail(str(exc)) from None
    for table, count in result.inserted.items():
        OUT.print(f"{table}: {count:,} imported, {result.skipped[table]:,} already stored")


def lists_command(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM: features as of its 1st.")],
    district: Annotated[
        list[str] | None, typer.Option("--district", help="Only these districts.")
    ] = None,
) -> None:
    """Generate the monthly lists with the champion model (existing lists are kept)."""
    from service.errors import ServiceError
    from service.lists.generate import generate_lists

    service = service_state()
    with _spinner("loading the champion model"):
        champion = service.models.champion()
    if champion is None:
        raise fail("no champion model is registered: run `patronage train` first")
    try:
        with (
            _spinner(f"scoring and explaining every family as of {month}-01"),
            service.sessions() as s,
        ):
            results = generate_lists(service.engine, s, champion, month=month, districts=district)
    except ServiceError as exc:
        raise fail(exc.detail) from None
    for r in results:
        state = "generated" if r.created else "already stored"
        OUT.print(f"{r.district} {r.month}: {r.n_families:,} families, k={r.k}, {state}")


def users_command(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="school, clinic, police, council, auditor, admin")],
    district: Annotated[str | None, typer.Option(help="District of the user.")] = None,
    institution: Annotated[str | None, typer.Option(help="Institution id.")] = None,
) -> None:
    """Create a user; the password is read from the prompt (never from the command line)."""
    from pydantic import ValidationError

    from service.admin.schemas import UserCreate
    from service.admin.users import create_user
    from service.errors import ServiceError

    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    sessions = service_state().sessions
    try:
        body = UserCreate(
            username=username, password=password, role=role, district=district,
            institution_id=institution,
        )  # fmt: skip
        with sessions() as session:
            create_user(session, body)  # commits
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        raise fail(fields) from None
    except ServiceError as exc:  # a missing district or institution, a taken username
        raise fail(exc.detail) from None
    OUT.print(f"created {role} user {username}")
