"""What the fairness page shows, read from the files a training run logs.

`experiments.tracking.log_training_run` writes the run's `gate.json`: the model gate's verdict,
`{"passed", "failures"}` with each failure a `model.gates.GateFailure.to_dict` (plain sentences
in runs logged before the failures were facts). `fairness.write_report` writes `verdict.json`
(`fairness.gate.GateVerdict.to_dict`) beside `report.json` in the run's `fairness/` directory.
The page shows what that verdict says, without judging the report again: its disparity
failures are "counted", its warnings "chance" (not significant after Holm) or "too_few" (no
p-value), its notes "not_gate" (metrics the rules do not judge). Each row also carries the ratio
a ranking calibrated within groups would show at the same capacity and the cause the gate names
(`fairness.findings.Cause`), when the verdict has them. A run without `verdict.json`
(logged before it was written) has no such rows; its gate sentences are still shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from fairness.disparity import PRIMARY_METRICS
from fairness.findings import Cause, GateFinding, Significance
from fairness.gate import GateVerdict
from fairness.output import VERDICT_FILE
from model.gates import GateFailure, read_failures, text

#: How a disparity outside the band stands with the gate.
Standing = Literal["counted", "chance", "too_few", "not_gate"]
#: Order of the rows: what blocks a model first.
_ORDER: Final[dict[str, int]] = {"counted": 0, "too_few": 1, "chance": 2, "not_gate": 3}
_STANDINGS: Final[dict[Significance, Standing]] = {
    "not_required": "counted",
    "significant": "counted",
    "not_significant": "chance",
    "too_few": "too_few",
    "not_judged": "not_gate",
}


@dataclass(frozen=True)
class DisparityRow:
    """One disparity outside the band, with its standing under the gate."""

    attribute: str
    group: str
    reference: str
    metric: str
    primary: bool
    value: float | None
    reference_value: float | None
    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    adjusted_p: float | None
    standing: Standing
    calibrated_ratio: float | None = None
    cause: Cause | None = None


@dataclass(frozen=True)
class GateFile:
    """The run's `gate.json`: the whole verdict (model and fairness)."""

    passed: bool
    failures: tuple[GateFailure | str, ...]

    @property
    def sentences(self) -> list[str]:
        """Each failure as the gate states it (`model.gates.describe`)."""
        return [text(f) for f in self.failures]


def disparity_rows(verdict: GateVerdict) -> list[DisparityRow] | None:
    """The disparity findings of ``verdict`` (failures, warnings and notes), primary first,
    then by standing, attribute and group; None when the gate judged no disparity (an audit
    without intervals)."""
    if any(f.rule == "no_intervals" for f in verdict.failures):
        return None
    rows = [
        _row(f, _STANDINGS[f.significance])
        for f in (*verdict.failures, *verdict.warnings, *verdict.notes)
        if f.rule == "disparity" and f.significance is not None
    ]
    rows.sort(key=lambda r: (not r.primary, _ORDER[r.standing], r.attribute, r.group, r.metric))
    return rows


def _row(finding: GateFinding, standing: Standing) -> DisparityRow:
    low, high = finding.ratio_ci if finding.ratio_ci is not None else (None, None)
    return DisparityRow(
        attribute=str(finding.attribute),
        group=str(finding.group),
        reference=str(finding.reference),
        metric=str(finding.metric),
        primary=finding.metric in PRIMARY_METRICS,
        value=finding.value,
        reference_value=finding.reference_value,
        ratio=finding.ratio,
        ratio_low=low,
        ratio_high=high,
        adjusted_p=finding.adjusted_p,
        standing=standing,
        calibrated_ratio=finding.calibrated_ratio,
        cause=finding.cause,
    )


def read_report(directory: Path) -> dict[str, Any] | None:
    """`report.json` of a fairness artifact directory, or None when there is none."""
    path = directory / "report.json"
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_verdict(directory: Path) -> GateVerdict | None:
    """`verdict.json` of a fairness artifact directory, or None when there is none."""
    path = directory / VERDICT_FILE
    if not path.is_file():
        return None
    return GateVerdict.from_dict(json.loads(path.read_text(encoding="utf-8")))


def read_gate(run_artifacts: Path) -> GateFile | None:
    """`gate.json` of a run's artifact directory, or None when there is none."""
    path = run_artifacts / "gate.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    failures = read_failures(data.get("failures") or (), fairness=GateFinding.from_dict)
    return GateFile(passed=bool(data["passed"]), failures=tuple(failures))
