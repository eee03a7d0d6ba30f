"""The synthetic population: configuration, `simulate()` and `write_population()`.

The generative model lives in the sibling modules (geography, population, latent dynamics,
police, instruments); this module validates the options, wires the stages with independent
random streams, and turns the arrays into the contract tables of `features.contracts`.
See `docs/simulator.md`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from features.atomic import replacing_dir
from features.contracts import (
    ASSISTANCE_SCHEMA,
    OUTCOME_POLICE_KINDS,
    PROTECTED_ATTRIBUTES,
    TABLES,
    Events,
)
from features.months import first_of_month, months_after
from features.simulator.assistance import Council, council_month_index
from features.simulator.dynamics import family_chains, p_recorded_within, simulate_paths
from features.simulator.geography import district_names
from features.simulator.instruments import clinic_screenings, school_surveys
from features.simulator.police import FORMS, OUTCOME_KINDS, POLICE_KINDS, police_and_outcomes
from features.simulator.population import (
    ETHNICITIES,
    INCOME_GROUPS,
    Households,
    id_series,
    id_width,
)
from features.simulator.population import make_households as _make_households

#: Group values each protected attribute takes in the simulator (booleans as "true"/"false").
GROUP_VALUES: Final[dict[str, frozenset[str]]] = {
    "ethnicity": frozenset(ETHNICITIES),
    "language": frozenset({"kk", "ru"}),
    "income_group": frozenset(INCOME_GROUPS),
    "disability_in_household": frozenset({"true", "false"}),
    "single_parent": frozenset({"true", "false"}),
    "urban": frozenset({"true", "false"}),
}
DEFAULT_SURVEY_COVERAGE: Final = 0.85
MAX_FAMILIES: Final = 5_000_000
MAX_MONTHS: Final = 240
#: Most a council can plan for in a month, as a share of a district's families.
MAX_COUNCIL_SHARE: Final = 0.05
#: Months after the start before the council first meets when `council_from` is not given.
DEFAULT_COUNCIL_AFTER: Final = 12
_EPOCH: Final = dt.date(1970, 1, 1)


def _check_multiplier(where: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: expected a finite multiplier >= 0, got {value}")


class SimulationConfig(BaseModel):
    """Options of one simulation. Defaults inject no bias."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    families: int = Field(ge=1, le=MAX_FAMILIES, description="Number of families.")
    months: int = Field(ge=7, le=MAX_MONTHS, description="Months simulated (>= 7).")
    start: dt.date = Field(description="First simulated month (first day of a month).")
    seed: int = Field(ge=0, description="Seed of every random stream.")
    police_multiplier_by_group: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Attribute -> group -> multiplier of police recording of lesser signals, "
        'e.g. {"ethnicity": {"russian": 2.0}} (surveillance bias at equal true risk).',
    )
    police_multiplier_by_district: dict[str, float] = Field(
        default_factory=dict, description="District -> multiplier of police recording."
    )
    survey_coverage: dict[str, float] = Field(
        default_factory=lambda: {
            "urban": DEFAULT_SURVEY_COVERAGE,
            "rural": DEFAULT_SURVEY_COVERAGE,
        },
        description='Share of school-age children surveyed per term, keyed "urban"/"rural".',
    )
    council_share: float = Field(
        default=0.0,
        ge=0.0,
        le=MAX_COUNCIL_SHARE,
        description="Share of each district's families the simulated council plans measures "
        "for each month (0: no council, the default).",
    )
    council_from: dt.date | None = Field(
        default=None,
        description="First month the council meets (first day of a month; default: 12 months "
        "after `start`). Only with `council_share` > 0.",
    )

    @field_validator("start")
    @classmethod
    def _first_of_month(cls, v: dt.date) -> dt.date:
        if v != first_of_month(v):
            raise ValueError(f"expected the first day of a month, got {v.isoformat()}")
        if not 1990 <= v.year <= 2090:
            raise ValueError(f"expected a year from 1990 to 2090, got {v.year}")
        return v

    @field_validator("council_from")
    @classmethod
    def _council_first_of_month(cls, v: dt.date | None) -> dt.date | None:
        if v is not None and v != first_of_month(v):
            raise ValueError(f"expected the first day of a month, got {v.isoformat()}")
        return v

    @model_validator(mode="after")
    def _council_within(self) -> SimulationConfig:
        if self.council_from is not None:
            index = council_month_index(self.start, self.council_from)
            if not 2 <= index < self.months:
                last = months_after(self.start, self.months - 1)
                raise ValueError(
                    f"council_from: expected a month from {months_after(self.start, 2)} to "
                    f"{last} (the council reads two months of records first), "
                    f"got {self.council_from.isoformat()}"
                )
        return self

    @property
    def council_month(self) -> int:
        """Index of the first month the council meets (meaningful with `council_share` > 0)."""
        if self.council_from is not None:
            return council_month_index(self.start, self.council_from)
        return min(DEFAULT_COUNCIL_AFTER, self.months - 1)

    @field_validator("police_multiplier_by_group")
    @classmethod
    def _groups(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for attr, groups in v.items():
            if attr not in PROTECTED_ATTRIBUTES:
                raise ValueError(
                    f"expected an attribute among {', '.join(PROTECTED_ATTRIBUTES)}, got {attr!r}"
                )
            for group, mult in groups.items():
                if group not in GROUP_VALUES[attr]:
                    raise ValueError(
                        f"{attr}: expected a group among {', '.join(sorted(GROUP_VALUES[attr]))}, "
                        f"got {group!r}"
                    )
                _check_multiplier(f"{attr}.{group}", mult)
        return v

    @field_validator("police_multiplier_by_district")
    @classmethod
    def _districts(cls, v: dict[str, float]) -> dict[str, float]:
        known = district_names()
        for district, mult in v.items():
            if district not in known:
                raise ValueError(f"expected a district of the simulator, got {district!r}")
            _check_multiplier(district, mult)
        return v

    @field_validator("survey_coverage")
    @classmethod
    def _coverage(cls, v: dict[str, float]) -> dict[str, float]:
        if set(v) != {"urban", "rural"}:
            raise ValueError(f'expected exactly the keys "urban" and "rural", got {sorted(v)}')
        for key, share in v.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{key}: expected a share from 0 to 1, got {share}")
        return v

    @property
    def progress_total(self) -> int:
        """Units `simulate` reports through its progress callback (one per month per stage)."""
        return 2 * self.months


@dataclass(frozen=True)
class Population:
    """A simulated population: what agencies recorded (`events`) and the hidden truth."""

    events: Events
    truth: pl.DataFrame
    config: SimulationConfig
    #: The simulated council's measures (`ASSISTANCE_SCHEMA`; empty without a council). The
    #: council's own record, never an agency record or a feature.
    assistance: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ASSISTANCE_SCHEMA))


