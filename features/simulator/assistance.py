"""A simulated council: measures decided from the records, delivered by agencies, acting on the
latent chain.

From `council_from` on, the council meets on the 15th of every month. It sees only what the
agencies recorded: the **recorded serious incidents** (the outcome rows: criminal offenses,
order violations, hospital-treated injuries, children taken into care) with an event date in the
six months before last (months t-7..t-2 for a meeting in month t; the longest recording lag is
30 days, so every one of them is known by the 15th). It never sees the latent state. Families
with at least one such record and no plan in the last `REVIEW_MONTHS` are eligible; each
district plans for up to `council_share` of its families a month (rounded at random), most
recorded incidents first, ties at random. Lesser police signals and screenings are drawn after
the chain from it, month by month, so the council reads the outcome rows, which the chain holds
as it runs; the demo's council (`experiments.demo.council`) reads the model's lists instead.

Each plan has one to three measures (a catalogue with the agency that delivers each and its
target person) with a due date. Agencies deliver most of them (`P_DELIVERED`, a share of them
late), decline some, cannot reach the family for some, and leave a few acknowledged but not yet
delivered. A **delivered** measure acts through the latent chain exactly as informal help does
(`dynamics.moves`: up-moves and shocks halved, a 0.3 extra chance of moving down), with
probability `MEASURE_HELP` in each of the `MEASURE_MONTHS` months from the month of delivery.
Declined, unreachable and undelivered measures do nothing. The sizes are plausible values, not
fitted (no public figure gives the effect of a council's referral); `docs/simulator.md` reports
what they do to the six-month risk of the helped families.

The council's plans are written as `assistance.parquet` (`features.contracts.ASSISTANCE_SCHEMA`);
they are the council's own records, never an agency record and never a feature.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from features.contracts import ASSISTANCE_SCHEMA
from features.simulator.dynamics import FamilyChains, _q_no_record
from features.simulator.population import Households

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

_EPOCH: Final = dt.date(1970, 1, 1)
#: Day of the month the council meets (0-based offset from the 1st).
MEETING_DAY: Final = 14
#: Months of recorded serious incidents the council reads (t-7..t-2 for a meeting in month t).
WINDOW_MONTHS: Final = 6
#: A family with a plan is not planned again for this many months.
REVIEW_MONTHS: Final = 6
#: Each delivered measure helps in this many months, from the month it was delivered ...
MEASURE_MONTHS: Final = 3
#: ... with this probability each month (the same help as informal help, `dynamics.moves`).
MEASURE_HELP: Final = 0.5
#: What happens to a measure: delivered, declined (with a reason), the family could not be
#: reached, or acknowledged and not delivered by the end of the simulation.
P_DELIVERED: Final = 0.78
P_DECLINED: Final = 0.10
P_UNREACHABLE: Final = 0.07
#: Share of the delivered measures that are delivered after their due date.
P_LATE: Final = 0.2
#: Mean delay (days) of a late delivery after the due date.
LATE_DAYS: Final = 20


@dataclass(frozen=True)
class MeasureKind:
    """One entry of the catalogue: measure code (`service.decisions.schemas.Measure`), the
    agency that delivers it, its target, the probability a plan includes it, and days to due."""

    measure: str
    agency: str
    target: str  # victim | child | aggressor | family
    p: float
    due_days: int


#: The council's catalogue (probabilities per plan; a plan with none gets the first).
CATALOGUE: Final = (
    MeasureKind("psychologist", "clinic", "victim", 0.55, 30),
    MeasureKind("social_patronage_visit", "social_services", "family", 0.55, 14),
    MeasureKind("psychologist", "school", "child", 0.25, 30),
    MeasureKind("correctional_programme", "correctional_programme", "aggressor", 0.30, 60),
    MeasureKind("crisis_centre", "crisis_centre", "victim", 0.12, 7),
    MeasureKind("guardianship_authority", "guardianship", "child", 0.12, 14),
    MeasureKind("employment_help", "social_services", "aggressor", 0.10, 45),
)
MAX_MEASURES: Final = 3


def _first_child_row(h: Households) -> I64:
    first = np.full(len(h.district), -1, dtype=np.int64)
    families, at = np.unique(h.child_family, return_index=True)
    first[families] = h.child_row[at]
    return first


@dataclass
class Council:
    """The council's state while the chain runs (one instance per simulation)."""

    h: Households
    month_start: I64  # day numbers of the first days of the months (months + 1 entries)
    share: float
    first_month: int  # index of the first month the council meets
    rng: np.random.Generator
    active: npt.NDArray[np.int16] = field(init=False)  # (months, families) delivered measures
    last_plan: I64 = field(init=False)
    rows: dict[str, list[I64]] = field(init=False)

    def __post_init__(self) -> None:
        months, n = len(self.month_start) - 1, len(self.h.district)
        self.active = np.zeros((months, n), dtype=np.int16)
        self.last_plan = np.full(n, -(10**6), dtype=np.int64)
        self.rows = {k: [] for k in ("family", "kind", "person", "decided", "due", "status",
                                     "delivered")}  # fmt: skip
        self._child = _first_child_row(self.h)
        self._district_size = np.bincount(self.h.district)

    def help(self, t: int, n_recorded: npt.NDArray[np.int16]) -> B:
        """Meet in month `t` (when due) reading the outcome rows of the months before, then
        draw which families the delivered measures help this month. `n_recorded` holds the
        recorded serious incidents of months 0..t-1, shape (t, families)."""
        if self.share > 0 and t >= self.first_month:
            self._meet(t, n_recorded)
        k = self.active[t].astype(np.int64)
        out = np.zeros(len(k), dtype=bool)
        idx = np.flatnonzero(k)
        p = 1.0 - (1.0 - MEASURE_HELP) ** k[idx]
        out[idx] = self.rng.random(len(idx)) < p
        return out

    def _meet(self, t: int, n_recorded: npt.NDArray[np.int16]) -> None:
        lo, hi = max(0, t - 1 - WINDOW_MONTHS), t - 1  # months t-7 .. t-2
        if hi <= lo:
            return
        count = n_recorded[lo:hi].sum(axis=0, dtype=np.int64)
        eligible = np.flatnonzero((count > 0) & (self.last_plan <= t - REVIEW_MONTHS - 1))
        # Capacity per district, rounded at random so small districts get their share too.
        want = self.share * self._district_size
        cap = np.floor(want + self.rng.random(len(want))).astype(np.int64)
        if len(eligible) == 0:
            return
        district = self.h.district[eligible]
        order = np.lexsort((self.rng.random(len(eligible)), -count[eligible], district))
        fam, dist = eligible[order], district[order]
        first = np.searchsorted(dist, dist, side="left")
        chosen = fam[(np.arange(len(fam)) - first) < cap[dist]]
        if len(chosen):
            self.last_plan[chosen] = t
            self._plan(t, chosen)

    def _plan(self, t: int, families: I64) -> None:
        rng, h = self.rng, self.h
        n = len(families)
        decided = np.full(n, int(self.month_start[t]) + MEETING_DAY, dtype=np.int64)
        target_row = {
            "victim": h.woman_row[families],
            "aggressor": np.where(h.man_row[families] >= 0, h.man_row[families], -1),
            "child": self._child[families],
            "family": np.full(n, -1, dtype=np.int64),
        }
        offered = np.zeros((n, len(CATALOGUE)), dtype=bool)
        for j, kind in enumerate(CATALOGUE):
            possible = (target_row[kind.target] >= 0) | (kind.target == "family")
            offered[:, j] = possible & (rng.random(n) < kind.p)
        # At most MAX_MEASURES (the first ones of the catalogue), at least one.
        offered &= np.cumsum(offered, axis=1) <= MAX_MEASURES
        none = ~offered.any(axis=1)
        offered[none, 1] = True  # a social patronage visit: every family can have one
        fi, kj = np.nonzero(offered)
        fam = families[fi]
        person = np.array([target_row[CATALOGUE[j].target][i] for i, j in zip(fi, kj, strict=True)],
                          dtype=np.int64)  # fmt: skip
        due = decided[fi] + np.array([CATALOGUE[j].due_days for j in kj], dtype=np.int64)
        u = rng.random(len(fam))
        status = np.select(
            [u < P_DELIVERED, u < P_DELIVERED + P_DECLINED,
             u < P_DELIVERED + P_DECLINED + P_UNREACHABLE],
            [0, 1, 2], 3,
        )  # fmt: skip
        late = rng.random(len(fam)) < P_LATE
        on_time_day = (
            decided[fi] + 1 + (rng.random(len(fam)) * (due - decided[fi])).astype(np.int64)
        )
        late_day = due + 1 + rng.geometric(1.0 / LATE_DAYS, len(fam))
        delivered = np.where(status == 0, np.where(late, late_day, on_time_day), -1)
        end = int(self.month_start[-1])
        not_yet = (status == 0) & (delivered >= end)
        status = np.where(not_yet, 3, status)
        delivered = np.where(not_yet, -1, delivered)
        month = np.searchsorted(self.month_start, delivered, side="right") - 1
        months = len(self.month_start) - 1
        for d in range(MEASURE_MONTHS):
            ok = (delivered >= 0) & (month + d < months)
            np.add.at(self.active, (month[ok] + d, fam[ok]), 1)
        for key, values in (("family", fam), ("kind", kj), ("person", person),
                            ("decided", decided[fi]), ("due", due), ("status", status),
                            ("delivered", delivered)):  # fmt: skip
            self.rows[key].append(np.asarray(values, dtype=np.int64))

    def table(self) -> pl.DataFrame:
        """The plans as `assistance.parquet` rows (one per measure), in decision order."""
        if not self.rows["family"]:
            return pl.DataFrame(schema=ASSISTANCE_SCHEMA)
        cols = {k: np.concatenate(v) for k, v in self.rows.items()}
        kinds = cols["kind"]
        status_names = np.array(["delivered", "declined", "unreachable", "acknowledged"])
        person = cols["person"]
        frame = pl.DataFrame(
            {
                "family_id": self.h.family_id.gather(cols["family"]),
                "person_id": self.h.persons["person_id"].gather(np.maximum(person, 0)),
                "_has_person": person >= 0,
                "measure": np.array([k.measure for k in CATALOGUE])[kinds],
                "agency": np.array([k.agency for k in CATALOGUE])[kinds],
                "target": np.array([k.target for k in CATALOGUE])[kinds],
                "decided_on": _dates(cols["decided"]),
                "due_on": _dates(cols["due"]),
                "status": status_names[cols["status"]],
                "_delivered": cols["delivered"],
            }
        )
        return (
            frame.with_columns(
                person_id=pl.when("_has_person").then("person_id"),
                delivered_on=pl.when(pl.col("_delivered") >= 0).then(
                    pl.col("_delivered").clip(0).cast(pl.Int32).cast(pl.Date)
                ),
            )
            .select(list(ASSISTANCE_SCHEMA))
            .cast(ASSISTANCE_SCHEMA)  # type: ignore[arg-type]
        )


