"""`patronage serve / import / lists / users`: the scoring service, its data and its users."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from experiments.cli.common import ERR, OUT, DaskOpt, dask_cluster, fail

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


def proxy_options(trusted_proxies: str) -> dict[str, Any]:
    """uvicorn's proxy settings: `X-Forwarded-For`/`-Proto` are believed only from the
    configured proxies (`PATRONAGE_TRUSTED_PROXIES`, comma-separated addresses or networks).

    uvicorn's own default believes them from 127.0.0.1, so anyone on the machine, or a local
    tool relaying requests, could rotate the header and pose as ever new clients to the login
    throttle: with no proxy configured the headers are not read at all."""
    proxies = [p.strip() for p in trusted_proxies.split(",") if p.strip()]
    if not proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}


def run_server(host: str, port: int, *, workers: int = 1) -> None:
    """uvicorn on the app factory, once the secrets are checked and the database migrated."""
    import uvicorn

    from service.settings import get_settings

    uvicorn.run(
        "experiments.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        **proxy_options(get_settings().trusted_proxies),
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

    Needs PATRONAGE_TOKEN_KEY and PATRONAGE_IIN_HASH_KEY (32+ characters) and
    PATRONAGE_CHECKPOINT_KEY_FILE (an Ed25519 key in PEM that signs the access log's
    checkpoints) unless PATRONAGE_DEMO=1. The database is SQLite under PATRONAGE_HOME unless
    DATABASE_URL is set.
    With `--workers N` the processes share one write queue on SQLite (or PostgreSQL's own
    locking), the login throttle and the access log's hash chain. Behind a TLS proxy, list it
    in PATRONAGE_TRUSTED_PROXIES: X-Forwarded-For/-Proto are read from it only.
    """
    serve(host, port, workers=workers)


def import_command(
    file: Annotated[
        Path | None, typer.Argument(help="A CSV (UTF-8), XLSX or NDJSON file to upload.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="What FILE holds, e.g. school_survey, persons.")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="A directory of the Parquet contract (simulate, export)."),
    ] = None,
    historical: Annotated[
        bool, typer.Option("--historical", help="FILE holds past records with knowledge dates.")
    ] = False,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Username of the uploader (default: the local admin upload)."),
    ] = None,
) -> None:
    """Upload FILE of KIND through the same code as POST /v1/imports (all rows or none), or a
    whole directory with --data as the admin's historical files; rows already stored are
    counted, never stored twice."""
    if (file is None) == (data is None):
        raise fail("give either FILE with --kind, or --data DIR")
    state = service_state()
    columns = (
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(),
    )  # fmt: skip
    try:
        if data is not None:
            _import_directory(state, data, columns)
        else:
            assert file is not None
            _import_file(state, file, kind=kind, historical=historical, by=by, columns=columns)
    finally:
        state.engine.dispose()


def _import_directory(state: ServiceState, data: Path, columns: tuple[Any, ...]) -> None:
    from features.loaders import DataValidationError
    from service.records.importer import import_directory

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
        except (DataValidationError, ValueError) as exc:
            raise fail(str(exc)) from None
    for table, count in result.inserted.items():
        OUT.print(f"{table}: {count:,} imported, {result.skipped[table]:,} already stored")


