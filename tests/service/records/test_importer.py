"""The bulk importer of a simulator directory: round trip through the loader, re-runs add
nothing, IINs only as keyed hashes, bad directories refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from features.simulator import Population
from service.auth.security import hash_iin
from service.records.importer import import_directory, import_events
from service.storage.db import make_engine, read_connection
from service.storage.events import load_events
from service.storage.migrate import upgrade
from service.storage.tables import Person
from tests.service.conftest import IIN_KEY


def test_import_round_trips_through_the_loader(
    db_url: str, small_population: Population, population_dir: Path
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    key = IIN_KEY.encode()
    first = import_directory(engine, population_dir, iin_key=key)
    events = small_population.events
    assert first.inserted["families"] == events.families.height
    assert first.inserted["police_signals"] == events.police_signals.height
    again = import_events(engine, events, iin_key=key)
    assert sum(again.inserted.values()) == 0
    assert again.skipped["persons"] == events.persons.height
    with read_connection(engine) as conn:
        loaded = load_events(conn)
    for table in ("families", "school_surveys", "medical_screenings", "police_signals", "outcomes"):
        want = getattr(events, table).sort(pl.first())
        got = getattr(loaded, table).sort(pl.first())
        assert got.equals(want), table
    # Persons come back without names and IINs (the scoring path is pseudonymous).
    assert loaded.persons["full_name"].null_count() == loaded.persons.height
    assert loaded.persons["iin"].null_count() == loaded.persons.height
    with Session(engine) as session:
        iin = events.persons["iin"][0]
        person = session.scalar(select(Person).where(Person.iin_hash == hash_iin(iin, key=key)))
        assert person is not None
        assert person.person_id == events.persons["person_id"][0]
        stored = " ".join(session.scalars(select(Person.iin_hash)).all()[:50])
        assert iin not in stored
    engine.dispose()


@pytest.mark.parametrize("table", ["families", "police_signals"])
def test_import_refuses_bad_directories_before_writing(tmp_path: Path, table: str) -> None:
    from features.loaders import DataValidationError

    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(engine)
    (tmp_path / "data").mkdir()
    with pytest.raises(DataValidationError):
        import_directory(engine, tmp_path / "data", iin_key=b"k" * 32)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
    engine.dispose()
