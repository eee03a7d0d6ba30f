"""Helpers over native TreeSHAP explanations: per-source aggregates and shap-package objects."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from model.risk_model import Explanation


def source_contributions(explanation: Explanation, sources: Mapping[str, str]) -> pl.DataFrame:
    """Mean absolute contribution of each data source's features, one row per family.

    `sources` maps a feature to its source ("police", "school", ...); features it does not
    name are grouped under "other". Used by the fairness audit of explanations.
    """
    names = explanation.feature_names
    by_source: dict[str, list[int]] = {}
    for j, name in enumerate(names):
        by_source.setdefault(sources.get(name, "other"), []).append(j)
    magnitude = np.abs(explanation.contributions)
    return pl.DataFrame(
        {source: magnitude[:, idx].mean(axis=1) for source, idx in sorted(by_source.items())}
    )


def source_totals(explanation: Explanation, sources: Mapping[str, str]) -> dict[str, float]:
    """Share of the total absolute contribution carried by each source (sums to 1)."""
    magnitude = np.abs(explanation.contributions).sum(axis=0)
    total = float(magnitude.sum()) or 1.0
    out: dict[str, float] = {}
    for j, name in enumerate(explanation.feature_names):
        key = sources.get(name, "other")
        out[key] = out.get(key, 0.0) + float(magnitude[j]) / total
    return out


def additivity_error(explanation: Explanation) -> float:
    """Largest |base + sum(contributions) - raw score| over families (should be ~1e-12)."""
    total = explanation.base_value + explanation.contributions.sum(axis=1)
    return float(np.max(np.abs(total - explanation.raw_score))) if len(total) else 0.0
