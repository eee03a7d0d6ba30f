"""The direction each feature may move the score in: LightGBM's monotone constraints.

A council will not accept "4 criminal offenses in the family lowers the score". Where the
direction is not in doubt, the booster is constrained so that raising the feature's value (all
else equal) never lowers the raw score: +1 for "more is never safer", -1 for "more is never
riskier". Every other feature is free (0), and so is any feature this table does not name: a
feature added to the registry is unconstrained until someone decides its direction here.

Constrained (+1), all counts over every window: police signals of every kind (domestic calls,
administrative and criminal offenses, protective orders, violations, court requirements,
preventive registrations, alcohol incidents, incidents with a weapon) and of all kinds together,
positive clinic screenings, worrying school surveys, recorded serious incidents, records naming
a form of violence, agencies that signalled, violations while a protection was in force and
protections that expired while signals continued. A count is never missing (0 is "none").

Free, and why:
- instrument scores and shares (HITS, WAST, PHQ-2, worrying items, "feels safe", the shares of
  positive screenings and worrying surveys): their direction is not in doubt, but they are
  missing for families never screened or surveyed, and LightGBM routes a missing value by a
  learned default that the constraint does not order against the values. Constrained, they
  still read against their direction (nearly all such reasons on three 20,000-family
  populations came from them) and cost 0.4 to 1.4 points of AUC (docs/model.md, Booster);
- days since the last signal: recency reads two ways once the window counts are in the model (a
  long-quiet family with many old offenses is not a quiet family), and "none on record" is a
  missing value that LightGBM routes by a learned default, outside any constraint;
- counts of school surveys and clinic screenings: contact with an agency, not a signal (routine
  screening of everyone and screening prompted by a concern look the same);
- changes between assessments (`*_trend`): a fall after an intervention and a fall in a family
  that stopped disclosing look the same;
- a protection in force and days to its expiry: a protection marks past violence and also
  protects;
- household make-up, survey coverage and "never surveyed / screened": no agreed direction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

from features.contracts import PoliceKind
from features.registry import WINDOWS

Direction = Literal[-1, 0, 1]

#: LightGBM's `monotone_constraints_method`. "basic" bounds every leaf under the left child of a
#: split on a constrained feature by every leaf under its right child (the mid-point between the
#: two becomes a bound for each whole subtree). "intermediate" and "advanced" only keep the
#: prediction monotone and so fit a little better, but a TreeSHAP contribution averages over
#: branches the family does not take, and only "basic" makes that average move with the value
#: too: a family with more offenses never gets a smaller offense contribution (tested).
MONOTONE_METHOD: Final = "basic"

#: Count stems (one feature per window in `WINDOWS`) whose every increase means more risk.
_RISING_COUNTS: Final = (
    *(f"police_{kind}" for kind in PoliceKind),
    "police_signals",
    "school_concerns",
    "clinic_positive",
    "serious_incidents",
)
_FORMS: Final = ("physical", "psychological", "sexual", "economic", "spiritual")


def _table() -> dict[str, Direction]:
    table: dict[str, Direction] = {}
    for stem in _RISING_COUNTS:
        for window in WINDOWS:
            table[f"{stem}_{window}"] = 1
    for form in _FORMS:
        for window in ("12m", "all"):
            table[f"form_{form}_{window}"] = 1
    for name in (
        "agencies_signalled_3m",
        "agencies_signalled_12m",
        "protection_violations_while_active",
        "protection_expired_unextended",
    ):
        table[name] = 1
    return table


#: Feature name -> direction (+1 increasing, -1 decreasing). Names not here are free.
MONOTONE: Final[Mapping[str, Direction]] = _table()


def direction(feature: str) -> Direction:
    """The constrained direction of `feature`: +1, -1, or 0 when it is free or unknown."""
    return MONOTONE.get(feature, 0)


def constraint_vector(feature_names: Sequence[str]) -> list[int]:
    """LightGBM's `monotone_constraints`, one entry per feature in `feature_names`' order."""
    return [int(direction(name)) for name in feature_names]


def against_direction(feature: str, contribution: float) -> bool:
    """True when a contribution points against the feature's constrained direction.

    With the constraints this happens only for values below what the model treats as usual
    (e.g. no offense at all, where the average family has some): the value lowers the score
    relative to the average family, never because more of it would.
    """
    sign = direction(feature)
    return sign != 0 and sign * contribution < 0.0
