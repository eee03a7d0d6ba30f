"""Plain-language names of the metrics, shared by the gate's sentences and the HTML report."""

from __future__ import annotations

from typing import Final

#: Short name of each metric, as an auditor reads it.
METRIC_NAMES: Final[dict[str, str]] = {
    "tpr": "recall (true positive rate)",
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "tnr": "true negative rate",
    "precision": "precision",
    "fdr": "false discovery rate",
    "for": "false omission rate",
    "npv": "negative predictive value",
    "pprev": "selection rate",
    "ppr": "share of the list",
    "prevalence": "prevalence (labelled share)",
}

#: What the metric's value means, with ``{v}`` for the value as a percentage.
METRIC_MEANINGS: Final[dict[str, str]] = {
    "tpr": "of the families with a recorded serious incident, {v} were on the list",
    "fpr": "of the families without a recorded incident, {v} were put on the list",
    "fnr": "of the families with a recorded serious incident, {v} were left off the list",
    "tnr": "of the families without a recorded incident, {v} were left off the list",
    "precision": "of the families on the list, {v} had a recorded serious incident",
    "fdr": "of the families on the list, {v} had no recorded incident",
    "for": "of the families left off the list, {v} went on to have a recorded serious incident",
    "npv": "of the families left off the list, {v} had no recorded incident",
    "pprev": "{v} of the group's families were put on the list",
    "ppr": "the group makes up {v} of the list",
    "prevalence": "{v} of the group's families had a recorded serious incident",
}


def percent(value: float | None, digits: int = 1) -> str:
    """``0.1234`` -> ``12.3%``; None -> ``n/a``."""
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def meaning(metric: str, value: float | None) -> str:
    return METRIC_MEANINGS[metric].format(v=percent(value))
