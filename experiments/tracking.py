"""MLflow tracking and the model registry: THE ONLY module of patronage that imports mlflow.

- `log_training_run` records one training run (parameters, data fingerprint, feature list,
  metrics of the model and every baseline, plots, model card, the RiskModel directory and an
  MLflow pyfunc), registers the model as `patronage-risk` and moves `@champion` only when the
  run passed its gate.
- `promote` moves `@champion` by hand (an admin with a written reason; required for a version
  that failed its gate). Every alias move is recorded as a tag on the version and a JSON entry
  in the version's run, so auditors can see which version was champion when.
- `load_champion` / `load_model` give the service and the CLI a `RiskModel`, cached by version.

The plain data it writes and reads (names, version and alias-move records, tag shaping) lives in
`experiments.tracking_records`, which does not call MLflow; the names are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.pyfunc.model import PythonModel, PythonModelContext

from experiments.tracking_records import (
    CHAMPION,
    EXPERIMENT,
    TAG_LIMIT,
    TAG_PREFIX,
    AliasEvent,
    ModelVersionInfo,
    NoChampionError,
    PromotionError,
    TrackedRun,
    json_list,
    param_text,
    passed_gate,
    pip_requirements,
)
from model.gates import GateFailure
from model.risk_model import RiskModel
from service.settings import Settings, get_settings

__all__ = [
    "CHAMPION",
    "EXPERIMENT",
    "AliasEvent",
    "ModelVersionInfo",
    "NoChampionError",
    "PromotionError",
    "RiskPyfunc",
    "TrackedRun",
    "alias_history",
    "configure",
    "load_champion",
    "load_model",
    "log_training_run",
    "promote",
]

logger = logging.getLogger(__name__)

# pandas ships no type stubs here; the pyfunc boundary is the only place it is needed.
_pd: Any = importlib.import_module("pandas")


# ---- configuration -------------------------------------------------------------------------


def configure(settings: Settings | None = None) -> MlflowClient:
    """Point MLflow at the settings' tracking store (never at ./mlruns) and return a client."""
    settings = settings or get_settings()
    uri = settings.tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    settings.artifact_root.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _experiment_id(client: MlflowClient, settings: Settings) -> str:
    found = client.get_experiment_by_name(EXPERIMENT)
    if found is not None:
        return str(found.experiment_id)
    return str(
        client.create_experiment(EXPERIMENT, artifact_location=settings.artifact_root.as_uri())
    )


# ---- pyfunc --------------------------------------------------------------------------------


class RiskPyfunc(PythonModel):
    """MLflow pyfunc: features in, probability, band, raw score and contributions out."""

    def load_context(self, context: PythonModelContext) -> None:
        self.model = RiskModel.load(Path(context.artifacts["risk_model"]))

    def predict(
        self, context: PythonModelContext, model_input: _pd.DataFrame, params: Any = None
    ) -> _pd.DataFrame:
        import polars as pl

        frame = pl.from_pandas(model_input)
        families = None
        if self.model.recalibration_ is not None:  # the attribute comes as a column
            attribute = self.model.recalibration_.attribute
            families = frame.select("family_id", attribute) if attribute in frame.columns else None
            frame = frame.drop(attribute, strict=False)
        scores = self.model.score(frame, families=families)
        explanation = self.model.explain(frame)
        out = _pd.DataFrame(
            {
                "family_id": scores.family_id,
                "probability": scores.probability,
                "band": scores.band,
                "raw_score": scores.raw_score,
                "base_value": explanation.base_value,
            }
        )
        contrib = _pd.DataFrame(
            explanation.contributions,
            columns=[f"contrib__{n}" for n in explanation.feature_names],
        )
        return _pd.concat([out, contrib], axis=1)


# ---- training runs -------------------------------------------------------------------------