def _import_file(
    state: ServiceState,
    file: Path,
    *,
    kind: str | None,
    historical: bool,
    by: str | None,
    columns: tuple[Any, ...],
) -> None:
    from sqlalchemy import select

    from service.auth.roles import Principal
    from service.errors import ServiceError
    from service.imports.run import import_rows
    from service.records.importer import cli_principal
    from service.storage.tables import User

    if kind is None:
        raise fail("--kind: expected the kind of FILE (see docs/api.md, bulk intake)")
    if not file.is_file():
        raise fail(f"FILE: expected a file, got {file} (not found)")
    with state.sessions() as session:
        if by is None:
            user = cli_principal(session)
        else:
            account = session.scalar(select(User).where(User.username == by))
            if account is None or not account.active:
                raise fail(f"--by: expected the username of an active user, got {by!r}")
            user = Principal.of(account)
    with Progress(*columns, console=OUT) as progress:
        task = progress.add_task(f"{kind} rows", total=None)
        try:
            result = import_rows(
                state, principal=user, kind=kind, rows_or_file=file, historical=historical,
                progress=lambda rows: progress.update(task, completed=rows),
            )  # fmt: skip
        except (ServiceError, ValueError) as exc:
            raise fail(getattr(exc, "detail", str(exc))) from None
    if not result.ok:
        for error in result.errors:
            OUT.print(
                f"row {error.row}, {error.column or 'row'}: expected {error.expected}, "
                f"got {error.got}"
            )
        raise fail(
            f"{len(result.errors) + result.more_errors} problems in {file.name}; nothing stored"
        )
    OUT.print(
        f"{kind}: {result.rows:,} rows read, {result.stored:,} stored, "
        f"{result.already_stored:,} already stored"
        + (f", {result.updated:,} updated" if result.updated else "")
    )


def export_command(
    out: Annotated[Path, typer.Option("--out", help="New or empty directory to write.")],
    by: Annotated[
        str, typer.Option("--by", help="Username of the admin who exports (access log).")
    ],
) -> None:
    """Write the records the service holds as the Parquet contract `patronage simulate` writes
    (no truth, no config; IINs only as their keyed hash, no names), logged in the access log."""
    from sqlalchemy import select

    from service.auth.roles import Principal, UserRole
    from service.records.export import export_contract
    from service.storage.tables import User

    state = service_state()
    try:
        with state.sessions() as session:
            account = session.scalar(select(User).where(User.username == by))
            if account is None or not account.active or account.role != UserRole.admin.value:
                raise fail(f"--by: expected the username of an active admin, got {by!r}")
            user = Principal.of(account)
            with _spinner(f"exporting the records to {out}"):
                counts = export_contract(state.engine, session, out, user=user)
    except ValueError as exc:
        raise fail(str(exc)) from None
    finally:
        state.engine.dispose()
    for table, rows in counts.items():
        OUT.print(f"{table}: {rows:,} rows")
    OUT.print(f"wrote {out} (logged as an export by {by})")


def lists_command(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM: features as of its 1st.")],
    district: Annotated[
        list[str] | None, typer.Option("--district", help="Only these districts.")
    ] = None,
    dask: DaskOpt = None,
) -> None:
    """Generate the monthly lists with the champion model, or, before the first model, the
    interim lists ranked by the checklist (existing lists are kept). With --dask the features
    are built on the cluster's workers; scoring, explaining and storing run here."""
    from experiments.distributed import ClusterError, parse_spec
    from service.errors import ServiceError
    from service.lists.generate import generate_lists

    try:
        if dask is not None:
            parse_spec(dask)  # a bad value fails before the service starts
    except ClusterError as exc:
        raise fail(str(exc)) from None
    service = service_state()
    with _spinner("loading the champion model"):
        champion = service.models.champion()
    if champion is None:
        OUT.print(
            "no champion model yet: the lists are interim, ranked by the transparent checklist "
            "(no probabilities; see docs/going-live.md)"
        )
    try:
        with (
            _spinner(f"scoring and explaining every family as of {month}-01"),
            dask_cluster(dask, lambda text: ERR.print(text)) as cluster,
            service.sessions() as s,
        ):
            results = generate_lists(
                service.engine, s, champion, month=month, districts=district,
                **({} if cluster is None else {"build": cluster.features}),
            )  # fmt: skip
    except ServiceError as exc:
        raise fail(exc.detail) from None
    except ClusterError as exc:
        raise fail(str(exc)) from None
    for r in results:
        state = "generated" if r.created else "already stored"
        OUT.print(
            f"{r.district} {r.month}: {r.n_families:,} families, k={r.k}, "
            f"ranked by the {r.ranker}, {state}"
        )


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
