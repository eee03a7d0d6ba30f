"""The fairness page's reading of a real gate verdict: the rows are the gate's own findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fairness import GateVerdict, evaluate_gate, write_report
from fairness.findings import GateFinding
from model.gates import GateFailure, describe
from service.ui.fairness_view import DisparityRow, disparity_rows, read_gate, read_verdict
from tests.fairness.synthetic import gate_report


def _verdict(seed: int, shift: float, tmp_path: Path, *, n_boot: int = 200) -> GateVerdict:
    report = gate_report(seed=seed, shift=shift, n_boot=n_boot)
    verdict = evaluate_gate(report)
    # Through `verdict.json`, as the page reads it: a renamed key cannot go unnoticed.
    write_report(report, tmp_path, verdict=verdict)
    read = read_verdict(tmp_path)
    assert read == verdict
    return read


def _where(item: GateFinding | DisparityRow) -> tuple[str | None, ...]:
    return (item.attribute, item.group, item.metric)


@pytest.mark.parametrize(("seed", "shift"), [(1, 0.5), (2, 0.7), (3, 1.0)])
def test_rows_are_exactly_the_gates_disparity_findings(
    seed: int, shift: float, tmp_path: Path
) -> None:
    verdict = _verdict(seed, shift, tmp_path)
    rows = disparity_rows(verdict)
    assert rows is not None
    by_standing = {s: sorted(_where(r) for r in rows if r.standing == s) for s in
                   ("counted", "chance", "too_few", "not_gate")}  # fmt: skip
    disparities = [f for f in verdict.failures + verdict.warnings if f.rule == "disparity"]
    assert by_standing["counted"] == sorted(
        _where(f) for f in verdict.failures if f.rule == "disparity"
    )
    assert by_standing["chance"] == sorted(
        _where(f) for f in disparities if f.significance == "not_significant"
    )
    assert by_standing["too_few"] == sorted(
        _where(f) for f in disparities if f.significance == "too_few"
    )
    assert by_standing["not_gate"] == sorted(_where(n) for n in verdict.notes)
    findings = {_where(f): f for f in (*disparities, *verdict.notes)}
    for row in rows:
        finding = findings[_where(row)]
        assert row.adjusted_p == finding.adjusted_p
        assert row.ratio == finding.ratio
        assert row.reference == finding.reference
        assert row.calibrated_ratio == finding.calibrated_ratio
        assert row.cause == finding.cause
        if row.standing == "counted":
            assert row.primary
            assert row.adjusted_p is not None
            assert row.adjusted_p <= 0.05


def test_injected_bias_is_counted_and_listed_first(tmp_path: Path) -> None:
    verdict = _verdict(1, 0.5, tmp_path)
    rows = disparity_rows(verdict)
    assert rows is not None
    assert verdict.failures, "the injected bias should fail the gate"
    assert rows[0].standing == "counted"
    assert {r.metric for r in rows if r.standing == "counted"} <= {"fnr", "for"}
    assert (rows[0].attribute, rows[0].group) == ("group", "b")
    primary = [r.primary for r in rows]
    assert primary == sorted(primary, reverse=True)  # primary (assistive) first
    # every row is really outside the band, and only non-gate metrics are "not_gate"
    for row in rows:
        assert row.ratio is None or not 0.8 <= row.ratio <= 1.25
        assert (row.standing == "not_gate") == (row.metric not in ("fnr", "for"))
    assert {"chance", "not_gate"} <= {r.standing for r in rows}


def test_an_audit_without_intervals_has_no_rows(tmp_path: Path) -> None:
    verdict = _verdict(1, 0.5, tmp_path, n_boot=0)
    assert verdict.failures == [GateFinding("no_intervals")]
    assert disparity_rows(verdict) is None


def test_gate_file_holds_facts_and_older_runs_hold_sentences(tmp_path: Path) -> None:
    finding = GateFinding("no_intervals")
    failures = [GateFailure("no_fairness_verdict"), GateFailure("fairness", fairness=finding)]
    (tmp_path / "gate.json").write_text(
        json.dumps({"passed": False, "failures": [f.to_dict() for f in failures]}), "utf-8"
    )
    gate = read_gate(tmp_path)
    assert gate is not None
    assert not gate.passed
    assert list(gate.failures) == failures
    assert gate.sentences == [describe(f) for f in failures]
    assert gate.sentences[1].startswith("Fairness: The audit has no confidence intervals")

    older = ["Fairness: The false negative rate differs between groups."]
    (tmp_path / "gate.json").write_text(json.dumps({"passed": False, "failures": older}), "utf-8")
    gate = read_gate(tmp_path)
    assert gate is not None
    assert gate.sentences == older
    assert read_verdict(tmp_path) is None  # no verdict.json in a run logged before it existed
    assert read_gate(tmp_path / "missing") is None