def _streams(seed: int) -> list[np.random.Generator]:
    # Independent streams per stage: changing a bias knob changes only the records it touches.
    # The council's stream is the seventh: spawning more children leaves the first six alone.
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]


def _month_grid(start: dt.date, months: int) -> tuple[npt.NDArray[np.int64], ...]:
    """Day numbers (since 1970-01-01), years and calendar months of the first days of the
    `months + 1` months from `start` (the last one ends the simulation)."""
    firsts = [months_after(start, k) for k in range(months + 1)]
    days = np.array([(d - _EPOCH).days for d in firsts], dtype=np.int64)
    years = np.array([d.year for d in firsts], dtype=np.int64)
    cal = np.array([d.month for d in firsts], dtype=np.int64)
    return days, years, cal


def _multiplier(config: SimulationConfig, h: Households) -> npt.NDArray[np.float64]:
    mult = np.ones(len(h.district))
    values = h.families
    for attr, groups in config.police_multiplier_by_group.items():
        col = values[attr]
        as_text = col.cast(pl.String).str.to_lowercase().to_numpy()
        for group, factor in groups.items():
            mult = np.where(as_text == group, mult * factor, mult)
    if config.police_multiplier_by_district:
        dist = values["district"].to_numpy()
        for name, factor in config.police_multiplier_by_district.items():
            mult = np.where(dist == name, mult * factor, mult)
    return mult


