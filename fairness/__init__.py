"""Group fairness metrics, disparities, bootstrap intervals and audit reports (no MLflow)."""

from fairness.auditing import audit
from fairness.findings import GateFinding
from fairness.flagging import FlagRule, Threshold, TopK, TopPct, flag
from fairness.flatten import fairness_metrics
from fairness.gate import GateRules, GateVerdict, evaluate_gate
from fairness.html import render_html
from fairness.inputs import AuditInputError
from fairness.output import write_report
from fairness.report import AuditReport

__all__ = [
    "AuditInputError",
    "AuditReport",
    "FlagRule",
    "GateFinding",
    "GateRules",
    "GateVerdict",
    "Threshold",
    "TopK",
    "TopPct",
    "audit",
    "evaluate_gate",
    "fairness_metrics",
    "flag",
    "render_html",
    "write_report",
]
