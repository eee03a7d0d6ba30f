"""Plots of a training run and of one family's explanation (matplotlib, Agg backend); the
shapes of a glass-box champion (`model.shapes`).

SHAP plots use the `shap` package fed with the native LightGBM contributions, so the figures
show exactly the numbers the service shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import shap
from sklearn.metrics import precision_recall_curve

from model.metrics import calibration_table, precision_recall_at_k
from model.risk_model import Explanation
from model.shapes import Shape


def _save(fig: object, path: Path, formats: Sequence[str]) -> list[Path]:
    out = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        fig.savefig(tmp, format=fmt, bbox_inches="tight", dpi=110)  # type: ignore[attr-defined]
        tmp.replace(target)
        out.append(target)
    plt.close(fig)  # type: ignore[arg-type]
    return out


def _shap_explanation(explanation: Explanation, rows: int | np.ndarray) -> shap.Explanation:
    values = explanation.contributions[rows]
    base: float | np.ndarray = (
        explanation.base_value
        if isinstance(rows, int)
        else np.full(values.shape[0], explanation.base_value)
    )
    return shap.Explanation(
        values=values,
        base_values=base,
        data=explanation.values[rows],
        feature_names=explanation.feature_names,
    )


def waterfall(
    explanation: Explanation,
    row: int,
    path: Path,
    *,
    max_display: int = 10,
    formats: Sequence[str] = ("png", "svg"),
) -> list[Path]:
    """Waterfall chart of one family's contributions (log-odds), PNG and SVG by default."""
    shap.plots.waterfall(
        _shap_explanation(explanation, np.s_[row]), max_display=max_display, show=False
    )
    fig = plt.gcf()
    fig.suptitle(f"family {explanation.family_id[row]}: contributions in log-odds", fontsize=9)
    return _save(fig, path, formats)


def shap_summary(
    explanation: Explanation, path: Path, *, max_rows: int = 5000, seed: int = 0
) -> list[Path]:
    """Beeswarm summary of the contributions over (a seeded sample of) families."""
    n = explanation.contributions.shape[0]
    rows = np.sort(np.random.default_rng(seed).choice(n, size=min(n, max_rows), replace=False))
    shap.plots.beeswarm(_shap_explanation(explanation, rows), max_display=20, show=False)
    return _save(plt.gcf(), path, ("png",))


def calibration_curve(
    y_true: np.ndarray, probabilities: Mapping[str, np.ndarray], path: Path, *, n_bins: int = 10
) -> list[Path]:
    """Observed rate against mean predicted probability, equal-count bins, per ranker."""
    fig, ax = plt.subplots(figsize=(5, 5))
    top = 0.0
    for name, p in probabilities.items():
        table = calibration_table(y_true, p, n_bins=n_bins)
        xs, ys = [t[0] for t in table], [t[1] for t in table]
        top = max(top, *xs, *ys)
        ax.plot(xs, ys, marker="o", label=name)
    ax.plot([0, top], [0, top], color="grey", linestyle="--", label="perfect")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed rate of a recorded serious incident")
    ax.legend()
    return _save(fig, path, ("png",))


def precision_recall(
    y_true: np.ndarray, scores: Mapping[str, np.ndarray], path: Path
) -> list[Path]:
    """Precision-recall curves per ranker."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, s in scores.items():
        precision, recall, _ = precision_recall_curve(y_true, s)
        ax.plot(recall, precision, label=name)
    ax.axhline(float(np.mean(y_true)), color="grey", linestyle="--", label="base rate")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.legend()
    return _save(fig, path, ("png",))


def precision_at_k_curve(
    y_true: np.ndarray,
    scores: Mapping[str, np.ndarray],
    path: Path,
    *,
    pcts: Sequence[float] = (0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30),
    groups: np.ndarray | None = None,
) -> list[Path]:
    """Tie-aware (worst ordering) precision of the top pct% list, per ranker."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, s in scores.items():
        ys = [precision_recall_at_k(y_true, s, pct=p, groups=groups).precision_worst for p in pcts]
        ax.plot(list(pcts), ys, marker="o", label=name)
    ax.axhline(float(np.mean(y_true)), color="grey", linestyle="--", label="base rate")
    ax.set_xlabel("list size (% of families" + (", per district)" if groups is not None else ")"))
    ax.set_ylabel("precision@k (worst ordering of ties)")
    ax.legend()
    return _save(fig, path, ("png",))


def shape_plots(
    shapes: Sequence[Shape], path: Path, *, top: int = 12, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Small multiples of the `top` most influential shapes (`model.shapes`): log-odds added
    over each feature's values, a marker for a missing value."""
    shown = list(shapes[:top])
    if not shown:
        raise ValueError("shapes: expected at least one shape, got none")
    cols = 3
    rows = -(-len(shown) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.4 * rows), squeeze=False)
    for ax, shape in zip(axes.ravel(), shown, strict=False):
        style = "steps-post" if shape.steps else "default"
        ax.plot(shape.values, shape.scores, drawstyle=style, color="#1f4e79")
        ax.axhline(0.0, color="#999999", linewidth=0.6)
        if shape.values:
            ax.plot([shape.values[0]], [shape.missing], "o", color="#b03a2e", markersize=4)
        ax.set_title(shape.feature, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(shown) :]:
        ax.axis("off")
    fig.suptitle("log-odds added per feature value (red dot: value missing)", fontsize=9)
    fig.tight_layout()
    return _save(fig, path, formats)
