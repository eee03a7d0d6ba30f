"""Writing a report to a directory: JSON, HTML and the PNG plots, each written atomically
(`features.atomic.write_atomic`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from fairness.html import render_html
from fairness.plots import report_plots
from fairness.report import AuditReport
from features.atomic import write_atomic

if TYPE_CHECKING:
    from fairness.gate import GateVerdict

#: The gate's verdict beside the report it judged (`GateVerdict.from_dict` reads it back).
VERDICT_FILE = "verdict.json"


def write_report(
    report: AuditReport, directory: Path, *, verdict: GateVerdict | None = None
) -> list[Path]:
    """Write ``report.json``, ``report.html`` and the plots into ``directory``; return the paths.

    With a ``verdict``, also ``verdict.json`` (`GateVerdict.to_dict`): the gate's findings as
    facts, which the fairness page shows without judging the report again. The tracking module
    logs the returned files as the run's ``fairness/`` artifacts.
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
    if verdict is not None:
        verdict_path = directory / VERDICT_FILE
        text = json.dumps(verdict.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
        write_atomic(verdict_path, text.encode("utf-8"))
        written.insert(0, verdict_path)
    return [json_path, html_path, *written]
