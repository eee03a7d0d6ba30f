"""Where the command line's log goes: the library chatter to a file, our own messages to stderr.

Alembic announces its plugins, MLflow warns about pickling and signatures and draws download
bars: useful in a log, noise for someone reading what a command did. Everything at INFO and
above goes to `$PATRONAGE_HOME/logs/patronage.log` (created on the first record); the terminal
gets only warnings and errors of patronage's own packages. Python warnings are logged too.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Final

#: Loggers of patronage itself: the only ones whose warnings reach the terminal.
OWN_PACKAGES: Final = ("features", "model", "fairness", "service", "experiments")
LOG_FILE: Final = Path("logs") / "patronage.log"


class _LazyFileHandler(logging.FileHandler):
    """A file handler that creates the file and its directory with the first record only, so
    `patronage --help` leaves nothing behind."""

    def _open(self):  # type: ignore[no-untyped-def]
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


class _OwnPackages(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".", 1)[0] in OWN_PACKAGES


def log_path(home: Path) -> Path:
    """The log file under `home` (PATRONAGE_HOME)."""
    return home / LOG_FILE


def configure_logging(home: Path) -> Path:
    """Route every logger to the file under `home`, and patronage's warnings to stderr too.

    Also switches off MLflow's own stderr handler and its artifact progress bars (MLflow 3
    environment variables, read when MLflow is imported), unless the caller set them."""
    os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    path = log_path(home)
    to_file = _LazyFileHandler(path, encoding="utf-8", delay=True)
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    to_terminal = logging.StreamHandler()
    to_terminal.setLevel(logging.WARNING)
    to_terminal.addFilter(_OwnPackages())
    to_terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [to_file, to_terminal]
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    return path


def quiet_mlflow() -> None:
    """Silence MLflow's direct prints ("Successfully registered model ...", "Created version
    ..."): they bypass logging (`mlflow.utils.logging_utils.eprint`), and the commands say what
    was registered themselves. Called by the commands that register a model."""
    from mlflow.utils.logging_utils import disable_logging

    disable_logging()  # type: ignore[no-untyped-call]
