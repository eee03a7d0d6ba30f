"""Files of a training run: plots, model card, metrics and fairness report, in one directory;
for a glass-box champion, its shapes too (`plots/shapes.*`, `shapes.json`)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

from experiments.training import TrainingResult, feature_sources
from features.i18n import LANGS
from model import plots
from model.model_card import ModelCardInfo, card_filename, render_model_card
from model.shapes import shapes

log = logging.getLogger(__name__)


def write_run_artifacts(result: TrainingResult, directory: Path) -> list[Path]:
    """Write plots, the model card (`model_card.md` in English, `model_card.kk.md`,
    `model_card.ru.md`), `metrics.json` (and the fairness report) under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    y = result.scored.rows["label"].to_numpy()
    groups = result.scored.rows["list_key"].to_numpy()
    plot_dir = directory / "plots"
    written += plots.shap_summary(result.explanation_sample, plot_dir / "shap_summary")
    written += plots.calibration_curve(y, result.scored.probability, plot_dir / "calibration")
    written += plots.precision_recall(y, result.scored.ranking, plot_dir / "precision_recall")
    written += plots.precision_at_k_curve(
        y, result.scored.ranking, plot_dir / "precision_at_k_district", groups=groups
    )
    glass_box = shapes(result.model.learner_, result.explanation_sample.values)
    if glass_box:
        written += plots.shape_plots(glass_box, plot_dir / "shapes")
        shapes_path = directory / "shapes.json"
        shapes_path.write_text(json.dumps([s.to_dict() for s in glass_box]), "utf-8")
        written.append(shapes_path)
    sources = feature_sources()
    selection = None if result.selection is None else result.selection.to_dict()
    recalibrated = result.model.recalibration_
    recalibration = None if recalibrated is None else recalibrated.to_dict()
    card = ModelCardInfo(
        model_name="patronage-risk",
        trained_until=result.config.until,
        horizon_months=result.config.horizon_months,
        train_as_of=result.split.train_as_of,
        valid_as_of=result.split.valid_as_of,
        n_train=result.n_train,
        n_valid=result.n_valid,
        data_fingerprint=result.data_fingerprint,
        features_by_source=Counter(sources.get(f, "other") for f in result.model.feature_names_),
        calibration=result.model.calibrator_.method_,
        band_cuts=result.model.band_cuts_,
        metrics=result.metrics,
        gate_passed=result.gate.passed,
        gate_failures=result.gate.failures,
        fairness_summary=result.fairness_summary,
        source_shares=result.source_shares,
        params=result.config.as_params(),
        inner_buffer=result.config.inner_buffer,
        family=result.model.family,
        selection=selection,
        recalibration=recalibration,
    )
    card_paths = [directory / card_filename(lang) for lang in LANGS]
    for lang, card_path in zip(LANGS, card_paths, strict=True):
        card_path.write_text(render_model_card(card, lang=lang), "utf-8")
    metrics_path = directory / "metrics.json"
    metrics_path.write_text(
        json.dumps(
            {
                "metrics": result.metrics,
                "gate": result.gate.to_dict(),
                "fairness": result.fairness_metrics,
                "source_shares": result.source_shares,
                "selection": selection,
                "timings": result.timings,
            },
            indent=2,
        ),
        "utf-8",
    )
    written += [*card_paths, metrics_path]
    if result.fairness_report is not None:
        import fairness

        written += fairness.write_report(
            result.fairness_report, directory / "fairness", verdict=result.fairness_verdict
        )
    return written
