"""Writing a report to a directory: JSON, HTML and the PNG plots, each written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from fairness.html import render_html
from fairness.plots import report_plots
from fairness.report import AuditReport

if TYPE_CHECKING:
    from fairness.gate import GateVerdict


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(
    report: AuditReport, directory: Path, *, verdict: GateVerdict | None = None
) -> list[Path]:
    """Write ``report.json``, ``report.html`` and the plots into ``directory``; return the paths.

    The tracking module logs the returned files as the run's ``fairness/`` artifacts.
    """
    directory = Path(directory)
    plots = report_plots(report)
    written: list[Path] = []
    for name, png in plots.items():
        write_atomic(directory / name, png)
        written.append(directory / name)
    json_path = directory / "report.json"
    write_atomic(json_path, report.to_json().encode("utf-8"))
    html_path = directory / "report.html"
    write_atomic(html_path, render_html(report, verdict=verdict, plots=plots).encode("utf-8"))
    return [json_path, html_path, *written]
