from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiments.cli import app
from tests.fairness.synthetic import scores_frame

runner = CliRunner()


@pytest.fixture
def scores_csv(tmp_path: Path) -> Path:
    path = tmp_path / "scores.csv"
    scores_frame(1500, seed=1, shift=0.5).write_csv(path)
    return path


def _args(path: Path, *extra: str) -> list[str]:
    base = ["audit", "--scores", str(path), "--score-col", "score", "--label-col", "label"]
    return [*base, "--group-col", "group", *extra]


def test_audit_writes_json_and_html(scores_csv: Path, tmp_path: Path) -> None:
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    result = runner.invoke(
        app,
        _args(
            scores_csv,
            "--group-col",
            "urban",
            "--top-pct",
            "10",
            "--within",
            "district",
            "--reference",
            "group=b",
            "--intersect",
            "group,urban",
            "--n-boot",
            "100",
            "--json",
            str(out_json),
            "--html",
            str(out_html),
        ),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out_json.read_text())
    assert data["settings"]["references"]["group"] == "b"
    assert data["settings"]["attributes"] == ["group", "urban", "group x urban"]
    assert {"attribute", "group", "fnr", "for", "suppressed", "ci"} <= set(data["groups"][0])
    assert "data:image/png;base64," in out_html.read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--top-k", "5", "--threshold", "0.2"), "exactly one of"),
        ((), "exactly one of"),
        (("--top-pct", "0"), "top_pct"),
        (("--top-k", "5", "--group-col", "ethnicity"), "ethnicity"),
        (("--top-k", "5", "--reference", "group"), "ATTRIBUTE=GROUP"),
        (("--top-k", "5", "--reference", "group=zz"), "'zz'"),
    ],
)
def test_bad_options_exit_2_with_a_message(
    scores_csv: Path, extra: tuple[str, ...], message: str
) -> None:
    result = runner.invoke(app, _args(scores_csv, *extra))
    assert result.exit_code == 2
    assert message in result.output


def test_bad_rows_are_counted(tmp_path: Path) -> None:
    frame = scores_frame(200, seed=2)
    path = tmp_path / "bad.csv"
    lines = frame.write_csv().splitlines()
    lines[1] = lines[1].replace(lines[1].split(",")[1], "2", 1)  # one label of 2
    lines[2] = "," + lines[2].split(",", 1)[1]  # one missing score
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, _args(path, "--top-k", "5"))
    assert result.exit_code == 2
    assert "score" in result.output
    assert "1 row(s)" in result.output


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, _args(tmp_path / "nope.csv", "--top-k", "5"))
    assert result.exit_code == 2
    assert "does not exist" in result.output