def log_training_run(
    model: RiskModel,
    *,
    params: Mapping[str, Any],
    metrics: Mapping[str, Mapping[str, float]],
    data_fingerprint: str,
    gate_passed: bool,
    gate_failures: Sequence[GateFailure],
    artifact_dir: Path | None = None,
    tags: Mapping[str, str] | None = None,
    run_name: str | None = None,
    settings: Settings | None = None,
) -> TrackedRun:
    """Log one training run, register its model, and make it champion if it passed the gate.

    `metrics` maps a ranker ("model", "checklist", "oracle", ...) to flat metrics, logged as
    `<ranker>.<metric>`. Everything under `artifact_dir` (plots, model card, reports) is logged
    as is.
    """
    settings = settings or get_settings()
    client = configure(settings)
    experiment_id = _experiment_id(client, settings)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        run_id = run.info.run_id
        mlflow.log_params({k: param_text(v) for k, v in params.items()})
        mlflow.log_param("data_fingerprint", data_fingerprint)
        mlflow.log_param("n_features", len(model.feature_names_))
        mlflow.log_param("trained_until", model.trained_until_.isoformat())
        mlflow.log_param("horizon_months", model.horizon_months_)
        mlflow.set_tags(
            {
                f"{TAG_PREFIX}gate_passed": str(gate_passed).lower(),
                f"{TAG_PREFIX}data_fingerprint": data_fingerprint,
                **(tags or {}),
            }
        )
        flat = {
            f"{ranker}.{name}": float(value)
            for ranker, values in metrics.items()
            for name, value in values.items()
            if value == value  # NaN is not a loggable figure
        }
        mlflow.log_metrics(flat)
        mlflow.log_dict({"features": model.feature_names_}, "features.json")
        failures = [f.to_dict() for f in gate_failures]
        mlflow.log_dict({"passed": gate_passed, "failures": failures}, "gate.json")
        if artifact_dir is not None:
            mlflow.log_artifacts(str(artifact_dir))
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = Path(tmp) / "risk_model"
            model.save(model_dir)
            mlflow.log_artifacts(str(model_dir), artifact_path="risk_model")
            info = mlflow.pyfunc.log_model(
                name="pyfunc",
                python_model=RiskPyfunc(),
                artifacts={"risk_model": str(model_dir)},
                pip_requirements=pip_requirements(),
                registered_model_name=settings.model_name,
            )
    version = int(info.registered_model_version)
    version_tags = {
        "run_id": run_id,
        "trained_until": model.trained_until_.isoformat(),
        "data_fingerprint": data_fingerprint,
        "gate_passed": str(gate_passed).lower(),
        "gate_failures": json_list(failures, limit=TAG_LIMIT),
        "model_family": model.family,
        # issue 18: a deployment's recalibration within groups is visible in the registry
        "recalibrated_within": "none"
        if model.recalibration_ is None
        else model.recalibration_.attribute,
    }
    for key, value in version_tags.items():
        client.set_model_version_tag(settings.model_name, str(version), f"{TAG_PREFIX}{key}", value)
    promoted = False
    if gate_passed:
        promote(
            version,
            reason="passed the gate: better than every baseline on AUC and precision@5%, "
            "ECE within limit, fairness gate passed",
            by="training-run",
            settings=settings,
        )
        promoted = True
    else:
        logger.info("version %d failed its gate and stays without @%s", version, CHAMPION)
    return TrackedRun(run_id=run_id, version=version, promoted=promoted)


# ---- registry and aliases ------------------------------------------------------------------


def _version_tags(client: MlflowClient, name: str, version: int) -> dict[str, str]:
    try:
        mv = client.get_model_version(name, str(version))
    except MlflowException as exc:
        raise PromotionError(f"version: no version {version} of model {name!r}") from exc
    return dict(mv.tags)