def _dates(days: I64) -> pl.Series:
    return pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date)


def council_month_index(start: dt.date, council_from: dt.date) -> int:
    """Index of the month `council_from` in a simulation starting at `start`."""
    return (council_from.year - start.year) * 12 + council_from.month - start.month


def p_recorded_within_helped(
    chains: FamilyChains, *, measures: int = 1, months: int = 6
) -> tuple[F64, F64]:
    """Exact P(at least one recorded serious incident in `months` months | state at the start),
    without and with `measures` measures delivered in the first month, shape (families,
    states) each: the effect size of a delivered measure, by the oracle's backward recursion
    (`dynamics.p_recorded_within`) with the help probability of the first `MEASURE_MONTHS`
    months raised to 1 - (1 - informal help) * (1 - MEASURE_HELP) ** measures."""
    boost = 1.0 - (1.0 - chains.help) * (1.0 - MEASURE_HELP) ** measures
    helped = replace(chains, help=boost)
    rows = slice(0, chains.rate.shape[0])
    p_r0, q_plain = _q_no_record(chains, rows)
    _, q_helped = _q_no_record(helped, rows)
    v_plain = np.ones_like(p_r0)
    v_helped = np.ones_like(p_r0)
    for step in reversed(range(months)):
        v_plain = p_r0 * np.einsum("fst,ft->fs", q_plain, v_plain)
        q = q_helped if step < MEASURE_MONTHS else q_plain
        v_helped = p_r0 * np.einsum("fst,ft->fs", q, v_helped)
    return 1.0 - v_plain, 1.0 - v_helped
