"""The `patronage` command line. Each topic registers its commands from its own module."""

from __future__ import annotations

import logging

import typer

from experiments import cli_audit, cli_features, cli_model, cli_service, cli_simulate

app = typer.Typer(
    name="patronage",
    help="Early warning for district prevention councils: simulate, build features, train, "
    "audit and serve calibrated, explainable risk lists.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

for _module in (cli_simulate, cli_features, cli_model, cli_audit, cli_service):
    _module.register(app)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app()