def promote(
    version: int,
    *,
    reason: str,
    by: str,
    settings: Settings | None = None,
    alias: str = CHAMPION,
) -> AliasEvent:
    """Move `alias` to `version`, recording who, when and why on the version and in its run.

    A version that failed its gate may be promoted only with a written reason (an admin
    override); the event is marked `override=True`.
    """
    settings = settings or get_settings()
    if not reason.strip():
        raise PromotionError("reason: expected a written reason for the promotion, got none")
    if not by.strip():
        raise PromotionError("by: expected who promotes the model, got none")
    client = configure(settings)
    name = settings.model_name
    tags = _version_tags(client, name, version)
    passed = passed_gate(tags)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    previous: int | None = None
    try:
        previous = int(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        previous = None
    client.set_registered_model_alias(name, alias, str(version))
    event = AliasEvent(
        alias=alias,
        version=version,
        action="set",
        by=by,
        at=now,
        reason=reason,
        gate_passed=passed,
        override=not passed,
    )
    _record(client, name, event, tags.get(f"{TAG_PREFIX}run_id"))
    if previous is not None and previous != version:
        old_tags = _version_tags(client, name, previous)
        old = replace(
            event,
            version=previous,
            action="replaced",
            reason=f"replaced by version {version}: {reason}",
            gate_passed=passed_gate(old_tags),
            override=False,
        )
        _record(client, name, old, old_tags.get(f"{TAG_PREFIX}run_id"))
    logger.info("@%s -> version %d (override=%s)", alias, version, event.override)
    return event


def _record(client: MlflowClient, name: str, event: AliasEvent, run_id: str | None) -> None:
    payload = event.payload()
    client.set_model_version_tag(name, str(event.version), event.tag_key(), payload)
    if run_id:
        client.log_text(run_id, payload, event.artifact_path())
        client.set_tag(run_id, f"{TAG_PREFIX}alias.{event.alias}.last", payload[:TAG_LIMIT])


def alias_history(settings: Settings | None = None, *, alias: str = CHAMPION) -> list[AliasEvent]:
    """Every recorded move of `alias`, oldest first."""
    settings = settings or get_settings()
    client = configure(settings)
    events = []
    for mv in client.search_model_versions(f"name = '{settings.model_name}'"):
        for key, value in mv.tags.items():
            if key.startswith(f"{TAG_PREFIX}alias.{alias}."):
                events.append(AliasEvent(**json.loads(value)))
    return sorted(events, key=lambda e: (e.at, e.action != "replaced", e.version))


# ---- loading -------------------------------------------------------------------------------

_CACHE: dict[tuple[str, str, int], tuple[RiskModel, ModelVersionInfo]] = {}
_LOCK = threading.Lock()


def load_champion(settings: Settings | None = None) -> tuple[RiskModel, ModelVersionInfo]:
    """The current `@champion` and its version info; cached by version, so cheap to repeat."""
    settings = settings or get_settings()
    client = configure(settings)
    try:
        mv = client.get_model_version_by_alias(settings.model_name, CHAMPION)
    except MlflowException as exc:
        raise NoChampionError(
            f"no model carries the @{CHAMPION} alias of {settings.model_name!r} in "
            f"{settings.tracking_uri}: train one with `patronage train --data DIR --until "
            "YYYY-MM-DD` (it becomes champion when it passes its gate), or promote a version "
            "with `patronage promote --version N --reason TEXT --by USER`"
        ) from exc
    return _load_version(client, settings, int(mv.version))


def load_model(
    uri: str, settings: Settings | None = None
) -> tuple[RiskModel, ModelVersionInfo | None]:
    """Load `models:/NAME@ALIAS`, `models:/NAME/VERSION` or a directory written by `save`."""
    settings = settings or get_settings()
    if not uri.startswith("models:/"):
        return RiskModel.load(Path(uri)), None
    client = configure(settings)
    ref = uri.removeprefix("models:/")
    if "@" in ref:
        name, alias = ref.split("@", 1)
        if name == settings.model_name and alias == CHAMPION:
            model, info = load_champion(settings)
            return model, info
        try:
            version = int(client.get_model_version_by_alias(name, alias).version)
        except MlflowException as exc:
            raise NoChampionError(f"model URI {uri}: no version carries @{alias}") from exc
    else:
        name, _, number = ref.partition("/")
        if not number.isdigit():
            raise ValueError(f"model URI: expected models:/NAME@ALIAS or models:/NAME/N, got {uri}")
        version = int(number)
    named = settings.model_copy(update={"model_name": name})
    return _load_version(client, named, version)


def _load_version(
    client: MlflowClient, settings: Settings, version: int
) -> tuple[RiskModel, ModelVersionInfo]:
    key = (settings.tracking_uri, settings.model_name, version)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        try:
            mv = client.get_model_version(settings.model_name, str(version))
        except MlflowException as exc:
            raise NoChampionError(
                f"no version {version} of model {settings.model_name!r} in {settings.tracking_uri}"
            ) from exc
        tags = dict(mv.tags)
        run_id = str(mv.run_id)
        cache_dir = settings.resolved_home / "model_cache" / f"{settings.model_name}-v{version}"
        if not (cache_dir / "risk_model").is_dir():
            cache_dir.mkdir(parents=True, exist_ok=True)
            mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path="risk_model", dst_path=str(cache_dir)
            )
        model = RiskModel.load(cache_dir / "risk_model")
        info = ModelVersionInfo(
            name=settings.model_name,
            version=version,
            run_id=run_id,
            trained_until=model.trained_until_,
            data_fingerprint=tags.get(f"{TAG_PREFIX}data_fingerprint", ""),
            gate_passed=passed_gate(tags),
        )
        _CACHE[key] = (model, info)
        return model, info
