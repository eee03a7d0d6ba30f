"""The interface through which the service gets its champion model: `ModelSource`.

The service never talks to MLflow itself. `experiments.model_source.TrackingModelSource`
implements this protocol on the MLflow registry (through `experiments.tracking`, the one module
that talks to MLflow) and `experiments.app.create_app` hands it to the service; tests and
benchmarks pass a `StaticModelSource` with a model fitted in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from model.risk_model import RiskModel


@dataclass(frozen=True)
class Champion:
    model: RiskModel
    version: str


class ModelSource(Protocol):
    def champion(self) -> Champion | None:
        """The current champion, or None when no model is registered yet."""
        ...

    def describe(self) -> dict[str, Any]:
        """Registered versions, champion, gate verdicts, alias history and report links."""
        ...


class StaticModelSource:
    """A fixed model (tests, benchmarks) or none."""

    def __init__(self, champion: Champion | None = None) -> None:
        self._champion = champion

    def champion(self) -> Champion | None:
        return self._champion

    def describe(self) -> dict[str, Any]:
        version = self._champion.version if self._champion else None
        versions = [{"version": version, "aliases": ["champion"]}] if version else []
        return {"champion": version, "versions": versions, "alias_history": []}