def _coverage(
    config: SimulationConfig, h: Households, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    # Districts differ in how well schools run the survey (factor 0.8-1.2, mean 1).
    factor = 0.8 + 0.4 * rng.beta(2.0, 2.0, int(h.district.max()) + 1)
    base = np.where(h.urban, config.survey_coverage["urban"], config.survey_coverage["rural"])
    return np.clip(base * factor[h.district], 0.0, 1.0)


def _dates(days: npt.NDArray[np.generic]) -> pl.Series:
    return pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date)


def _optional_dates(days: npt.NDArray[np.generic]) -> pl.Series:
    """Dates from day numbers where negative means none."""
    d = np.asarray(days, dtype=np.int64)
    return pl.select(
        pl.when(pl.Series(d >= 0)).then(_dates(np.maximum(d, 0))).alias("valid_until")
    ).to_series()


def _forms(masks: npt.NDArray[np.generic]) -> pl.Series:
    """List columns of form names from bit masks (bit i = FORMS[i])."""
    codes = range(1 << len(FORMS))
    lookup = pl.DataFrame(
        {
            "m": list(codes),
            "forms": [[f.value for i, f in enumerate(FORMS) if m >> i & 1] for m in codes],
        },
        schema={"m": pl.Int64(), "forms": pl.List(pl.String())},
    )
    frame = pl.DataFrame({"m": np.asarray(masks, dtype=np.int64)})
    return frame.join(lookup, on="m", how="left", maintain_order="left")["forms"]


def _institutions(prefix: str, district: npt.NDArray[np.int64], unit: npt.NDArray[np.int64] | None
                  ) -> pl.Series:  # fmt: skip
    d = pl.Series(district).cast(pl.String).str.zfill(3)
    parts = [pl.lit(prefix), d.alias("d")]
    if unit is not None:
        parts += [pl.lit("-"), pl.Series(unit).cast(pl.String).str.zfill(3).alias("u")]
    return pl.select(pl.concat_str(parts).alias("institution_id")).to_series()


def _record_table(
    name: str,
    prefix: str,
    h: Households,
    cols: Mapping[str, npt.NDArray[np.generic]],
    institution: pl.Series,
    content: Mapping[str, pl.Series | npt.NDArray[np.generic]],
    end_day: int,
) -> pl.DataFrame:
    schema = TABLES[name]
    if not cols or len(cols["family"]) == 0:
        return pl.DataFrame(schema=schema)
    fam = np.asarray(cols["family"], dtype=np.int64)
    person_ids = h.persons["person_id"]
    person_row = np.asarray(cols["person_row"], dtype=np.int64)
    frame = pl.DataFrame(
        {
            "_order": np.arange(len(fam)),
            "family_id": h.family_id.gather(fam),
            "person_id": person_ids.gather(np.maximum(person_row, 0)),
            "institution_id": institution,
            "event_date": _dates(cols["event"]),
            "knowledge_date": _dates(cols["knowledge"]),
            **content,
        }
    )
    frame = frame.filter(pl.col("event_date") < _dates(np.array([end_day]))[0])
    frame = frame.sort(["event_date", "family_id", "_order"]).drop("_order")
    ids = id_series(prefix, np.arange(frame.height), id_width(frame.height))
    return frame.with_columns(record_id=ids).select(list(schema)).cast(schema)  # type: ignore[arg-type]


