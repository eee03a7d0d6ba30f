"""Families, persons, names, IINs and the hidden traits that drive each family's risk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from features.contracts import FAMILIES_SCHEMA, PERSONS_SCHEMA
from features.iin import make_iins
from features.simulator import names as nm
from features.simulator.geography import REGIONS, districts

ETHNICITIES: Final = (
    "kazakh", "russian", "uzbek", "ukrainian", "uyghur", "tatar", "german", "other",
)  # fmt: skip
INCOME_GROUPS: Final = ("low", "middle", "high")
# Households with children dominate the councils' caseload; 0 children still occur.
_CHILDREN_P: Final = np.array([0.12, 0.26, 0.31, 0.19, 0.08, 0.04])

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Households:
    """Families and persons as frames, plus aligned arrays the later stages need."""

    families: pl.DataFrame
    persons: pl.DataFrame
    family_id: pl.Series
    district: I64
    region: I64
    urban: B
    ethnicity: I64
    language_kk: B
    income: I64  # index into INCOME_GROUPS
    disability: B
    single_parent: B
    n_children: I64
    # hidden traits (never written)
    alcohol: B
    stress: B  # chronic income/job stress
    prior_violence: B
    propensity: F64  # standard normal: the part of risk nothing observable explains
    # persons the agencies meet
    woman_row: I64  # row in `persons` of the adult woman, -1 if none
    man_row: I64  # row of the adult man, -1 if none
    woman_birth_year: I64
    child_family: I64  # one entry per child
    child_row: I64
    child_birth_year: I64
    school: I64  # per family: a school index inside its district
    clinic: I64


def id_series(prefix: str, numbers: npt.NDArray[np.integer], width: int) -> pl.Series:
    """Stable string ids such as ``F0000123``."""
    digits = pl.Series("id", numbers).cast(pl.String).str.zfill(width)
    return pl.select(pl.concat_str(pl.lit(prefix), digits)).to_series()


def id_width(n: int) -> int:
    return max(7, len(str(max(n - 1, 0))))


def _choice_rows(rng: np.random.Generator, p: F64) -> I64:
    """One categorical draw per row of the probability matrix `p`."""
    u = rng.random((p.shape[0],))
    idx = (np.cumsum(p, axis=1) < u[:, None]).sum(axis=1)
    out: I64 = np.minimum(idx, p.shape[1] - 1).astype(np.int64)
    return out


def make_households(n: int, start: dt.date, rng: np.random.Generator) -> Households:
    """Draw `n` families with their members, names and IINs."""
    geo = districts()
    district = rng.choice(len(geo.name), size=n, p=geo.weight).astype(np.int64)
    region = geo.region[district].astype(np.int64)
    reg_urban = np.array([r.urban for r in REGIONS])[region]
    urban = rng.random(n) < reg_urban

    eu = np.array([r.european for r in REGIONS])[region]
    uz = np.array([r.uzbek for r in REGIONS])[region]
    uy = np.array([r.uyghur for r in REGIONS])[region]
    tat = 0.04 * eu + 0.005
    other = np.full(n, 0.02)
    p_eth = np.stack(
        [1 - eu - uz - uy - tat - other, 0.85 * eu, uz, 0.08 * eu, uy, tat, 0.07 * eu, other],
        axis=1,
    )
    ethnicity = _choice_rows(rng, p_eth)
    kazakh_like = np.isin(ethnicity, [0, 2, 4, 5])
    p_kk = np.where(ethnicity == 0, np.where(urban, 0.65, 0.88), np.where(kazakh_like, 0.35, 0.03))
    language_kk = rng.random(n) < p_kk

    p_income = np.where(urban[:, None], [[0.20, 0.55, 0.25]], [[0.40, 0.50, 0.10]])
    income = _choice_rows(rng, p_income)
    disability = rng.random(n) < 0.07
    single_parent = rng.random(n) < np.where(urban, 0.17, 0.12)
    n_children = rng.choice(len(_CHILDREN_P), size=n, p=_CHILDREN_P).astype(np.int64)
    n_children = np.where(single_parent, np.maximum(n_children, 1), n_children)

    # Hidden traits correlate mildly with circumstances, as in life; none is recorded.
    # Only income moves them (the brief documents income -> stress). No public figure supports
    # an ethnic difference in risk, so ethnicity reaches risk only through region (reporting
    # norms) and income, never directly: the audit must not find a difference we planted.
    alcohol = rng.random(n) < 0.10 + 0.05 * (income == 0)
    stress = rng.random(n) < np.array([0.35, 0.15, 0.06])[income] + 0.05 * disability
    prior_violence = rng.random(n) < 0.12 + 0.05 * alcohol
    propensity = rng.standard_normal(n)

    width = id_width(n)
    family_id = id_series("F", np.arange(n), width).alias("family_id")
    families = pl.DataFrame(
        {
            "family_id": family_id,
            "region": np.array([r.name for r in REGIONS])[region],
            "district": geo.name[district],
            "urban": urban,
            "n_children": n_children,
            "ethnicity": np.array(ETHNICITIES)[ethnicity],
            "language": np.where(language_kk, "kk", "ru"),
            "income_group": np.array(INCOME_GROUPS)[income],
            "disability_in_household": disability,
            "single_parent": single_parent,
        }
    ).cast(FAMILIES_SCHEMA)  # type: ignore[arg-type]

    persons, extra = _make_persons(
        rng, start=start, family_id=family_id, kazakh_like=kazakh_like,
        single_parent=single_parent, n_children=n_children,
    )  # fmt: skip
    n_schools = np.maximum(1, np.bincount(district, minlength=len(geo.name)) // 250)
    n_clinics = np.maximum(1, np.bincount(district, minlength=len(geo.name)) // 1500)
    return Households(
        families=families, persons=persons, family_id=family_id, district=district,
        region=region, urban=urban, ethnicity=ethnicity, language_kk=language_kk, income=income,
        disability=disability, single_parent=single_parent, n_children=n_children,
        alcohol=alcohol, stress=stress, prior_violence=prior_violence, propensity=propensity,
        school=(rng.random(n) * n_schools[district]).astype(np.int64),
        clinic=(rng.random(n) * n_clinics[district]).astype(np.int64),
        **extra,
    )  # fmt: skip


def _pools(kazakh: bool) -> dict[str, npt.NDArray[np.str_]]:
    male = nm.KAZAKH_MALE if kazakh else nm.RUSSIAN_MALE
    surnames = nm.KAZAKH_SURNAMES if kazakh else nm.RUSSIAN_SURNAMES
    return {
        "male": np.array(male),
        "female": np.array(nm.KAZAKH_FEMALE if kazakh else nm.RUSSIAN_FEMALE),
        "surname_m": np.array(surnames),
        "surname_f": np.array([nm.female_surname(s) for s in surnames]),
        # patronymics by father index: [russian style m, f, kazakh style m, f]
        "patr": np.array(
            [
                [nm.patronymic(f, male=m, kazakh_style=k) for f in male]
                for k in (False, True)
                for m in (True, False)
            ]
        ),
    }


def _make_persons(
    rng: np.random.Generator,
    *,
    start: dt.date,
    family_id: pl.Series,
    kazakh_like: B,
    single_parent: B,
    n_children: I64,
) -> tuple[pl.DataFrame, dict[str, I64]]:
    n = len(family_id)
    fam = np.arange(n, dtype=np.int64)
    mother_age = rng.integers(20, 50, size=n)
    has_woman = ~single_parent | (rng.random(n) < 0.9)
    has_man = ~single_parent | ~has_woman
    man_age = np.clip(mother_age + np.rint(rng.normal(3, 3, n)).astype(np.int64), 19, 75)
    max_child_age = np.clip(mother_age - 18, 0, 17)  # the mother was at least 18

    pools = (_pools(True), _pools(False))
    kk = kazakh_like
    kaz_style = (kk & (rng.random(n) < 0.3)).astype(np.int64)

    def draw(size: int) -> I64:
        # an index valid in every pool once taken modulo the pool's size
        return rng.integers(0, 1 << 30, size)

    def pick(key: str, idx: I64, f: I64) -> npt.NDArray[np.str_]:
        a, b = pools[0][key], pools[1][key]
        out: npt.NDArray[np.str_] = np.where(kk[f], a[idx % len(a)], b[idx % len(b)])
        return out

    def patr(father: I64, male: B, f: I64) -> npt.NDArray[np.str_]:
        row = 2 * kaz_style[f] + np.where(male, 0, 1)
        a, b = pools[0]["patr"], pools[1]["patr"]
        out: npt.NDArray[np.str_] = np.where(
            kk[f], a[row, father % a.shape[1]], b[row, father % b.shape[1]]
        )
        return out

    surname = draw(n)
    woman_surname = np.where(rng.random(n) < 0.85, surname, draw(n))
    father = draw(n)  # the children's father, named even when absent

    fams: list[I64] = []
    males: list[B] = []
    children: list[B] = []
    ages: list[I64] = []
    names: list[npt.NDArray[np.str_]] = []

    def add(f: I64, male: B, child: bool, age: I64, sur: I64, first: I64, pat: I64) -> None:
        fams.append(f)
        males.append(male)
        children.append(np.full(len(f), child))
        ages.append(age)
        surnames = np.where(male, pick("surname_m", sur, f), pick("surname_f", sur, f))
        firsts = np.where(male, pick("male", first, f), pick("female", first, f))
        names.append(
            np.char.add(np.char.add(np.char.add(surnames, " "), np.char.add(firsts, " ")),
                        patr(pat, male, f))
        )  # fmt: skip

    w = fam[has_woman]
    add(w, np.zeros(len(w), bool), False, mother_age[w], woman_surname[w], draw(len(w)),
        draw(len(w)))  # fmt: skip
    m = fam[has_man]
    add(m, np.ones(len(m), bool), False, man_age[m], surname[m], father[m], draw(len(m)))
    for k in range(int(n_children.max()) if n else 0):
        c = fam[n_children > k]
        age = (rng.random(len(c)) * (max_child_age[c] + 1)).astype(np.int64)
        add(c, rng.random(len(c)) < 0.51, True, age, surname[c], draw(len(c)), father[c])

    family_idx = np.concatenate(fams)
    order = np.argsort(family_idx, kind="stable")  # members of a family are adjacent
    family_idx = family_idx[order]
    male = np.concatenate(males)[order]
    is_child = np.concatenate(children)[order]
    age = np.concatenate(ages)[order]
    full_name = np.concatenate(names)[order]
    birth_year = start.year - age - (rng.random(len(age)) < 0.5)  # birthday after the start
    iin = _unique_iins(rng, birth_year, male)

    n_persons = len(family_idx)
    persons = pl.DataFrame(
        {
            "person_id": id_series("P", np.arange(n_persons), id_width(n_persons)),
            "family_id": family_id.gather(family_idx),
            "role": np.where(is_child, "child", "adult"),
            "sex": np.where(male, "male", "female"),
            "birth_year": birth_year,
            "full_name": full_name,
            "iin": pl.Series(iin).cast(pl.String).str.zfill(12),
        }
    ).cast(PERSONS_SCHEMA)  # type: ignore[arg-type]

    is_woman = ~is_child & ~male
    woman_row = np.full(n, -1, dtype=np.int64)
    woman_row[family_idx[is_woman]] = np.flatnonzero(is_woman)
    man_row = np.full(n, -1, dtype=np.int64)
    is_man = ~is_child & male
    man_row[family_idx[is_man]] = np.flatnonzero(is_man)
    woman_by = np.where(woman_row >= 0, birth_year[np.maximum(woman_row, 0)], 0)
    extra = {
        "woman_row": woman_row,
        "man_row": man_row,
        "woman_birth_year": woman_by.astype(np.int64),
        "child_family": family_idx[is_child].astype(np.int64),
        "child_row": np.flatnonzero(is_child).astype(np.int64),
        "child_birth_year": birth_year[is_child].astype(np.int64),
    }
    return persons, extra


def _unique_iins(rng: np.random.Generator, birth_year: I64, male: B) -> I64:
    """IINs with valid birth dates and check digits, unique within the population."""
    n = len(birth_year)
    jan1 = (birth_year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    leap = ((birth_year % 4 == 0) & (birth_year % 100 != 0)) | (birth_year % 400 == 0)
    born = jan1 + (rng.random(n) * np.where(leap, 366, 365)).astype("timedelta64[D]")
    month = born.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (born - born.astype("datetime64[M]")).astype(np.int64) + 1
    serial = rng.integers(0, 10_000, n)
    iin = make_iins(birth_year, month, day, male, serial)
    for _ in range(50):
        _, first = np.unique(iin, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False  # keep the first of each value, redraw the others
        if not dup.any():
            return iin
        serial[dup] = rng.integers(0, 10_000, int(dup.sum()))
        iin[dup] = make_iins(birth_year[dup], month[dup], day[dup], male[dup], serial[dup])
    raise RuntimeError("could not make IINs unique")  # pragma: no cover
