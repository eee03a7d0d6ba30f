"""The champion model registered in MLflow, as the service's `ModelSource`.

`TrackingModelSource` loads the `@champion` through `experiments.tracking` (the one module that
talks to MLflow) and caches it; `describe_registry` lists the registered versions for the
auditor's pages.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict
from typing import Any

from experiments import tracking
from fairness.findings import GateFinding
from features.i18n import LANGS
from model.gates import read_failures, text
from model.model_card import card_filename
from service.model_source import Champion
from service.settings import Settings

logger = logging.getLogger(__name__)


class TrackingModelSource:
    """The champion registered in MLflow, loaded through `experiments.tracking` and cached."""

    #: Seconds before a failed lookup is tried again (health checks poll often).
    RETRY_AFTER_S = 30.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._cached: Champion | None = None
        self._missing_since: float | None = None

    def champion(self) -> Champion | None:
        with self._lock:
            if self._cached is not None:
                return self._cached
            now = time.monotonic()
            if self._missing_since is not None and now - self._missing_since < self.RETRY_AFTER_S:
                return None
            self._missing_since = now
            try:
                model, info = tracking.load_champion(self.settings)
            except tracking.NoChampionError:
                # Expected before the first training run (the demo asks before it trains).
                logger.info("no champion model registered yet")
                return None
            except Exception as exc:  # unreadable registry or artefact: worth a warning
                logger.warning("no champion model could be loaded: %s", type(exc).__name__)
                return None
            self._cached = Champion(model=model, version=str(getattr(info, "version", info)))
            self._missing_since = None
            return self._cached

    def refresh(self) -> None:
        """Forget the cached champion (after a promotion)."""
        with self._lock:
            self._cached = None
            self._missing_since = None

    def describe(self) -> dict[str, Any]:
        return describe_registry(self.settings)


def describe_registry(settings: Settings) -> dict[str, Any]:
    """Versions, champion, gate verdicts, alias history and artefact links from the registry.

    Reads through the client `experiments.tracking.configure` returns (tags written by
    `experiments.tracking.log_training_run`).
    """
    client = tracking.configure(settings)
    name = settings.model_name
    prefix = "patronage."
    versions = []
    champion: int | None = None
    try:
        champion = int(client.get_model_version_by_alias(name, "champion").version)
    except Exception:  # no version carries the alias yet
        champion = None
    for mv in sorted(
        client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version)
    ):
        tags = dict(mv.tags)
        # Registry searches do not fill in aliases: add the champion's by hand.
        aliases = sorted(set(getattr(mv, "aliases", []) or []))
        if champion == int(mv.version) and "champion" not in aliases:
            aliases.append("champion")
        artifacts = client.get_run(mv.run_id).info.artifact_uri if mv.run_id else None
        versions.append(
            {
                "version": int(mv.version),
                "aliases": aliases,
                "run_id": mv.run_id,
                "trained_until": tags.get(f"{prefix}trained_until", ""),
                "data_fingerprint": tags.get(f"{prefix}data_fingerprint", ""),
                # versions registered before there were families are boosters
                "model_family": tags.get(f"{prefix}model_family", "lightgbm"),
                # the protected attribute a deployment recalibrated within; None: none
                "recalibrated_within": _none(tags.get(f"{prefix}recalibrated_within")),
                "gate": _gate(tags, prefix),
                "model_card_uri": f"{artifacts}/{card_filename('en')}" if artifacts else None,
                # Where each language's card is written; runs logged before the cards were
                # translated hold the English one only (the pages fall back to it).
                "model_card_uris": (
                    {lang: f"{artifacts}/{card_filename(lang)}" for lang in LANGS}
                    if artifacts
                    else {}
                ),
                "fairness_report_dir": f"{artifacts}/fairness" if artifacts else None,
            }
        )
    history = [asdict(event) for event in tracking.alias_history(settings)]
    return {
        "model_name": name,
        "champion": champion,
        "versions": versions,
        "alias_history": history,
    }


def _none(tag: str | None) -> str | None:
    return None if tag in (None, "", "none") else tag


def _gate(tags: dict[str, str], prefix: str) -> dict[str, Any]:
    """The version's gate verdict from its tags: `failures` as sentences (what `GET /v1/models`
    has always returned), `findings` as facts (`GateFailure.to_dict`; strings where the tag
    holds sentences: runs logged before the failures were facts, or the note on failures cut
    for length)."""
    recorded = json.loads(tags.get(f"{prefix}gate_failures", "[]") or "[]")
    failures = read_failures(recorded, fairness=GateFinding.from_dict)
    return {
        "passed": tags.get(f"{prefix}gate_passed") == "true",
        "failures": [text(f) for f in failures],
        "findings": [f if isinstance(f, str) else f.to_dict() for f in failures],
    }
