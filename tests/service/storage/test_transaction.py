"""`transaction(session)`: the one place a write is committed, or rolled back as a whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.storage.db import make_engine, make_sessionmaker
from service.storage.migrate import upgrade
from service.storage.tables import DistrictSetting
from service.storage.transaction import transaction

Sessions = sessionmaker[Session]


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[Sessions]:
    """Sessions of a migrated SQLite database of the test's own."""
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def _capacities(sessions: Sessions) -> dict[str, float]:
    with sessions() as session:
        return {s.district: s.capacity for s in session.scalars(select(DistrictSetting))}


def test_a_completed_block_is_committed(sessions: Sessions) -> None:
    with sessions() as session:
        with transaction(session):
            session.add(DistrictSetting(district="Almaly", capacity=0.1))
        assert not session.in_transaction()
    assert _capacities(sessions) == {"Almaly": 0.1}  # seen by another session


def test_a_failed_block_leaves_nothing_and_the_session_reads_again(
    sessions: Sessions,
) -> None:
    def refused_write(session: Session) -> None:
        with transaction(session):
            session.add(DistrictSetting(district="Almaly", capacity=0.1))
            session.flush()
            raise RuntimeError("refused")

    with sessions() as session:
        with pytest.raises(RuntimeError, match="refused"):
            refused_write(session)
        assert session.scalars(select(DistrictSetting)).all() == []
    assert _capacities(sessions) == {}


def test_a_failed_commit_is_rolled_back(sessions: Sessions) -> None:
    with sessions() as session:
        with transaction(session):
            session.add(DistrictSetting(district="Almaly", capacity=0.1))
        with pytest.raises(Exception, match="UNIQUE"), transaction(session):
            session.add(DistrictSetting(district="Almaly", capacity=0.2))  # fails at the commit
        assert session.get(DistrictSetting, "Almaly") is not None  # usable again
    assert _capacities(sessions) == {"Almaly": 0.1}
