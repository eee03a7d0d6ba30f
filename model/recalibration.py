"""Recalibration within the groups of one protected attribute: a deployment's explicit choice.

A model blind to a protected attribute can understate the risk of one group (docs/fairness.md:
on the simulator, low-income families' risk rises through stress the records show only in
part). Recalibration within groups corrects that at scoring time: each group's calibrated
probability is shifted in log-odds until the group's mean probability equals its observed rate
on the model's calibration months. The shift keeps the order inside each group and changes how
the groups interleave on the list.

It uses the attribute at scoring time, which is a legal and policy decision: it is **off by
default**, switched on only by `patronage train --recalibrate-within ATTRIBUTE`, stated in the
model card, tagged in the registry, and shown beside every score it moved. The attribute is
still never a model feature (guardrail 2): the learner and its explanation do not see it.

A group with too few families or outcomes to fit a shift (`MIN_ROWS`, `MIN_POSITIVES`), a
family whose group is missing, and a group the calibration months did not have are not
shifted (shift 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import polars as pl

from features.contracts import PROTECTED_ATTRIBUTES

#: Fewest calibration rows and recorded outcomes a group needs to be given a shift.
MIN_ROWS: Final = 200
MIN_POSITIVES: Final = 20
#: Shifts are searched in [-_MAX_SHIFT, _MAX_SHIFT] log-odds.
_MAX_SHIFT: Final = 5.0
_EPS: Final = 1e-9


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds, kept finite (an isotonic calibration gives 0 and 1 exactly)."""
    q = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def _expit(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def shifted(probability: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """`probability` moved by `shift` in log-odds (exactly unchanged where the shift is 0)."""
    p, s = np.asarray(probability, dtype=np.float64), np.asarray(shift, dtype=np.float64)
    if s.shape != p.shape:
        raise ValueError(f"shift: expected one per probability ({len(p)}), got {len(s)}")
    return np.where(s == 0.0, p, _expit(logit(p) + s))


def groups_of(
    family_id: Sequence[str], families: pl.DataFrame | None, *, attribute: str
) -> list[str | None]:
    """Each family's group of `attribute` (as a string), read from `families` (the registry:
    family_id and the protected attributes); None for a family it does not have."""
    if families is None or attribute not in families.columns:
        raise ValueError(
            f"families: this model is recalibrated within {attribute} (model card); "
            f"expected the families' {attribute} to score, got none"
        )
    table = dict(
        zip(
            families["family_id"].cast(pl.String).to_list(),
            families[attribute].cast(pl.String).to_list(),
            strict=True,
        )
    )
    return [table.get(fid) for fid in family_id]


def check_attribute(attribute: str) -> str:
    """`attribute` if it is a protected attribute, else a ValueError naming the choices."""
    if attribute not in PROTECTED_ATTRIBUTES:
        raise ValueError(
            f"recalibrate_within: expected one of {', '.join(PROTECTED_ATTRIBUTES)}, "
            f"got {attribute!r}"
        )
    return attribute


@dataclass(frozen=True)
class GroupFit:
    """One group's shift and the calibration data behind it."""

    shift: float  # log-odds added to the calibrated probability (0: not shifted)
    rows: int
    positives: int
    mean_before: float  # mean calibrated probability before the shift
    observed: float  # observed rate on the calibration months
    fitted: bool  # False: too few rows or outcomes, not shifted


@dataclass(frozen=True)
class GroupRecalibration:
    """Log-odds shifts per group of `attribute`, fitted on the model's calibration months."""

    attribute: str
    groups: dict[str, GroupFit]

    def shifts(self, groups: Sequence[str | None]) -> np.ndarray:
        """The shift of each family, by its group (0 for a missing or unknown group)."""
        table = {g: fit.shift for g, fit in self.groups.items()}
        return np.array([table.get(g, 0.0) if g is not None else 0.0 for g in groups])

    def apply(self, probability: np.ndarray, groups: Sequence[str | None]) -> np.ndarray:
        """The probabilities shifted by each family's group shift."""
        p = np.asarray(probability, dtype=np.float64)
        if len(groups) != len(p):
            raise ValueError(
                f"{self.attribute}: expected one group per family ({len(p)}), got {len(groups)}"
            )
        return shifted(p, self.shifts(groups))

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "groups": {g: vars(fit) for g, fit in sorted(self.groups.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroupRecalibration:
        return cls(
            attribute=check_attribute(data["attribute"]),
            groups={g: GroupFit(**fit) for g, fit in data["groups"].items()},
        )


def fit_group_recalibration(
    probability: np.ndarray,
    label: np.ndarray,
    groups: Sequence[str | None],
    *,
    attribute: str,
) -> GroupRecalibration:
    """Per group of `attribute`, the log-odds shift that makes the group's mean probability
    equal its observed rate on these (calibration) rows; found by bisection, since the mean
    probability rises with the shift."""
    check_attribute(attribute)
    p = np.asarray(probability, dtype=np.float64)
    y = np.asarray(label, dtype=np.float64)
    if not len(p) == len(y) == len(groups):
        raise ValueError(
            f"probability, label and {attribute}: expected equal lengths, "
            f"got {len(p)}, {len(y)} and {len(groups)}"
        )
    names = np.array(["" if g is None else str(g) for g in groups])
    z = logit(p)
    out: dict[str, GroupFit] = {}
    for group in sorted(set(g for g in groups if g is not None)):
        mask = names == str(group)
        rows, positives = int(mask.sum()), int(y[mask].sum())
        observed, before = float(y[mask].mean()), float(p[mask].mean())
        fitted = rows >= MIN_ROWS and MIN_POSITIVES <= positives < rows
        shift = 0.0
        if fitted:
            low, high = -_MAX_SHIFT, _MAX_SHIFT
            for _ in range(60):
                mid = (low + high) / 2
                if _expit(z[mask] + mid).mean() < observed:
                    low = mid
                else:
                    high = mid
            shift = (low + high) / 2
        out[str(group)] = GroupFit(shift, rows, positives, before, observed, fitted)
    return GroupRecalibration(attribute=attribute, groups=out)