def _police_outcome_ids(outcomes: pl.DataFrame, police: pl.DataFrame) -> pl.DataFrame:
    """Police-kind outcomes carry the record id of their police signal, as in the service,
    where the signal *is* the outcome (stored once): a simulated history uploaded to the
    service and exported again is then the same table, ids included.

    Each such outcome has one signal of the same family, kind, event and knowledge date; equal
    keys are paired in order."""
    keys = ["family_id", "kind", "event_date", "knowledge_date"]
    kinds = sorted(k.value for k in OUTCOME_POLICE_KINDS)
    signals = (
        police.filter(pl.col("kind").is_in(kinds))
        .select(*keys, pl.col("record_id").alias("_signal"))
        .sort(["_signal"])
        .with_columns(_n=pl.int_range(pl.len()).over(keys))
    )
    return (
        outcomes.with_columns(_n=pl.int_range(pl.len()).over(keys))
        .join(signals, on=[*keys, "_n"], how="left", maintain_order="left")
        .with_columns(
            record_id=pl.when(pl.col("kind").is_in(kinds))
            .then(pl.coalesce("_signal", "record_id"))
            .otherwise("record_id")
        )
        .drop("_n", "_signal")
    )


def simulate(
    config: SimulationConfig, *, progress: Callable[[int], None] | None = None
) -> Population:
    """Simulate families, their latent risk, and what schools, clinics and police record.

    `progress`, when given, receives increments that add up to `config.progress_total`.
    Same config -> identical tables.
    """
    rng_pop, rng_dyn, rng_pol, rng_cli, rng_sch, rng_cov, rng_council = _streams(config.seed)
    h = _make_households(config.families, config.start, rng_pop)
    chains = family_chains(h)
    days, years, cal = _month_grid(config.start, config.months)
    council = None
    if config.council_share > 0:
        council = Council(h, days, config.council_share, config.council_month, rng_council)
    paths = simulate_paths(
        chains,
        config.months,
        rng_dyn,
        progress=progress,
        assist=council.help if council is not None else None,
    )
    p6 = p_recorded_within(chains, months=6)

    end_day = int(days[-1])
    pol, out = police_and_outcomes(h, paths, days, _multiplier(config, h), rng_pol)
    if progress is not None:
        progress(config.months // 2)
    hosp = out["kind"] == OUTCOME_KINDS.index("hospital_injury")
    cli = clinic_screenings(
        h, paths, days, years, out["family"][hosp].astype(np.int64),
        out["event"][hosp].astype(np.int64), rng_cli,
    )  # fmt: skip
    sch = school_surveys(h, paths, days, cal, years, _coverage(config, h, rng_cov), rng_sch)
    if progress is not None:
        progress(config.months - config.months // 2)

    police_kinds = np.array([k.value for k in POLICE_KINDS])
    police = _record_table(
        "police_signals", "PS", h, pol,
        _institutions("POL-", h.district[pol["family"]], None),
        {
            "kind": police_kinds[pol["kind"]],
            "forms": _forms(pol["forms"]),
            "valid_until": _optional_dates(pol["valid_until"]),
        },
        end_day,
    )  # fmt: skip
    wast_t = np.array(["none", "some", "a_lot"])
    wast_a = np.array(["none", "some", "great"])
    medical = _record_table(
        "medical_screenings", "MS", h, cli,
        _institutions("CLN-", h.district[cli["family"]], h.clinic[cli["family"]]),
        {
            **{k: cli[k] for k in ("hits_hurt", "hits_insult", "hits_threaten", "hits_scream")},
            "wast_tension": wast_t[cli["wast_tension"]],
            "wast_arguments": wast_a[cli["wast_arguments"]],
            **{k: cli[k] for k in ("injury_inconsistent", "pregnant", "phq2", "alcohol_concern")},
            "forms": _forms(cli["forms"]),
        },
        end_day,
    )  # fmt: skip
    sch_fam = sch["family"] if sch else np.zeros(0, np.int64)
    school = _record_table(
        "school_surveys", "SS", h, sch,
        _institutions("SCH-", h.district[sch_fam], h.school[sch_fam]),
        {k: sch[k] for k in list(TABLES["school_surveys"])[6:]} if sch else {},
        end_day,
    )  # fmt: skip
    outcome_kinds = np.array([k.value for k in OUTCOME_KINDS])
    outcomes = (
        pl.DataFrame(
            {
                "_order": np.arange(len(out["family"])),
                "family_id": h.family_id.gather(out["family"].astype(np.int64)),
                "kind": outcome_kinds[out["kind"]],
                "event_date": _dates(out["event"]),
                "knowledge_date": _dates(out["knowledge"]),
            }
        )
        .sort(["event_date", "family_id", "_order"])
        .drop("_order")
    )
    outcomes = (
        _police_outcome_ids(
            outcomes.with_columns(
                record_id=id_series("OC", np.arange(outcomes.height), id_width(outcomes.height))
            ),
            police,
        )
        .select(list(TABLES["outcomes"]))
        .cast(TABLES["outcomes"])  # type: ignore[arg-type]
    )

    n, m = config.families, config.months
    fam = np.tile(np.arange(n), m)
    state = paths.state.reshape(-1).astype(np.int64)
    truth = pl.DataFrame(
        {
            "family_id": h.family_id.gather(fam),
            "month": _dates(np.repeat(days[:-1], n)),
            "latent_risk": chains.rate[fam, state],
            "true_incidents": (paths.n_recorded.astype(np.int32) + paths.n_unrecorded).reshape(-1),
            "p_incident_6m": p6[fam, state],
        }
    ).cast(TABLES["truth"])  # type: ignore[arg-type]
    events = Events(
        families=h.families, persons=h.persons, school_surveys=school,
        medical_screenings=medical, police_signals=police, outcomes=outcomes,
    )  # fmt: skip
    assistance = council.table() if council is not None else pl.DataFrame(schema=ASSISTANCE_SCHEMA)
    return Population(events=events, truth=truth, config=config, assistance=assistance)


def check_output_dir(out: Path, *, overwrite: bool = False) -> None:
    """Raise `ValueError` unless `write_population(..., out)` can succeed (checked before a long
    simulation): `out` must be new or an empty directory (or `overwrite`), its parent writable."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out: expected a directory, got an existing file: {out}")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"out: directory is not empty (pass overwrite=True to replace): {out}")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"out: parent directory does not exist: {parent}")
    try:
        Path(tempfile.mkdtemp(prefix=f".{out.name}.check.", dir=parent)).rmdir()
    except OSError as exc:
        raise ValueError(f"out: cannot write in {parent}: {exc.strerror}") from None


def write_population(population: Population, out: Path, *, overwrite: bool = False) -> None:
    """Write every table as `<name>.parquet`, the council's `assistance.parquet` (empty without
    a council) and `config.json` into `out`, atomically.

    Files go to a temporary directory next to `out`, which is then renamed into place, so a
    failure leaves nothing half-written. A non-empty existing `out` is refused unless
    `overwrite` (then it is replaced as a whole). Raises `ValueError` for an unusable `out`.
    """
    out = Path(out)
    check_output_dir(out, overwrite=overwrite)
    with replacing_dir(out) as tmp:
        tables = {name: getattr(population.events, name) for name in TABLES if name != "truth"}
        tables["truth"] = population.truth
        tables["assistance"] = population.assistance
        for name, frame in tables.items():
            frame.write_parquet(tmp / f"{name}.parquet")
        (tmp / "config.json").write_text(
            json.dumps(population.config.model_dump(mode="json"), indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )


def read_population(directory: Path) -> Population:
    """Read a directory written by `write_population` back into a `Population`."""
    directory = Path(directory)
    frames = {name: pl.read_parquet(directory / f"{name}.parquet") for name in TABLES}
    config = SimulationConfig.model_validate_json((directory / "config.json").read_text("utf-8"))
    truth = frames.pop("truth")
    path = directory / "assistance.parquet"  # absent in directories written before the council
    assistance = pl.read_parquet(path) if path.is_file() else pl.DataFrame(schema=ASSISTANCE_SCHEMA)
    return Population(events=Events(**frames), truth=truth, config=config, assistance=assistance)
