"""Every ranker (the model, the baselines and, on simulated data, the oracle and the records
ceiling) scored on the same rows, and their list metrics: what a run's and an evaluation's
comparison tables are made of."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from experiments.ceiling import CEILING, ceiling_scores, lift_shares
from features.contracts import PROTECTED_ATTRIBUTES
from model.bands import order_key
from model.metrics import list_metrics
from model.risk_model import RiskModel

log = logging.getLogger(__name__)


def oracle_scores(truth: pl.DataFrame, rows: pl.DataFrame) -> np.ndarray:
    """`p_incident_6m` of each (as_of, family_id) row at the as-of month (NaN where absent)."""
    joined = rows.select("as_of", "family_id").join(
        truth.select(pl.col("family_id"), pl.col("month").alias("as_of"), pl.col("p_incident_6m")),
        on=["as_of", "family_id"],
        how="left",
        maintain_order="left",
    )
    return joined["p_incident_6m"].cast(pl.Float64).fill_null(float("nan")).to_numpy()


@dataclass(frozen=True)
class RankerScores:
    """Scores of every ranker on the same rows, plus what the metrics need."""

    rows: pl.DataFrame  # as_of, family_id, district, label, list_key, protected attributes
    ranking: dict[str, np.ndarray]
    probability: dict[str, np.ndarray]


def score_rankers(
    model: RiskModel,
    baselines: Mapping[str, Any],
    grid: pl.DataFrame,
    families: pl.DataFrame,
    *,
    truth: pl.DataFrame | None,
    probability: np.ndarray | None = None,
    ceiling: pl.DataFrame | None = None,
    matrix: np.ndarray | None = None,
    name: str = "model",
) -> RankerScores:
    """Score model, baselines, (with truth) the oracle and (with `ceiling`, the frame of
    `experiments.ceiling.ceiling_frame`) the records ceiling on the rows of `grid`.

    `matrix`: the feature matrix of `grid`'s rows in the model's feature order, already built
    (training shares one): the model and the baselines that take a matrix score it instead of
    re-materialising their own from `grid`.
    `name`: the model's key among the rankers (training judges several candidates).
    """
    rows = grid.select("as_of", "family_id", "label").join(
        families.select("family_id", "district", *PROTECTED_ATTRIBUTES),
        on="family_id",
        how="left",
        maintain_order="left",
    )
    rows = rows.with_columns(
        list_key=pl.col("as_of").cast(pl.String) + "|" + pl.col("district").fill_null("?")
    )
    if matrix is not None and matrix.shape != (grid.height, len(model.feature_names_)):
        raise ValueError(
            f"matrix: expected shape {(grid.height, len(model.feature_names_))}, got {matrix.shape}"
        )
    if matrix is None:
        scores = model.score(grid, families=families)
        raw = scores.raw_score
        probability = scores.probability if probability is None else probability
    else:
        raw = model.raw_matrix(matrix)
        if probability is None:
            ids = grid["family_id"].cast(pl.String).to_list()
            probability, _ = model.probability(raw, family_id=ids, families=families)
    # a recalibration within groups reorders the groups: the model ranks as its list does
    ranking = {name: raw if model.recalibration_ is None else order_key(probability, raw)}
    probs = {name: probability}
    for name, baseline in baselines.items():
        shares_matrix = matrix is not None and hasattr(baseline, "score_matrix")
        if shares_matrix and list(baseline.feature_names_) == list(model.feature_names_):
            ranking[name] = baseline.score_matrix(matrix)
        else:
            ranking[name] = baseline.score(grid)
    if "logistic" in ranking:
        probs["logistic"] = ranking["logistic"]
    if truth is not None:
        oracle = oracle_scores(truth, rows)
        if not np.isnan(oracle).any():
            ranking["oracle"] = probs["oracle"] = oracle
        else:
            log.warning(
                "truth lacks %d of the rows: no oracle figures", int(np.isnan(oracle).sum())
            )
    if ceiling is not None:
        knowable = ceiling_scores(ceiling, rows)
        if not np.isnan(knowable).any():
            ranking[CEILING] = probs[CEILING] = knowable
        else:
            log.warning(
                "the records ceiling lacks %d of the rows: no ceiling figures",
                int(np.isnan(knowable).sum()),
            )
    return RankerScores(rows=rows, ranking=ranking, probability=probs)


def all_metrics(scored: RankerScores) -> dict[str, dict[str, float]]:
    """Flat metrics per ranker on the same rows (district lists = per as-of and district),
    with each ranker's share of the oracle's and the records ceiling's lift when present."""
    y = scored.rows["label"].to_numpy()
    groups = scored.rows["list_key"].to_numpy()
    metrics = {
        name: list_metrics(y, s, probability=scored.probability.get(name), groups=groups).as_dict()
        for name, s in scored.ranking.items()
    }
    for name, shares in lift_shares(metrics).items():
        metrics[name].update(shares)
    return metrics
