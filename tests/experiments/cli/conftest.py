"""What the CLI tests share: a PATRONAGE_HOME of the module's own (its SQLite database and
local MLflow store), with no tracking URI from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import get_settings


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATRONAGE_HOME", str(path))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.delenv("PATRONAGE_MLFLOW_TRACKING_URI", raising=False)
        get_settings.cache_clear()
        yield path
    get_settings.cache_clear()
