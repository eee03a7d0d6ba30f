"""The fitted risk model as the rest of the project sees it (scoring and explanations).

The names and signatures below are the contract between `model` (which implements them),
`experiments` (which trains, tracks and loads them) and `service` (which scores, explains and
snapshots lists with them).

A `RiskModel` is a learner (raw score in log-odds, split into per-feature contributions: a
LightGBM booster, a logistic regression or an EBM, `model.learners`), a calibrator (raw score ->
probability), five band cut points and the metadata needed to judge whether it fits the data
it is asked to score (feature list, training cut-off, label horizon). The learner's family is
whichever won the gate (`experiments.selection`); scoring, explanations and reasons are the
same for every family.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from features.atomic import replacing_dir
from features.contracts import GEOGRAPHY_COLUMNS, PROTECTED_ATTRIBUTES
from features.i18n import Lang
from model.bands import BANDS, DEFAULT_BAND_CUTS, assign_bands, validate_band_cuts
from model.calibration import Calibrator, Method
from model.learners import BoosterLearner, Family, Learner, load_learner
from model.reasons import as_value, listed, render
from model.recalibration import GroupRecalibration, groups_of, shifted
from model.training import BoosterParams, fit_booster

__all__ = [
    "BANDS",
    "ID_COLUMNS",
    "Explanation",
    "FeatureMismatchError",
    "Reason",
    "RiskModel",
    "Scores",
]

#: Columns a feature frame may carry besides the features; never used as features.
ID_COLUMNS: tuple[str, ...] = ("family_id", "as_of", "label", "district", "region")
#: Columns that must never be model features (guardrail 2).
FORBIDDEN_FEATURES: frozenset[str] = frozenset(PROTECTED_ATTRIBUTES) | frozenset(GEOGRAPHY_COLUMNS)

_META_FILE = "risk_model.json"
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Scores:
    """Scores of a batch of families, in the order of the input frame."""

    family_id: list[str]
    raw_score: np.ndarray  # log-odds of the learner (before calibration)
    probability: np.ndarray  # calibrated probability of a recorded serious incident in 6 months
    band: list[str]  # one of BANDS
    #: Log-odds each probability was shifted by the recalibration within groups (all zeros
    #: when the model has none, the default; `model.recalibration`).
    group_shift: np.ndarray | None = None


@dataclass(frozen=True)
class Explanation:
    """Per-feature contributions in log-odds (TreeSHAP for the booster, `model.learners` for
    the other families); base + sum(contributions) == raw."""

    family_id: list[str]
    feature_names: list[str]
    base_value: float
    contributions: np.ndarray  # shape (n_families, n_features)
    values: np.ndarray  # the feature values explained, same shape (NaN where missing)
    raw_score: np.ndarray


@dataclass(frozen=True)
class Reason:
    feature: str
    value: float | None
    contribution: float
    text: str  # rendered from the feature registry; never says "because"


class FeatureMismatchError(ValueError):
    """The data's feature columns differ from the model's feature list."""


class ModelFileError(ValueError):
    """A saved model directory is missing, incomplete or of an unknown format."""


def feature_columns(frame: pl.DataFrame) -> list[str]:
    """The feature columns of a frame: everything but the id/label columns."""
    return [c for c in frame.columns if c not in ID_COLUMNS]


def _check_columns(frame: pl.DataFrame, names: Sequence[str]) -> None:
    got = feature_columns(frame)
    missing = [c for c in names if c not in frame.columns]
    unexpected = [c for c in got if c not in set(names)]
    if missing or unexpected:
        raise FeatureMismatchError(
            f"feature columns differ from the model's feature list: missing {missing}, "
            f"unexpected {unexpected} (expected {len(names)} features, got {len(got)})"
        )


def check_matrices(feature_names: Sequence[str], x: np.ndarray, x_valid: np.ndarray) -> list[str]:
    """The feature names of a training and a held-out matrix, checked: no forbidden column, and
    both matrices two-dimensional with one column per name."""
    names = list(feature_names)
    refuse_forbidden(names)
    for label, m in (("training", x), ("held-out", x_valid)):
        if m.ndim != 2 or m.shape[1] != len(names):
            raise FeatureMismatchError(
                f"{label} matrix: expected {len(names)} feature columns, got shape {m.shape}"
            )
    return names


def refuse_forbidden(names: Sequence[str]) -> None:
    forbidden = sorted(FORBIDDEN_FEATURES.intersection(names))
    if forbidden:
        raise ValueError(
            f"features: protected attributes and geography are never model features, "
            f"got {forbidden}"
        )


def _matrix(
    frame: pl.DataFrame, names: Sequence[str], *, dtype: type[np.floating[Any]] = np.float64
) -> np.ndarray:
    """The feature matrix (rows x `names`, C order) in `dtype`: float32 to train (half the
    memory; LightGBM bins the values the same), float64 to score and explain."""
    if not names:
        raise ValueError("features: expected at least one feature column, got none")
    bad = [c for c in names if not frame.schema[c].is_numeric() and frame.schema[c] != pl.Boolean]
    if bad:
        kinds = ", ".join(f"{c} ({frame.schema[c]})" for c in bad)
        raise ValueError(f"features: expected numeric or boolean columns, got {kinds}")
    kind = pl.Float32 if dtype == np.float32 else pl.Float64
    return frame.select([pl.col(c).cast(kind) for c in names]).to_numpy(order="c")


class RiskModel:
    """A calibrated risk model with its metadata.

    Attributes set by `fit`/`adopt`/`load`: `feature_names_`, `band_cuts_`, `trained_until_`,
    `horizon_months_`, plus `learner_`, `calibrator_` and `metadata_`. `fit` trains a LightGBM
    booster; `adopt` takes a learner of any family trained elsewhere.
    """

    feature_names_: list[str]
    band_cuts_: tuple[float, float, float, float]
    trained_until_: dt.date
    horizon_months_: int
    learner_: Learner
    calibrator_: Calibrator
    metadata_: dict[str, Any]
    #: The deployment's recalibration within the groups of one protected attribute; None (the
    #: default) scores every group alike (`model.recalibration`).
    recalibration_: GroupRecalibration | None = None

    def __init__(
        self,
        *,
        params: BoosterParams | None = None,
        calibration: Method = "auto",
        band_cuts: Sequence[float] = DEFAULT_BAND_CUTS,
    ) -> None:
        self.params = params
        self.calibration = calibration
        self.band_cuts = band_cuts

    # ---- fitting -------------------------------------------------------------------------

    def fit(
        self,
        features: pl.DataFrame,
        y: np.ndarray,
        *,
        valid_features: pl.DataFrame,
        y_valid: np.ndarray,
        trained_until: dt.date,
        horizon_months: int = 6,
        metadata: dict[str, Any] | None = None,
    ) -> RiskModel:
        """Train on (features, y); stop early and calibrate on the held-out period.

        `features` and `valid_features` hold feature columns; id columns such as `family_id`
        are ignored.
        Protected attributes and geography are refused as features.
        """
        names = feature_columns(features)
        refuse_forbidden(names)
        _check_columns(valid_features, names)
        return self.fit_matrix(
            _matrix(features, names, dtype=np.float32),
            y,
            x_valid=_matrix(valid_features, names, dtype=np.float32),
            y_valid=y_valid,
            feature_names=names,
            trained_until=trained_until,
            horizon_months=horizon_months,
            metadata=metadata,
        )

    def fit_matrix(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        x_valid: np.ndarray,
        y_valid: np.ndarray,
        feature_names: list[str],
        trained_until: dt.date,
        horizon_months: int = 6,
        metadata: dict[str, Any] | None = None,
    ) -> RiskModel:
        """`fit` on matrices (float32, C order, columns `feature_names`) built once by the
        caller and shared with the baselines and metrics; no copy of them is kept."""
        names = check_matrices(feature_names, x, x_valid)
        booster = fit_booster(
            x,
            np.asarray(y, dtype=float),
            x_valid=x_valid,
            y_valid=np.asarray(y_valid, dtype=float),
            feature_names=names,
            params=self.params or BoosterParams(),
        )
        return self.adopt(
            BoosterLearner(booster),
            x_valid=x_valid,
            y_valid=y_valid,
            feature_names=names,
            trained_until=trained_until,
            horizon_months=horizon_months,
            metadata=metadata,
        )

    def adopt(
        self,
        learner: Learner,
        *,
        x_valid: np.ndarray,
        y_valid: np.ndarray,
        feature_names: list[str],
        trained_until: dt.date,
        horizon_months: int = 6,
        metadata: dict[str, Any] | None = None,
    ) -> RiskModel:
        """Make a trained learner (a booster cut at its kept round, or another family's) this
        model: calibrate it on the held-out matrix and record what it was trained on.
        `fit_matrix` trains the booster on one machine, `experiments.distributed` on a Dask
        cluster, `experiments.selection` the other families."""
        names = list(feature_names)
        refuse_forbidden(names)
        if list(learner.feature_names) != names:
            raise FeatureMismatchError(
                f"learner: expected the features {len(names)} of the data, "
                f"got {len(learner.feature_names)} that differ"
            )
        params = self.params or BoosterParams()
        self.band_cuts_ = validate_band_cuts(self.band_cuts)
        self.learner_ = learner
        self.feature_names_ = names
        self.trained_until_ = trained_until
        self.horizon_months_ = horizon_months
        raw_valid = self.raw_matrix(x_valid)
        self.calibrator_ = Calibrator(self.calibration, seed=params.seed).fit(raw_valid, y_valid)
        own = {"params": params.as_dict()} if learner.family == "lightgbm" else {}
        self.metadata_ = {**own, "learner": learner.summary(), **(metadata or {})}
        return self

    @property
    def family(self) -> Family:
        """The model family of the learner (``lightgbm``, ``logistic`` or ``ebm``)."""
        return self.learner_.family

    @property
    def booster_(self) -> lgb.Booster:
        """The LightGBM booster; only a model of family ``lightgbm`` has one."""
        if not isinstance(self.learner_, BoosterLearner):
            raise TypeError(f"booster_: expected a lightgbm model, this one is {self.family}")
        return self.learner_.booster

    @property
    def best_iteration_(self) -> int:
        """The booster's number of trees (0 for a family without trees)."""
        return self.learner_.trees if isinstance(self.learner_, BoosterLearner) else 0

    # ---- scoring -------------------------------------------------------------------------

    def _raw(self, features: pl.DataFrame) -> np.ndarray:
        _check_columns(features, self.feature_names_)
        return self.raw_matrix(_matrix(features, self.feature_names_))

    def raw_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds) of a matrix whose columns are `feature_names_`."""
        return self.learner_.raw(matrix)

    @staticmethod
    def _ids(features: pl.DataFrame) -> list[str]:
        if "family_id" not in features.columns:
            raise FeatureMismatchError("family_id: expected a family_id column, got none")
        return features["family_id"].cast(pl.String).to_list()

    def groups_of(
        self, family_id: Sequence[str], families: pl.DataFrame | None
    ) -> list[str | None]:
        """Each family's group of the recalibration's attribute, read from `families` (the
        registry: family_id and the protected attributes); [] when the model has none."""
        if self.recalibration_ is None:
            return []
        return groups_of(family_id, families, attribute=self.recalibration_.attribute)

    def probability(
        self,
        raw: np.ndarray,
        *,
        family_id: Sequence[str] = (),
        families: pl.DataFrame | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities of raw scores and the log-odds shift of each (zeros without
        a recalibration within groups; with one, `families` gives each family's group)."""
        calibrated = self.calibrator_.predict(raw)
        if self.recalibration_ is None:
            return calibrated, np.zeros(len(calibrated))
        shift = self.recalibration_.shifts(self.groups_of(family_id, families))
        return shifted(calibrated, shift), shift

    def score(self, features: pl.DataFrame, *, families: pl.DataFrame | None = None) -> Scores:
        """Score a frame from `features.pipeline.build_features` (family_id + feature columns).

        `families`: the registry's families with their protected attributes; needed only by a
        model recalibrated within groups (raises ValueError without it).
        Raises `FeatureMismatchError` naming the missing and unexpected columns.
        """
        ids = self._ids(features)
        raw = self._raw(features)
        probability, shift = self.probability(raw, family_id=ids, families=families)
        return Scores(
            family_id=ids,
            raw_score=raw,
            probability=probability,
            band=assign_bands(probability, self.band_cuts_),
            group_shift=shift,
        )

    def explain(self, features: pl.DataFrame) -> Explanation:
        """Per-feature contributions in log-odds, per family (`model.learners`)."""
        ids = self._ids(features)
        _check_columns(features, self.feature_names_)
        matrix = _matrix(features, self.feature_names_)
        base, contributions = self.learner_.contributions(matrix)
        base_value = float(base[0]) if len(base) else self.expected_value()
        return Explanation(
            family_id=ids,
            feature_names=list(self.feature_names_),
            base_value=base_value,
            contributions=contributions,
            values=matrix,
            raw_score=base + contributions.sum(axis=1),
        )

    def expected_value(self) -> float:
        """The base value of the explanations (the learner's expected raw score)."""
        base, _ = self.learner_.contributions(np.full((1, len(self.feature_names_)), np.nan))
        return float(base[0])

    def reasons(
        self, explanation: Explanation, row: int, *, lang: Lang, top: int = 5
    ) -> list[Reason]:
        """The `top` features of family `row` by absolute contribution, rendered in `lang`.

        Positive contributions raise the score, negative ones lower it; zero contributions and
        those against a constrained feature's direction are left out (`model.reasons.listed`).
        The texts describe the data, never a cause.
        """
        n = explanation.contributions.shape[0]
        if not 0 <= row < n:
            raise IndexError(f"row: expected 0 <= row < {n}, got {row}")
        contrib = explanation.contributions[row]
        out: list[Reason] = []
        for j in np.argsort(-np.abs(contrib), kind="stable").tolist():
            if len(out) >= top:
                break
            name = explanation.feature_names[j]
            value = as_value(float(explanation.values[row, j]))
            if not listed(name, value, float(contrib[j])):
                continue
            out.append(
                Reason(
                    feature=name,
                    value=value,
                    contribution=float(contrib[j]),
                    text=render(name, value, lang=lang),
                )
            )
        return out

    # ---- persistence ---------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the model to directory `path` (replaced atomically if it exists)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format_version": _FORMAT_VERSION,
            "family": self.family,
            "feature_names": self.feature_names_,
            "band_cuts": list(self.band_cuts_),
            "trained_until": self.trained_until_.isoformat(),
            "horizon_months": self.horizon_months_,
            "best_iteration": self.best_iteration_,
            "calibrator": self.calibrator_.to_dict(),
            "recalibration": None if self.recalibration_ is None else self.recalibration_.to_dict(),
            "metadata": self.metadata_,
        }
        with replacing_dir(path) as tmp:
            self.learner_.save(tmp)
            (tmp / _META_FILE).write_text(json.dumps(meta, indent=2, default=str), "utf-8")

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        """Read a model written by `save`; predictions are identical to the saved model's."""
        path = Path(path)
        meta_file = path / _META_FILE
        if not meta_file.is_file():
            raise ModelFileError(f"model directory {path}: expected file {_META_FILE}, not found")
        meta = json.loads(meta_file.read_text("utf-8"))
        if meta.get("format_version") != _FORMAT_VERSION:
            raise ModelFileError(
                f"model directory {path}: expected format_version {_FORMAT_VERSION}, "
                f"got {meta.get('format_version')!r}"
            )
        model = cls(band_cuts=meta["band_cuts"])
        try:  # models saved before there were families are boosters
            model.learner_ = load_learner(meta.get("family", "lightgbm"), path)
        except (FileNotFoundError, ValueError) as exc:
            raise ModelFileError(f"model directory {path}: {exc}") from None
        model.feature_names_ = list(meta["feature_names"])
        if list(model.learner_.feature_names) != model.feature_names_:
            raise ModelFileError(
                f"model directory {path}: learner and metadata feature lists differ"
            )
        model.band_cuts_ = validate_band_cuts(meta["band_cuts"])
        model.trained_until_ = dt.date.fromisoformat(meta["trained_until"])
        model.horizon_months_ = int(meta["horizon_months"])
        model.calibrator_ = Calibrator.from_dict(meta["calibrator"])
        recalibration = meta.get("recalibration")  # absent in models saved before it existed
        model.recalibration_ = (
            None if recalibration is None else GroupRecalibration.from_dict(recalibration)
        )
        model.metadata_ = dict(meta.get("metadata", {}))
        return model
