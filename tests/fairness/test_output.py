from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl

from fairness import (
    AuditReport,
    GateVerdict,
    TopPct,
    evaluate_gate,
    render_html,
    write_report,
)
from fairness.findings import describe
from tests.fairness.synthetic import audit_scores, scores_frame


def _report() -> AuditReport:
    frame = scores_frame(2000, seed=1, shift=0.5)
    contributions = pl.DataFrame(
        {
            s: np.random.default_rng(i).random(frame.height)
            for i, s in enumerate(("school", "police"))
        }
    )
    return audit_scores(
        frame,
        group_cols=["group", "urban"],
        flag=TopPct(10),
        n_boot=100,
        contributions=contributions,
    )


def test_write_report_writes_json_html_and_plots(tmp_path: Path) -> None:
    report = _report()
    paths = write_report(report, tmp_path / "fairness")
    names = {p.name for p in paths}
    assert {"report.json", "report.html"} <= names
    assert {"rates_group.png", "disparities_group.png", "calibration_group.png"} <= names
    assert "explanations_urban.png" in names
    for p in paths:
        assert p.stat().st_size > 0
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "fairness" / "report.json").read_text())["groups"]
    assert not list((tmp_path / "fairness").glob(".*.tmp"))  # no temporary file left behind


def test_write_report_with_a_verdict_writes_it_as_facts(tmp_path: Path) -> None:
    report = _report()
    verdict = evaluate_gate(report)
    paths = write_report(report, tmp_path, verdict=verdict)
    assert tmp_path / "verdict.json" in paths
    data = json.loads((tmp_path / "verdict.json").read_text(encoding="utf-8"))
    assert GateVerdict.from_dict(data) == verdict
    assert not verdict.passed
    assert data["failures"][0]["rule"] in {"disparity", "calibration_gap"}
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for finding in verdict.failures:  # the HTML report states each finding as a sentence
        assert describe(finding).replace("'", "&#39;") in html
    assert "verdict.json" not in {p.name for p in write_report(report, tmp_path / "plain")}


def test_html_is_self_contained_and_says_what_it_found() -> None:
    report = _report()
    html = render_html(report, verdict=evaluate_gate(report))
    assert "data:image/png;base64," in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script" not in html
    assert "The gate failed." in html
    assert "false negative rate" in html
    assert "because" not in html.lower()  # explanations are associations, never causes
    assert "suppressed" in html  # group d (1.5% of 2000) is under 30


def test_group_names_are_escaped() -> None:
    frame = scores_frame(600, seed=2).with_columns(
        pl.col("group").replace({"a": "<script>alert(1)</script>"})
    )
    report = audit_scores(frame, group_cols=["group"], flag=TopPct(10), n_boot=0)
    html = render_html(report)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
