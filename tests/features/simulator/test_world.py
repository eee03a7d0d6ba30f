"""The simulator's public contract: schema, determinism, dates, atomic writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

from features.contracts import ENUM_COLUMNS, EVENT_TABLES, TABLES
from features.iin import validate_iin
from features.simulator import (
    Population,
    SimulationConfig,
    read_population,
    simulate,
    write_population,
)

RECORD_TABLES = ("school_surveys", "medical_screenings", "police_signals", "outcomes")


def _tables(pop: Population) -> dict[str, pl.DataFrame]:
    out = {name: getattr(pop.events, name) for name in EVENT_TABLES}
    out["truth"] = pop.truth
    return out


def test_every_table_matches_the_contract(small_population: Population) -> None:
    for name, frame in _tables(small_population).items():
        assert frame.schema == pl.Schema(TABLES[name]), name
        assert frame.height > 0, name
    for name, columns in ENUM_COLUMNS.items():
        frame = _tables(small_population)[name]
        for column, allowed in columns.items():
            assert set(frame[column].unique().to_list()) <= allowed, (name, column)


def test_written_files_match_the_contract(population_dir: Path) -> None:
    for name, schema in TABLES.items():
        frame = pl.read_parquet(population_dir / f"{name}.parquet")
        assert frame.schema == pl.Schema(schema), name
    back = read_population(population_dir)
    assert back.config.families == 3000


def test_knowledge_never_precedes_the_event(small_population: Population) -> None:
    start = small_population.config.start
    end = dt.date(2026, 1, 1)
    for name in RECORD_TABLES:
        frame = getattr(small_population.events, name)
        assert (frame["knowledge_date"] >= frame["event_date"]).all(), name
        assert frame["event_date"].min() >= start, name
        assert frame["event_date"].max() < end, name


def test_record_ids_unique_and_keys_resolve(small_population: Population) -> None:
    ev = small_population.events
    families = set(ev.families["family_id"].to_list())
    persons = ev.persons.select("person_id", "family_id")
    for name in RECORD_TABLES:
        frame = getattr(ev, name)
        assert frame["record_id"].n_unique() == frame.height, name
        assert set(frame["family_id"].unique().to_list()) <= families, name
        if "person_id" in frame.columns:
            # every record's subject belongs to the record's family
            joined = frame.select("person_id", "family_id").join(
                persons, on="person_id", how="left", suffix="_p"
            )
            assert (joined["family_id"] == joined["family_id_p"]).all(), name


def test_persons_have_valid_unique_iins(small_population: Population) -> None:
    persons = small_population.events.persons
    assert persons["iin"].n_unique() == persons.height
    for iin, year in persons.select("iin", "birth_year").head(500).iter_rows():
        assert validate_iin(iin).year == year


def test_same_seed_same_tables_other_seed_differs() -> None:
    cfg = SimulationConfig(families=300, months=12, start=dt.date(2024, 3, 1), seed=11)
    a, b = simulate(cfg), simulate(cfg)
    for name, frame in _tables(a).items():
        assert frame.equals(_tables(b)[name]), name
    c = simulate(cfg.model_copy(update={"seed": 12}))
    assert not c.events.persons.equals(a.events.persons)


def test_same_seed_same_files(tmp_path: Path) -> None:
    cfg = SimulationConfig(families=200, months=8, start=dt.date(2024, 1, 1), seed=3)
    write_population(simulate(cfg), tmp_path / "a")
    write_population(simulate(cfg), tmp_path / "b")
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_truth_grid_is_complete(small_population: Population) -> None:
    truth = small_population.truth
    cfg = small_population.config
    assert truth.height == cfg.families * cfg.months
    assert truth["month"].dt.day().unique().to_list() == [1]
    assert truth["p_incident_6m"].is_between(0, 1).all()
    assert (truth["latent_risk"] > 0).all()


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("families", 0, "families"),
        ("months", 6, "months"),
        ("start", dt.date(2024, 1, 15), "first day of a month"),
        ("seed", -1, "seed"),
        ("police_multiplier_by_group", {"religion": {"x": 2.0}}, "religion"),
        ("police_multiplier_by_group", {"ethnicity": {"martian": 2.0}}, "martian"),
        ("police_multiplier_by_group", {"urban": {"true": -1.0}}, "multiplier"),
        ("police_multiplier_by_district", {"Atlantis": 2.0}, "Atlantis"),
        ("survey_coverage", {"urban": 0.9}, "rural"),
        ("survey_coverage", {"urban": 1.5, "rural": 0.5}, "from 0 to 1"),
    ],
)
def test_bad_config_is_refused_with_a_clear_message(
    field: str, value: object, fragment: str
) -> None:
    options: dict[str, object] = {
        "families": 10, "months": 7, "start": dt.date(2024, 1, 1), "seed": 1, field: value,
    }  # fmt: skip
    with pytest.raises(ValidationError) as err:
        SimulationConfig.model_validate(options)
    assert fragment in str(err.value)
    assert field in str(err.value)


def test_write_refuses_non_empty_dir_and_leaves_nothing(
    small_population: Population, tmp_path: Path
) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        write_population(small_population, out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]  # no temp dir left behind
    write_population(small_population, out, overwrite=True)
    assert not (out / "keep.txt").exists()
    assert (out / "truth.parquet").exists()


def test_write_to_missing_parent_fails_cleanly(
    small_population: Population, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="parent directory does not exist"):
        write_population(small_population, tmp_path / "no" / "such" / "dir")


def test_progress_increments_add_up_to_the_total() -> None:
    cfg = SimulationConfig(families=50, months=9, start=dt.date(2024, 1, 1), seed=2)
    seen: list[int] = []
    simulate(cfg, progress=seen.append)
    assert sum(seen) == cfg.progress_total
    assert all(k > 0 for k in seen)
