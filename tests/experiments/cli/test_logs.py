"""The command line's logging: library chatter goes to the log file only, patronage's own
warnings also reach the terminal, and `--help` leaves no file behind."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from experiments.cli.logs import configure_logging, log_path


@pytest.fixture
def restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    for name in ("MLFLOW_CONFIGURE_LOGGING", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"):
        monkeypatch.delenv(name, raising=False)
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


@pytest.mark.usefixtures("restore_logging")
def test_library_chatter_goes_to_the_file_and_own_warnings_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    path = configure_logging(tmp_path / "home")
    assert path == log_path(tmp_path / "home") == tmp_path / "home" / "logs" / "patronage.log"
    assert not path.exists(), "nothing is written before the first record"
    assert os.environ["MLFLOW_CONFIGURE_LOGGING"] == "false"
    assert os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] == "false"

    # Libraries' loggers (names of their own; the real alembic and mlflow loggers may have been
    # configured by other tests' imports in this process).
    logging.getLogger("somelibrary.runtime.plugins").info("setup plugin alembic.x")
    logging.getLogger("otherlibrary.pyfunc").warning("Failed to infer model signature")
    logging.getLogger("service.lists.generate").info("a step of our own")
    logging.getLogger("experiments.training").warning("the gate needs a look")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("CloudPickle is not portable", UserWarning, stacklevel=1)
    for handler in logging.getLogger().handlers:
        handler.flush()

    terminal = capsys.readouterr().err
    assert terminal.strip().splitlines() == ["WARNING experiments.training: the gate needs a look"]
    logged = path.read_text("utf-8")
    for text in (
        "setup plugin alembic.x",
        "Failed to infer model signature",
        "a step of our own",
        "the gate needs a look",
        "CloudPickle is not portable",
    ):
        assert text in logged, text
