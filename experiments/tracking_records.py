"""What `experiments.tracking` writes to and reads from MLflow, as plain data: the registry's
names, the records of a version and of an alias move, and the shaping of tag and parameter
values. Nothing here calls MLflow (only `experiments.tracking` imports it), so these can be
read and tested without a tracking store.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any, Final

EXPERIMENT: Final = "patronage"
CHAMPION: Final = "champion"
TAG_PREFIX: Final = "patronage."
#: The packages the MLflow pyfunc needs, pinned to the versions installed when it is logged.
PIP: Final = ("lightgbm", "numpy", "pandas", "polars", "scikit-learn", "pyarrow", "pydantic")
#: Tag values are bounded in length: lists and alias payloads are cut to stay within it.
TAG_LIMIT: Final = 4900


class NoChampionError(LookupError):
    """No registered version carries the @champion alias yet."""


class PromotionError(ValueError):
    """A promotion request is incomplete or names an unknown version."""


@dataclass(frozen=True)
class ModelVersionInfo:
    """Which registered version a loaded model is (the service stores this with each list)."""

    name: str
    version: int
    run_id: str
    trained_until: dt.date
    data_fingerprint: str
    gate_passed: bool


@dataclass(frozen=True)
class AliasEvent:
    """One move of an alias: who, when, why."""

    alias: str
    version: int
    action: str  # "set" (this version became champion) or "replaced" (it stopped being)
    by: str
    at: str  # UTC ISO timestamp
    reason: str
    gate_passed: bool
    override: bool

    def payload(self) -> str:
        """The event as the JSON stored in the version's tag and the run's artifact."""
        return json.dumps(asdict(self), ensure_ascii=False)

    def stamp(self) -> str:
        """The event's time without the characters a tag key or file name should not carry."""
        return self.at.replace(":", "").replace("+", "Z").replace("-", "")

    def tag_key(self) -> str:
        """The version tag that records the event (`alias_history` reads these back)."""
        return f"{TAG_PREFIX}alias.{self.alias}.{self.stamp()}.{self.action}"

    def artifact_path(self) -> str:
        """Where in the version's run the event's JSON is kept."""
        return f"alias_history/{self.stamp()}_{self.action}_v{self.version}.json"


@dataclass(frozen=True)
class TrackedRun:
    run_id: str
    version: int
    promoted: bool


def passed_gate(tags: dict[str, str]) -> bool:
    """Whether a version's tags say it passed its gate."""
    return tags.get(f"{TAG_PREFIX}gate_passed") == "true"


def json_list(items: Sequence[object], *, limit: int) -> str:
    """A JSON list within `limit` characters (tag values are bounded): drops trailing items and
    ends the list with a sentence saying how many (readers keep strings as written)."""
    kept = list(items)
    text = json.dumps(kept, ensure_ascii=False)
    while len(text) > limit and kept:
        kept.pop()
        text = json.dumps([*kept, f"... {len(items) - len(kept)} more in gate.json"])
    return text


def param_text(value: Any) -> str:
    """A run parameter as MLflow stores it: strings as they are, the rest as JSON, cut short."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:6000]


def pip_requirements() -> list[str]:
    """`PIP` pinned to the installed versions (a package that is not installed goes unpinned)."""
    pins = []
    for name in PIP:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pins.append(name)
    return pins
