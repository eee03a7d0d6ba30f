"""Clinic screenings and school surveys: noisy instrument answers driven by the latent state.

Answers are functions of the family's state that month, blurred three ways: respondents who
do not disclose (they answer as if all were calm), item noise, and a few false positives (a
bad day, a misread question). Clinics screen adult women of child-bearing age (15-49) at
visits; schools survey children aged 7-17 in October and March, with coverage per district.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from features.simulator.dynamics import N_STATES, Paths
from features.simulator.police import FORMS, Rows, form_masks
from features.simulator.population import Households

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

#: Monthly probability that a woman of 15-49 visits a clinic and is screened (rural, urban).
VISIT_RATE: Final = (0.040, 0.050)
DISCLOSE_CLINIC: Final = 0.6  # share of women in a violent home who answer truthfully
DISCLOSE_SCHOOL: Final = 0.7
SURVEY_MONTHS: Final = (3, 10)
SCHOOL_AGES: Final = (7, 17)
#: Forms disclosed at a clinic when the screening is positive.
CLINIC_FORM_P: Final = np.array([0.60, 0.90, 0.10, 0.30, 0.05])


def _sigmoid(x: F64) -> F64:
    return 1.0 / (1.0 + np.exp(-x))


def _item(rng: np.random.Generator, level: F64, lo: int, hi: int) -> I64:
    return np.clip(np.rint(level + rng.normal(0, 0.6, level.shape)), lo, hi).astype(np.int64)


def _severity(rng: np.random.Generator, state: I64, disclose: float) -> F64:
    """Latent severity in [0, ~1] as the respondent conveys it."""
    true = state / (N_STATES - 1) + rng.normal(0, 0.15, state.shape)
    hidden = np.abs(rng.normal(0, 0.1, state.shape))
    return np.where(rng.random(state.shape) < disclose, true, hidden)


def clinic_screenings(
    h: Households,
    paths: Paths,
    month_start: I64,
    years: I64,
    hospital_family: I64,
    hospital_day: I64,
    rng: np.random.Generator,
) -> dict[str, npt.NDArray[np.generic]]:
    """Screenings at routine visits and after hospital-treated injuries (dates in days)."""
    rows = Rows.new()
    has_woman = h.woman_row >= 0
    visit_rate = np.where(h.urban, VISIT_RATE[1], VISIT_RATE[0])
    month_of_day = np.searchsorted(month_start, hospital_day, side="right") - 1
    for t in range(len(month_start) - 1):
        m0, m1 = int(month_start[t]), int(month_start[t + 1])
        age = years[t] - h.woman_birth_year
        state = paths.state[t].astype(np.int64)
        p = visit_rate * (1.0 + 0.6 * (state >= 3))  # injuries bring women to clinics
        routine = np.flatnonzero(has_woman & (age >= 15) & (age <= 49) & (rng.random(len(p)) < p))
        day = m0 + (rng.random(len(routine)) * (m1 - m0)).astype(np.int64)
        # About half of hospital-treated injuries come with a screening on the same day.
        hosp = (
            (month_of_day == t) & has_woman[hospital_family] & (rng.random(len(hospital_day)) < 0.5)
        )
        fi = np.concatenate([routine, hospital_family[hosp]])
        day = np.concatenate([day, hospital_day[hosp]])
        injured = np.concatenate([np.zeros(len(routine), bool), np.ones(int(hosp.sum()), bool)])
        s = state[fi]
        incident = (paths.n_unrecorded[t, fi] + paths.n_recorded[t, fi]) > 0
        sev = _severity(rng, s, DISCLOSE_CLINIC)
        false_pos = rng.random(len(fi)) < 0.03
        sev = np.where(false_pos, np.maximum(sev, rng.uniform(0.5, 0.9, len(fi))), sev)
        tension = sev * 2.5 + rng.normal(0, 0.5, len(fi))
        arguments = sev * 2.3 + rng.normal(0, 0.6, len(fi))
        hits = [_item(rng, 1 + w * 4 * sev, 1, 5) for w in (0.85, 1.05, 0.95, 1.15)]
        positive = sum(hits) > 10
        disclose_forms = positive | (injured & (rng.random(len(fi)) < 0.5))
        forms = np.where(disclose_forms, form_masks(rng, np.tile(CLINIC_FORM_P, (len(fi), 1))), 0)
        age_f = age[fi]
        rows.add(
            family=fi, event=day, knowledge=day + rng.integers(0, 15, len(fi)),
            hits_hurt=hits[0], hits_insult=hits[1], hits_threaten=hits[2], hits_scream=hits[3],
            wast_tension=np.digitize(tension, [0.8, 1.8]),
            wast_arguments=np.digitize(arguments, [0.8, 1.8]),
            injury_inconsistent=np.where(
                injured, rng.random(len(fi)) < 0.7,
                rng.random(len(fi)) < 0.01 + 0.25 * (incident & (s >= 2)),
            ),
            pregnant=(age_f <= 42) & (rng.random(len(fi)) < 0.12),
            phq2=np.clip(np.rint(0.5 + 2.8 * sev + rng.normal(0, 1.0, len(fi))), 0, 6),
            alcohol_concern=rng.random(len(fi)) < np.where(h.alcohol[fi], 0.5, 0.04),
            forms=forms,
        )  # fmt: skip
    cols = rows.arrays()
    cols["person_row"] = h.woman_row[cols["family"]]
    assert len(FORMS) == 5
    return cols


def school_surveys(
    h: Households,
    paths: Paths,
    month_start: I64,
    months: I64,
    years: I64,
    coverage: F64,
    rng: np.random.Generator,
) -> dict[str, npt.NDArray[np.generic]]:
    """Term surveys of school-age children; `coverage` is per family (district x urban/rural)."""
    rows = Rows.new()
    cf = h.child_family
    n_schools = int(h.school.max()) + 1 if len(h.school) else 1
    low_income = h.income == 0
    for t in range(len(month_start) - 1):
        if months[t] not in SURVEY_MONTHS:
            continue
        m0, m1 = int(month_start[t]), int(month_start[t + 1])
        age = years[t] - h.child_birth_year
        eligible = (age >= SCHOOL_AGES[0]) & (age <= SCHOOL_AGES[1])
        pick = np.flatnonzero(eligible & (rng.random(len(cf)) < coverage[cf]))
        fi = cf[pick]
        s = paths.state[t, fi].astype(np.int64)
        incident = (paths.n_unrecorded[t, fi] + paths.n_recorded[t, fi]) > 0
        sev = _severity(rng, s, DISCLOSE_SCHOOL)
        sn = s / (N_STATES - 1)  # what a teacher sees does not depend on disclosure
        k = len(fi)
        day = m0 + rng.integers(0, min(20, m1 - m0), k)
        # Schools upload a term's surveys in one batch, up to a month after the survey month.
        upload = m1 + rng.integers(0, 31, (h.district.max() + 1, n_schools))
        rows.add(
            family=fi, child=pick, event=day,
            knowledge=np.maximum(day, upload[h.district[fi], h.school[fi]]),
            feels_safe=np.clip(np.rint(4.7 - 3.2 * sev + rng.normal(0, 0.7, k)), 1, 5),
            afraid_of_adult=rng.random(k) < _sigmoid(-3.2 + 5.0 * sev),
            seen_violence=rng.random(k) < _sigmoid(-3.0 + 4.5 * sev + 0.8 * incident),
            hurt_by_adult=rng.random(k) < _sigmoid(-4.2 + 4.5 * sev),
            hunger_neglect=rng.random(k) < _sigmoid(-3.8 + 1.5 * sev + 0.9 * low_income[fi]),
            wants_counsellor=rng.random(k) < _sigmoid(-3.0 + 2.5 * sev),
            unexplained_injury=rng.random(k) < _sigmoid(-5.0 + 3.5 * sn + 0.8 * incident),
            behaviour_change=rng.random(k) < _sigmoid(-3.5 + 3.0 * sn),
            days_absent=np.minimum(rng.poisson(1.2 + 3.0 * sn), 31),
        )  # fmt: skip
    if not rows.cols:
        return {}
    cols = rows.arrays()
    cols["person_row"] = h.child_row[cols["child"]]
    return cols
