"""The `patronage` command line: one module per command group, every command listed here.

Command modules import their heavy dependencies inside the command bodies, so `--help` and a
mistyped option answer at once.
"""

from __future__ import annotations

import typer

from experiments.cli import audit, demo, features, model, retention, service, simulate
from experiments.cli.logs import configure_logging

app = typer.Typer(
    name="patronage",
    help="Early warning for district prevention councils: simulate, build features, train, "
    "audit and serve calibrated, explainable risk lists.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

# In this order in `patronage --help`.
app.command("simulate")(simulate.simulate_command)
app.command("features")(features.features_command)
app.command("labels")(features.labels_command)
app.command("train")(model.train_command)
app.command("score")(model.score_command)
app.command("explain")(model.explain_command)
app.command("evaluate")(model.evaluate_command)
app.command("backtest")(model.backtest_command)
app.command("promote")(model.promote_command)
app.command("audit")(audit.audit_command)
app.command("serve")(service.serve_command)
app.command("import")(service.import_command)
app.command("export")(service.export_command)
app.command("lists")(service.lists_command)
app.command("demo")(demo.demo_command)
app.command("users")(service.users_command)
app.command("retention")(retention.retention_command)


def main() -> None:
    from service.settings import get_settings

    # Invalid settings (a retention period of zero, say) exit 2 naming the setting.
    retention.settings_problem()
    # Library chatter (Alembic, MLflow, warnings) goes to a file; see experiments/cli/logs.py.
    configure_logging(get_settings().resolved_home)
    app()
