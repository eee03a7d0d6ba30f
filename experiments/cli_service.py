"""CLI commands: serve, import, lists, demo, users (the scoring service)."""

from __future__ import annotations

import datetime as dt
import os
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

from experiments.cli_common import OUT, fail

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from service.security import Secrets
    from service.settings import Settings


@contextmanager
def _spinner(text: str) -> Iterator[None]:
    with OUT.status(text):
        yield


def _state() -> tuple[Settings, Secrets, Engine, sessionmaker[Session]]:
    """Settings, secrets and a migrated engine, or a clean CLI error."""
    from service.db import make_engine, make_sessionmaker
    from service.migrate import upgrade
    from service.security import InsecureSettingsError, resolve_secrets
    from service.settings import get_settings

    settings = get_settings()
    try:
        secrets = resolve_secrets(settings)
    except InsecureSettingsError as exc:
        raise fail(str(exc)) from None
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    return settings, secrets, engine, make_sessionmaker(engine)


def serve(host: str, port: int, *, workers: int = 1) -> None:
    """Run `experiments.app:create_app` under uvicorn in `workers` processes.

    Refuses insecure secrets and migrates the database once, here, before any worker starts, so
    workers never race to run the same migration."""
    import uvicorn

    _settings, _secrets, engine, _sessions = _state()
    engine.dispose()
    uvicorn.run(
        "experiments.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    """Add this topic's commands to `app`."""

    @app.command("serve")
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

    @app.command("import")
    def import_command(
        data: Annotated[
            Path, typer.Option("--data", help="Directory written by `patronage simulate`.")
        ],
    ) -> None:
        """Load a simulator directory into the database (rows already stored are skipped)."""
        from features.loaders import DataValidationError
        from service.importer import import_directory

        _settings, secrets, engine, _sessions = _state()
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
                    engine, data, iin_key=secrets.iin_hash_key, progress=report
                )
            except DataValidationError as exc:
                raise fail(str(exc)) from None
        for table, count in result.inserted.items():
            OUT.print(f"{table}: {count:,} imported, {result.skipped[table]:,} already stored")

    @app.command("lists")
    def lists_command(
        month: Annotated[str, typer.Option("--month", help="YYYY-MM: features as of its 1st.")],
        district: Annotated[
            list[str] | None, typer.Option("--district", help="Only these districts.")
        ] = None,
    ) -> None:
        """Generate the monthly lists with the champion model (existing lists are kept)."""
        from experiments.model_source import TrackingModelSource
        from service.errors import ServiceError
        from service.lists import generate_lists

        settings, _secrets, engine, sessions = _state()
        with _spinner("loading the champion model"):
            champion = TrackingModelSource(settings).champion()
        if champion is None:
            raise fail("no champion model is registered: run `patronage train` first")
        try:
            with _spinner(f"scoring and explaining every family as of {month}-01"), sessions() as s:
                results = generate_lists(engine, s, champion, month=month, districts=district)
        except ServiceError as exc:
            raise fail(exc.detail) from None
        for r in results:
            state = "generated" if r.created else "already stored"
            OUT.print(f"{r.district} {r.month}: {r.n_families:,} families, k={r.k}, {state}")

    @app.command("demo")
    def demo_command(
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
        families: Annotated[int, typer.Option(min=100, help="Families to simulate.")] = 20_000,
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        no_serve: Annotated[
            bool, typer.Option("--no-serve", help="Prepare everything, do not serve.")
        ] = False,
    ) -> None:
        """Simulate, import, train, audit, register, build the latest lists, create demo users
        and serve. Re-running reuses what exists under PATRONAGE_HOME."""
        from experiments import demo, demo_alerts
        from service.model_source import StaticModelSource
        from service.settings import get_settings
        from service.state import build_state

        os.environ["PATRONAGE_DEMO"] = "1"
        get_settings.cache_clear()
        settings, secrets, engine, sessions = _state()
        home = settings.resolved_home

        def say(message: str) -> None:
            OUT.print(f"[bold cyan]demo[/bold cyan] {message}", highlight=False)

        try:
            data = demo.ensure_population(home, families=families, say=say)
            demo.ensure_imported(engine, data, iin_key=secrets.iin_hash_key, say=say)
            with sessions() as session:
                month = demo.latest_month(session)
            until = dt.date.fromisoformat(f"{month}-01")
            champion = demo.ensure_champion(settings, data, until=until, say=say)
            with sessions() as session:
                demo.ensure_lists(engine, session, champion, month=month, say=say)
                credentials = demo.ensure_demo_users(session, home, say=say)
            state = build_state(settings, models=StaticModelSource(champion))
            demo_alerts.ensure_alerts(state, demo_alerts.person_iins(data), month=month, say=say)
        except demo.DemoError as exc:
            raise fail(str(exc)) from None
        engine.dispose()
        OUT.print(f"\nOpen http://{host}:{port}/ (API docs at http://{host}:{port}/docs)")
        OUT.print(f"Demo users and passwords: {credentials}")
        if not no_serve:
            serve(host, port)

    @app.command("users")
    def users_command(
        username: Annotated[str, typer.Argument(help="Login name.")],
        role: Annotated[str, typer.Option(help="school, clinic, police, council, auditor, admin")],
        district: Annotated[str | None, typer.Option(help="District of the user.")] = None,
        institution: Annotated[str | None, typer.Option(help="Institution id.")] = None,
    ) -> None:
        """Create a user; the password is read from the prompt (never from the command line)."""
        from pydantic import ValidationError
        from sqlalchemy.exc import IntegrityError

        from service.admin import create_user
        from service.errors import FieldError
        from service.schemas import UserCreate

        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        _settings, _secrets, _engine, sessions = _state()
        try:
            body = UserCreate(
                username=username, password=password, role=role, district=district,
                institution_id=institution,
            )  # fmt: skip
            with sessions() as session:
                create_user(session, body)
                session.commit()
        except ValidationError as exc:
            fields = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                for e in exc.errors(include_input=False)
            )
            raise fail(fields) from None
        except FieldError as exc:
            raise fail(exc.detail) from None
        except IntegrityError:
            raise fail(f"username: {username!r} is taken") from None
        OUT.print(f"created {role} user {username}")
