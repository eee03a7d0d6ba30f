"""Police signals and recorded serious incidents (outcomes), month by month over all families.

Police learn of violence only when someone reports it. Lesser incidents are reported with a
small probability (the 1999 survey: 8% of women who suffered violence went to the police),
shaped by regional norms and by the bias knob `police_multiplier` (surveillance bias: the same
true incidents, more or fewer of them recorded). Calls without violence (false positives) scale
with the same multiplier. Recorded serious incidents come from the latent chain (they are the
label); criminal offenses and order violations among them also appear as police signals of the
same event. Protective orders last 30 days; few are extended (Kyrgyzstan: 64 of 7,114).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from features.contracts import Form, OutcomeKind, PoliceKind
from features.simulator.dynamics import Paths, reporting_factor
from features.simulator.population import Households

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

POLICE_KINDS: Final = tuple(PoliceKind)
OUTCOME_KINDS: Final = tuple(OutcomeKind)
FORMS: Final = tuple(Form)
_K = {k: i for i, k in enumerate(POLICE_KINDS)}
_O = {k: i for i, k in enumerate(OUTCOME_KINDS)}

#: Probability that a lesser (non-recorded-serious) incident reaches the police.
BASE_REPORTING: Final = 0.06
#: Monthly rate of calls without violence (disputes, noise), per family.
FALSE_CALL_RATE: Final = 0.002
ORDER_DAYS: Final = 30
#: Probability that a signal of each kind leads to a protective order.
ORDER_AFTER: Final = {
    PoliceKind.domestic_call: 0.10,
    PoliceKind.administrative_offense: 0.25,
    PoliceKind.alcohol_incident: 0.05,
    PoliceKind.weapon_present: 0.40,
    PoliceKind.criminal_offense: 0.50,
    PoliceKind.order_violation: 0.50,
}
COURT_AFTER_SERIOUS: Final = 0.06
REGISTRATION_AFTER_SERIOUS: Final = 0.35
EXTENSION: Final = 0.03  # at expiry, while the family is still escalating or worse
#: Outcome kinds of a recorded serious incident: hospital, guardianship, else criminal.
P_HOSPITAL: Final = 0.30
P_GUARDIANSHIP: Final = 0.06
#: Probability of each form (physical, psychological, sexual, economic, spiritual) by source.
FORM_P: Final = {
    "serious": np.array([0.95, 0.70, 0.06, 0.15, 0.03]),
    "lesser": np.array([0.35, 0.85, 0.03, 0.20, 0.03]),
    "none": np.zeros(5),
}


@dataclass
class Rows:
    """Column arrays gathered month by month, concatenated once at the end."""

    cols: defaultdict[str, list[npt.NDArray[np.generic]]]

    @classmethod
    def new(cls) -> Rows:
        return cls(defaultdict(list))

    def add(self, **cols: npt.ArrayLike) -> None:
        for k, v in cols.items():
            self.cols[k].append(np.asarray(v))

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        return {k: np.concatenate(v) for k, v in self.cols.items()}


def form_masks(rng: np.random.Generator, p: F64) -> I64:
    """Bit masks of forms (bit i = FORMS[i]) drawn independently with probabilities `p` (n, 5)."""
    hit = rng.random(p.shape) < p
    out: I64 = (hit * (1 << np.arange(len(FORMS)))).sum(axis=1).astype(np.int64)
    return out


def _delay(rng: np.random.Generator, n: int, p: float, cap: int) -> I64:
    out: I64 = np.minimum(rng.geometric(p, n) - 1, cap).astype(np.int64)
    return out


def police_and_outcomes(
    h: Households,
    paths: Paths,
    month_start: I64,
    multiplier: F64,
    rng: np.random.Generator,
) -> tuple[dict[str, npt.NDArray[np.generic]], dict[str, npt.NDArray[np.generic]]]:
    """Police signal and outcome columns; dates are days since 1970-01-01.

    Police columns: family, person_row, kind, forms (mask), event, knowledge, valid_until (-1 =
    none). Outcome columns: family, kind, event, knowledge.
    """
    n = len(h.district)
    fam = np.arange(n)
    p_report = np.clip(BASE_REPORTING * reporting_factor(h) * multiplier, 0.0, 0.95)
    subject = np.where(h.man_row >= 0, h.man_row, h.woman_row)  # the alleged aggressor
    active_until = np.full(n, -1, dtype=np.int64)
    registered = np.zeros(n, dtype=bool)
    order_p = np.zeros(len(POLICE_KINDS))
    for order_kind, p in ORDER_AFTER.items():
        order_p[_K[order_kind]] = p
    police, outcomes = Rows.new(), Rows.new()

    def emit(fi: I64, kind: I64, event: I64, forms: I64, knowledge: I64, until: I64) -> None:
        police.add(family=fi, kind=kind, event=event, forms=forms, knowledge=knowledge,
                   valid_until=until)  # fmt: skip

    def issue_orders(fi: I64, kind: I64, day: I64) -> I64:
        """Protective orders after signals; returns each order's valid_until per row (-1 none)."""
        issue = rng.random(len(fi)) < order_p[kind]
        of = fi[issue]
        odate = day[issue] + rng.integers(0, 2, len(of))
        until = odate + ORDER_DAYS
        emit(of, np.full(len(of), _K[PoliceKind.protective_order]), odate,
             form_masks(rng, np.tile(FORM_P["lesser"], (len(of), 1))), odate, until)  # fmt: skip
        np.maximum.at(active_until, of, until)
        return of

    for t in range(len(month_start) - 1):
        m0, m1 = int(month_start[t]), int(month_start[t + 1])
        state = paths.state[t].astype(np.int64)
        # Extensions of orders expiring this month: rare, and only while danger persists.
        expiring = (active_until >= m0) & (active_until < m1) & (state >= 2)
        ext = fam[expiring & (rng.random(n) < EXTENSION)]
        court = rng.random(len(ext)) < 0.5
        ext_day = active_until[ext]
        ext_until = np.where(
            court, ext_day + rng.integers(180, 366, len(ext)), ext_day + ORDER_DAYS
        )
        ext_kind = np.where(
            court, _K[PoliceKind.court_requirements], _K[PoliceKind.protective_order]
        )
        emit(ext, ext_kind, ext_day, form_masks(rng, np.tile(FORM_P["lesser"], (len(ext), 1))),
             ext_day, ext_until)  # fmt: skip
        active_before = active_until.copy()
        np.maximum.at(active_until, ext, ext_until)

        # Lesser incidents that someone reported, plus calls without violence.
        k = rng.binomial(paths.n_unrecorded[t], p_report) + rng.poisson(
            FALSE_CALL_RATE * multiplier
        )
        fi = np.repeat(fam, k)
        day = m0 + (rng.random(len(fi)) * (m1 - m0)).astype(np.int64)
        weapon = 0.01 + 0.04 * (state[fi] >= 3)
        alcohol = np.where(h.alcohol[fi], 0.22, 0.03)
        u = rng.random(len(fi))
        kind = np.select(
            [u < weapon, u < weapon + alcohol, u < weapon + alcohol + 0.22],
            [_K[PoliceKind.weapon_present], _K[PoliceKind.alcohol_incident],
             _K[PoliceKind.administrative_offense]],
            _K[PoliceKind.domestic_call],
        )  # fmt: skip
        emit(fi, kind, day, form_masks(rng, np.tile(FORM_P["lesser"], (len(fi), 1))),
             day + _delay(rng, len(fi), 0.6, 10), np.full(len(fi), -1))  # fmt: skip
        before_orders = active_until.copy()
        issue_orders(fi, kind, day)
        new_order_start = np.where(active_until > before_orders, m0, -1)  # coarse: this month

        # Recorded serious incidents (the label) and their police signals.
        oi = np.repeat(fam, paths.n_recorded[t])
        oday = m0 + (rng.random(len(oi)) * (m1 - m0)).astype(np.int64)
        u = rng.random(len(oi))
        okind = np.where(
            u < P_HOSPITAL, _O[OutcomeKind.hospital_injury], _O[OutcomeKind.criminal_offense]
        )
        care = (u >= P_HOSPITAL) & (u < P_HOSPITAL + P_GUARDIANSHIP) & (h.n_children[oi] > 0)
        okind = np.where(care, _O[OutcomeKind.guardianship_care], okind)
        active = (active_before[oi] >= oday) | (
            (new_order_start[oi] >= 0) & (active_until[oi] >= oday) & (oday > m0 + 1)
        )
        okind = np.where((okind == _O[OutcomeKind.criminal_offense]) & active,
                         _O[OutcomeKind.order_violation], okind)  # fmt: skip
        lag = np.select(
            [okind == _O[OutcomeKind.hospital_injury], okind == _O[OutcomeKind.guardianship_care]],
            [rng.integers(0, 8, len(oi)), rng.integers(0, 31, len(oi))],
            _delay(rng, len(oi), 0.6, 10),
        )  # fmt: skip
        outcomes.add(family=oi, kind=okind, event=oday, knowledge=oday + lag)
        pol = (okind == _O[OutcomeKind.criminal_offense]) | (
            okind == _O[OutcomeKind.order_violation]
        )
        pf, pday = oi[pol], oday[pol]
        violation = okind[pol] == _O[OutcomeKind.order_violation]
        pkind = np.where(violation, _K[PoliceKind.order_violation], _K[PoliceKind.criminal_offense])
        emit(pf, pkind, pday, form_masks(rng, np.tile(FORM_P["serious"], (len(pf), 1))),
             pday + lag[pol], np.full(len(pf), -1))  # fmt: skip
        issue_orders(pf, pkind, pday)
        to_court = rng.random(len(pf)) < COURT_AFTER_SERIOUS
        court_f = pf[to_court]
        cday = pday[to_court] + rng.integers(7, 31, len(court_f))  # a court sits later
        cuntil = cday + rng.integers(180, 366, len(court_f))
        emit(
            court_f,
            np.full(len(court_f), _K[PoliceKind.court_requirements]),
            cday,
            form_masks(rng, np.tile(FORM_P["serious"], (len(court_f), 1))),
            cday + 3,
            cuntil,
        )
        np.maximum.at(active_until, court_f, cuntil)
        reg = np.unique(pf[rng.random(len(pf)) < REGISTRATION_AFTER_SERIOUS])
        reg = reg[~registered[reg]]
        registered[reg] = True
        rday = m0 + rng.integers(0, m1 - m0, len(reg))
        emit(reg, np.full(len(reg), _K[PoliceKind.preventive_registration]), rday,
             np.zeros(len(reg), dtype=np.int64), rday + rng.integers(0, 15, len(reg)),
             np.full(len(reg), -1))  # fmt: skip

    pol_cols = police.arrays()
    pol_cols["person_row"] = subject[pol_cols["family"]]
    return pol_cols, outcomes.arrays()
