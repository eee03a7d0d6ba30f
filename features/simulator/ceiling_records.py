"""What the records ceiling reads: each family's static inputs and its records by month.

`features.simulator.ceiling` filters; this module turns the event tables into what the filter
weighs: each family's recording and reporting probabilities (regional norms, urban/rural, the
config's bias multipliers), the adult woman's birth year, the counts of outcome rows and lesser
police signals per month, and the answer likelihoods of screenings and surveys, restricted to
what is known before a cut-off. Every constant mirrors the simulator's modules; the tests check
them against the simulator's own draws.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from features.contracts import Events, OutcomeKind, PoliceKind
from features.simulator import dynamics as dyn
from features.simulator import police as pol
from features.simulator.answers import clinic_answers, school_answers
from features.simulator.geography import REGIONS
from features.simulator.population import INCOME_GROUPS
from features.simulator.world import SimulationConfig

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

S: Final = dyn.N_STATES
#: Lesser police kinds in the order of the count columns: their probabilities given (state,
#: alcohol) are those of `police.police_and_outcomes`.
LESSER: Final = (
    PoliceKind.weapon_present, PoliceKind.alcohol_incident,
    PoliceKind.administrative_offense, PoliceKind.domestic_call,
)  # fmt: skip


# --- families ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Families:
    ids: pl.Series
    urban: B
    income: I64
    disability: B
    p_rec: F64  # recording probability of a serious incident, before the state's share
    p_rep: F64  # reporting probability of a lesser incident
    false_calls: F64  # monthly rate of calls without violence
    woman_birth_year: I64  # -1: no adult woman
    kind: I64  # index into the family kinds (p_rec, p_rep, children): quiet-month weights
    kinds: F64  # (K, 3): p_rec, p_rep, has children
    rec_kind: I64  # index into the distinct p_rec values
    rec_values: F64

    def take(self, order: I64) -> Families:
        """The same families in the order `order`."""
        return Families(
            ids=self.ids.gather(order), urban=self.urban[order], income=self.income[order],
            disability=self.disability[order], p_rec=self.p_rec[order], p_rep=self.p_rep[order],
            false_calls=self.false_calls[order], woman_birth_year=self.woman_birth_year[order],
            kind=self.kind[order], kinds=self.kinds, rec_kind=self.rec_kind[order],
            rec_values=self.rec_values,
        )  # fmt: skip


def _police_multiplier(config: SimulationConfig, families: pl.DataFrame) -> F64:
    """The bias multiplier of `world._multiplier`, from the families table."""
    mult = np.ones(families.height)
    for attr, groups in config.police_multiplier_by_group.items():
        text = families[attr].cast(pl.String).str.to_lowercase().to_numpy()
        for group, factor in groups.items():
            mult = np.where(text == group, mult * factor, mult)
    district = families["district"].to_numpy()
    for name, factor in config.police_multiplier_by_district.items():
        mult = np.where(district == name, mult * factor, mult)
    return mult


def read_families(events: Events, config: SimulationConfig) -> Families:
    fam = events.families
    region_index = {r.name: i for i, r in enumerate(REGIONS)}
    region = np.array([region_index[r] for r in fam["region"].to_list()], dtype=np.int64)
    urban = fam["urban"].to_numpy().astype(bool)
    acceptance = np.array([r.acceptance for r in REGIONS])[region]
    # dynamics.reporting_factor: regional norms and urban/rural
    factor = np.exp(-0.06 * (acceptance - 4.0)) * np.where(urban, 1.1, 0.9)
    mult = _police_multiplier(config, fam)
    p_rec = np.clip(dyn.BASE_RECORDING * factor, 0.0, 0.9)
    p_rep = np.clip(pol.BASE_REPORTING * factor * mult, 0.0, 0.95)
    children = (fam["n_children"].to_numpy() > 0).astype(np.float64)
    kinds, kind = np.unique(np.stack([p_rec, p_rep, children], 1), axis=0, return_inverse=True)
    rec_values, rec_kind = np.unique(p_rec, return_inverse=True)
    women = events.persons.filter((pl.col("role") == "adult") & (pl.col("sex") == "female"))
    wby = (
        fam.select("family_id")
        .join(women.select("family_id", "birth_year"), on="family_id", how="left")
        .unique("family_id", keep="first", maintain_order=True)["birth_year"]
        .fill_null(-1)
        .to_numpy()
        .astype(np.int64)
    )
    income_index = {g: i for i, g in enumerate(INCOME_GROUPS)}
    return Families(
        ids=fam["family_id"], urban=urban,
        income=np.array([income_index[g] for g in fam["income_group"].to_list()], np.int64),
        disability=fam["disability_in_household"].to_numpy().astype(bool),
        p_rec=p_rec, p_rep=p_rep, false_calls=pol.FALSE_CALL_RATE * mult,
        woman_birth_year=wby, kind=kind.reshape(-1).astype(np.int64), kinds=kinds,
        rec_kind=rec_kind.reshape(-1).astype(np.int64), rec_values=rec_values,
    )  # fmt: skip


# --- recording lags ----------------------------------------------------------------------------


def police_lag() -> F64:
    """pmf of `police._delay(rng, n, 0.6, 10)` on 0..30."""
    pmf = np.zeros(31)
    pmf[:10] = 0.6 * 0.4 ** np.arange(10)
    pmf[10] = 0.4**10
    return pmf


def uniform_lag(hi: int) -> F64:
    pmf = np.zeros(31)
    pmf[: hi + 1] = 1.0 / (hi + 1)
    return pmf


def outcome_lag(children: bool) -> F64:
    """Lag of an outcome row: hospital 0-7 days, guardianship 0-30 (families with children),
    else the police delay (criminal offense or order violation)."""
    care = pol.P_GUARDIANSHIP if children else 0.0
    return (
        pol.P_HOSPITAL * uniform_lag(7)
        + care * uniform_lag(30)
        + (1.0 - pol.P_HOSPITAL - care) * police_lag()
    )


def known_share(lag: F64, m0: int, m1: int, as_of: int) -> float:
    """P(day + lag < as_of) for a day uniform in [m0, m1): how much of a month is known."""
    cdf = np.cumsum(lag)
    room = as_of - np.arange(m0, m1) - 1  # largest lag still known
    return float(np.where(room < 0, 0.0, cdf[np.clip(room, 0, len(cdf) - 1)]).mean())


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Records:
    """Per-record arrays: family row, month index, knowledge day, and what each says."""

    out_f: I64
    out_t: I64
    out_know: I64
    pol_f: I64
    pol_t: I64
    pol_know: I64
    pol_kind: I64  # index into LESSER
    cli_f: I64
    cli_t: I64
    cli_know: I64
    cli_hosp_know: I64  # knowledge day of the same-day hospital outcome (huge: none)
    cli_routine: F64  # (n, 2 alcohol, 2 incident, S) log-likelihood read as a routine visit
    cli_hospital: F64  # the same read as the screening after a hospital injury
    sch_f: I64
    sch_t: I64
    sch_know: I64
    sch: F64  # (n, 2, 2, S)


def _frame_index(frame: pl.DataFrame, ids: pl.Series, start: dt.date) -> pl.DataFrame:
    index = pl.DataFrame({"family_id": ids, "_f": np.arange(len(ids), dtype=np.int64)})
    return frame.join(index, on="family_id", how="inner", maintain_order="left").with_columns(
        _t=(pl.col("event_date").dt.year().cast(pl.Int64) - start.year) * 12
        + pl.col("event_date").dt.month().cast(pl.Int64)
        - start.month,
        _ev=pl.col("event_date").cast(pl.Int64),
        _kn=pl.col("knowledge_date").cast(pl.Int64),
    )


def _i64(frame: pl.DataFrame, col: str) -> I64:
    return frame[col].to_numpy().astype(np.int64)


def read_records(events: Events, fams: Families, start: dt.date) -> Records:
    out = _frame_index(events.outcomes, fams.ids, start)
    lesser = [k.value for k in LESSER]
    ps = _frame_index(events.police_signals.filter(pl.col("kind").is_in(lesser)), fams.ids, start)
    kind_index = {k: i for i, k in enumerate(lesser)}
    hosp = out.filter(pl.col("kind") == OutcomeKind.hospital_injury.value).group_by("_f", "_ev")
    hosp_know = hosp.agg(_hk=pl.col("_kn").min())
    wast = {"none": 0, "some": 1, "a_lot": 2, "great": 2}
    cli = (
        _frame_index(events.medical_screenings, fams.ids, start)
        .join(hosp_know, on=["_f", "_ev"], how="left", maintain_order="left")
        .with_columns(
            pl.col("_hk").fill_null(np.iinfo(np.int64).max // 2),
            pl.col("wast_tension").replace_strict(wast, return_dtype=pl.Int64),
            pl.col("wast_arguments").replace_strict(wast, return_dtype=pl.Int64),
        )
    )
    answers = cli.select(
        "wast_tension", "wast_arguments", "hits_hurt", "hits_insult", "hits_threaten",
        "hits_scream", "phq2",
    ).to_numpy().astype(np.int64)  # fmt: skip
    base = clinic_answers(answers)[:, None, None, :]
    alc = np.where(cli["alcohol_concern"].to_numpy()[:, None], [0.04, 0.5], [0.96, 0.5])
    hospital = base + np.log(alc)[:, :, None, None]
    # routine visit: injury inconsistent 1% + 25% after an incident in escalating or worse
    p_ii = 0.01 + 0.25 * (np.arange(2)[:, None] * (np.arange(S)[None, :] >= 2))
    ii = cli["injury_inconsistent"].to_numpy().astype(bool)
    routine = hospital + np.log(np.where(ii[:, None, None], p_ii, 1.0 - p_ii))[:, None]

    low = pl.DataFrame({"_f": np.arange(len(fams.ids)), "_low": (fams.income == 0).astype(int)})
    sch = _frame_index(events.school_surveys, fams.ids, start).join(low, on="_f", how="left")
    cols = (
        "feels_safe", "afraid_of_adult", "seen_violence", "hurt_by_adult", "hunger_neglect",
        "wants_counsellor", "_low", "unexplained_injury", "behaviour_change", "days_absent",
    )  # fmt: skip
    sch_lik = school_answers(sch.select(cols).cast(pl.Int64).to_numpy())
    return Records(
        out_f=_i64(out, "_f"), out_t=_i64(out, "_t"), out_know=_i64(out, "_kn"),
        pol_f=_i64(ps, "_f"), pol_t=_i64(ps, "_t"), pol_know=_i64(ps, "_kn"),
        pol_kind=np.array([kind_index[k] for k in ps["kind"].to_list()], dtype=np.int64),
        cli_f=_i64(cli, "_f"), cli_t=_i64(cli, "_t"), cli_know=_i64(cli, "_kn"),
        cli_hosp_know=_i64(cli, "_hk"), cli_routine=routine, cli_hospital=hospital,
        sch_f=_i64(sch, "_f"), sch_t=_i64(sch, "_t"), sch_know=_i64(sch, "_kn"),
        sch=np.broadcast_to(sch_lik[:, None], (len(sch_lik), 2, 2, S)),
    )  # fmt: skip


@dataclass(frozen=True)
class Observed:
    """What is known of months `months` at a knowledge cut-off, per (month, family)."""

    r: npt.NDArray[np.int32]  # (M, F) outcome rows
    kinds: npt.NDArray[np.int32]  # (M, F, 4) lesser police signals by kind
    routine: B  # (M, F) a routine screening is known
    factor_family: dict[int, I64]  # month -> families with answers that month (sorted)
    factor: dict[int, F64]  # month -> (n, 2, 2, S) summed log-likelihoods


def observed(rec: Records, n_fam: int, months: int, cutoff: int | None, keep: set[int]
              ) -> Observed:  # fmt: skip
    """Aggregate the records of months `keep` known before `cutoff` (None: all of them)."""
    big = np.iinfo(np.int64).max

    def sel(t: I64, know: I64) -> B:
        ok: B = np.isin(t, list(keep)) & (t >= 0) & (t < months)
        return ok & (know < (big if cutoff is None else cutoff))

    r = np.zeros((months, n_fam), np.int32)
    m = sel(rec.out_t, rec.out_know)
    np.add.at(r, (rec.out_t[m], rec.out_f[m]), 1)
    kinds = np.zeros((months, n_fam, len(LESSER)), np.int32)
    m = sel(rec.pol_t, rec.pol_know)
    np.add.at(kinds, (rec.pol_t[m], rec.pol_f[m], rec.pol_kind[m]), 1)

    cm = sel(rec.cli_t, rec.cli_know)
    hosp = rec.cli_hosp_know < (big if cutoff is None else cutoff)
    routine = np.zeros((months, n_fam), bool)
    routine[rec.cli_t[cm & ~hosp], rec.cli_f[cm & ~hosp]] = True
    sm = sel(rec.sch_t, rec.sch_know)
    t = np.concatenate([rec.cli_t[cm], rec.sch_t[sm]])
    f = np.concatenate([rec.cli_f[cm], rec.sch_f[sm]])
    lf = np.concatenate(
        [np.where(hosp[cm][:, None, None, None], rec.cli_hospital[cm], rec.cli_routine[cm]),
         rec.sch[sm]]
    )  # fmt: skip
    key = t * n_fam + f
    order = np.argsort(key, kind="stable")
    key, lf = key[order], lf[order]
    uniq, first = np.unique(key, return_index=True)
    summed = np.add.reduceat(lf, first, axis=0) if len(uniq) else lf[:0]
    ut, uf = uniq // n_fam, uniq % n_fam
    fam_by_month = {int(tm): uf[ut == tm] for tm in np.unique(ut)}
    fac_by_month = {int(tm): summed[ut == tm] for tm in np.unique(ut)}
    return Observed(r, kinds, routine, fam_by_month, fac_by_month)
