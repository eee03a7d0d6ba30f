"""A finished training run, recorded: its artefacts written, logged to MLflow and registered.

`patronage train` and the demo call the same function, so a run registered by the demo is the
run a user would have registered by hand. A version that passed its gate becomes @champion in
`experiments.tracking.log_training_run`; otherwise only an admin promotion makes it one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from experiments import tracking
from experiments.model_artifacts import write_run_artifacts
from experiments.tracking_records import TAG_PREFIX
from experiments.training import Progress, TrainingResult
from service.settings import Settings


def register_run(
    result: TrainingResult, *, settings: Settings | None = None, progress: Progress | None = None
) -> tracking.TrackedRun:
    """Write the run's plots, model card and fairness report, log them with its parameters and
    metrics, and register the model (settings: default `get_settings()`)."""
    say = progress or (lambda _msg: None)
    with tempfile.TemporaryDirectory() as tmp:
        say("writing plots, model card and fairness report")
        write_run_artifacts(result, Path(tmp))
        say("logging the run to MLflow and registering the model")
        return tracking.log_training_run(
            result.model,
            params=result.config.as_params(),
            metrics={**result.metrics, "fairness": result.fairness_metrics},
            data_fingerprint=result.data_fingerprint,
            gate_passed=result.gate.passed,
            gate_failures=result.gate.failures,
            artifact_dir=Path(tmp),
            run_name=f"train-until-{result.config.until.isoformat()}",
            tags={f"{TAG_PREFIX}leakage_suspected": "true"} if result.leakage_suspected else None,
            settings=settings,
        )
