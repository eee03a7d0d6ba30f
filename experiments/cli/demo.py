"""`patronage demo`: prepare everything a first look needs (`experiments.demo`), then serve."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from experiments.cli.common import OUT, fail
from experiments.cli.service import run_server


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
    from experiments.cli.logs import log_path, quiet_mlflow
    from experiments.demo.run import prepare_demo
    from experiments.demo.steps import DemoError
    from experiments.model_source import TrackingModelSource
    from service.auth.security import InsecureSettingsError
    from service.settings import get_settings
    from service.state import build_state

    quiet_mlflow()
    os.environ["PATRONAGE_DEMO"] = "1"
    get_settings.cache_clear()
    settings = get_settings()
    models = TrackingModelSource(settings)
    try:
        state = build_state(settings, models=models)
    except InsecureSettingsError as exc:
        raise fail(str(exc)) from None

    def say(message: str) -> None:
        OUT.print(f"[bold cyan]demo[/bold cyan] {message}", highlight=False)

    try:
        ready = prepare_demo(state, models=models, families=families, say=say)
    except DemoError as exc:
        raise fail(str(exc)) from None
    finally:
        state.engine.dispose()
    OUT.print(f"\nOpen http://{host}:{port}/ (API docs at http://{host}:{port}/docs)")
    OUT.print(f"Demo users and passwords: {ready.credentials}")
    OUT.print(
        f"  council.<district>: the {ready.month} list of the district, its families and "
        "decisions\n  auditor: explanations, fairness report, model cards, access log\n"
        "  admin: users, uploads, lists\n"
        "  regional.<region>, ministry: statistics without names (/ui/statistics)",
        highlight=False,
    )
    OUT.print(f"Libraries' messages (Alembic, MLflow) are in {log_path(settings.resolved_home)}")
    if not no_serve:
        run_server(host, port)
