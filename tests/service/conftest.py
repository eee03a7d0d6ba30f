"""Fixtures of the service tests: a migrated database (SQLite, and PostgreSQL when reachable),
an app on it with a seeded registry, and one token per role and district.

The app's database is a copy of a migrated and seeded template built once per test process
(`tests.service.seeded_db`); `db_url` and `sqlite_url` still name an empty database (a SQLite
file not yet there), for the tests of the migrations and the storage."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.roles import Principal, UserRole
from service.main import create_app
from service.model_source import Champion, ModelSource, StaticModelSource
from service.settings import Settings
from service.state import ServiceState
from service.storage.tables import User
from tests.service.checkpoint_key import checkpoint_key_file
from tests.service.factory import Seeded, auth, seed_registry
from tests.service.scratch_db import admin_connection, scratch_database
from tests.service.seeded_db import Template, copy_sqlite_template, postgres_copy, postgres_template

TOKEN_KEY = "test-token-key-" + "x" * 40
IIN_KEY = "test-iin-key-" + "y" * 40


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'patronage.db'}"
        return
    import psycopg

    try:
        admin = admin_connection()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432: {type(exc).__name__}")
    with scratch_database(admin, "patronage_test") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'patronage.db'}"


@pytest.fixture(scope="session")
def postgres_template_db() -> Iterator[Template]:
    """This test process's PostgreSQL template: migrated, seeded, dropped at the end."""
    import psycopg

    try:
        admin = admin_connection()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432: {type(exc).__name__}")
    with postgres_template(admin, iin_key=IIN_KEY.encode()) as template:
        yield template


@dataclass(frozen=True)
class SeededDatabase:
    """A migrated database holding the seeded registry (a copy of the template)."""

    url: str
    seeded: Seeded


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def seeded_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SeededDatabase]:
    """A migrated, seeded database of each backend, this test's own: a copy of the template
    (the SQLite file `tmp_path/patronage.db`, or a new PostgreSQL database dropped after)."""
    if request.param == "sqlite":
        path = tmp_path / "patronage.db"
        seeded = copy_sqlite_template(path, iin_key=IIN_KEY.encode())
        yield SeededDatabase(url=f"sqlite:///{path}", seeded=seeded)
        return
    template: Template = request.getfixturevalue("postgres_template_db")
    with postgres_copy(template) as url:
        yield SeededDatabase(url=url, seeded=template.seeded_copy())


def make_settings(home: Path, url: str, *, demo: bool = False) -> Settings:
    return Settings(
        home=home,
        database_url=url,
        token_key=TOKEN_KEY,
        iin_hash_key=IIN_KEY,
        demo=demo,
        checkpoint_key_file=checkpoint_key_file(home),
    )


@dataclass
class Service:
    app: FastAPI
    client: TestClient
    state: ServiceState
    seeded: Seeded

    def user(self, role: UserRole, district: str | None = None) -> Principal:
        return self.seeded.users[(role, district)]

    def headers(self, role: UserRole, district: str | None = None) -> dict[str, str]:
        """A fresh token of the user, at their current token version (a logout raises it)."""
        user = self.user(role, district)
        with self.state.read_sessions() as session:
            version = session.scalar(select(User.token_version).where(User.id == user.id))
        return auth(user, TOKEN_KEY, version=version or 0)


def build_service(
    home: Path, url: str, models: ModelSource | None = None, *, seeded: Seeded | None = None
) -> Iterator[Service]:
    """The app on `url` holding the seeded registry, its engine disposed at the end.

    `seeded`: the database already holds it (a `seeded_db`). Else a SQLite URL of a file not
    there yet gets a copy of the seeded template, and any other database is migrated by
    `create_app` and seeded then."""
    sqlite_file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if seeded is None and sqlite_file is not None and not sqlite_file.exists():
        seeded = copy_sqlite_template(sqlite_file, iin_key=IIN_KEY.encode())
    app = create_app(make_settings(home, url), models=models or StaticModelSource())
    state: ServiceState = app.state.patronage
    if seeded is None:
        with state.sessions() as session:
            seeded = seed_registry(session, iin_key=state.secrets.iin_hash_key)
    with TestClient(app) as client:
        yield Service(app=app, client=client, state=state, seeded=seeded)
    state.engine.dispose()


@pytest.fixture
def service(tmp_path: Path, seeded_db: SeededDatabase) -> Iterator[Service]:
    """The app on a fresh database of each backend, with the seeded registry and users."""
    yield from build_service(tmp_path, seeded_db.url, seeded=seeded_db.seeded)


@pytest.fixture
def sqlite_service(tmp_path: Path, sqlite_url: str) -> Iterator[Service]:
    """The app on a fresh SQLite database (for tests whose subject is not the storage)."""
    yield from build_service(tmp_path, sqlite_url)


@pytest.fixture(scope="session")
def champion(tmp_path_factory: pytest.TempPathFactory) -> Champion:
    """A tiny real RiskModel fitted on features built from the seeded registry (seeded)."""
    import datetime as dt

    import numpy as np

    from features.pipeline import build_features
    from model.risk_model import RiskModel
    from model.training import BoosterParams
    from service.storage.db import make_engine, read_connection
    from service.storage.events import load_events
    from service.storage.migrate import upgrade

    home = tmp_path_factory.mktemp("model")
    engine = make_engine(f"sqlite:///{home / 'fit.db'}")
    upgrade(engine)
    with Session(engine) as session:
        seed_registry(session, iin_key=IIN_KEY.encode(), families_per_district=60, seed=5)
    with read_connection(engine) as conn:
        events = load_events(conn)
    engine.dispose()
    rng = np.random.default_rng(3)

    def frame(as_of: dt.date) -> tuple[pl.DataFrame, np.ndarray]:
        features = build_features(events, as_of=as_of)
        calls = features["police_domestic_call_6m"].fill_null(0).to_numpy().astype(float)
        logit = -1.5 + 0.9 * calls + rng.normal(0, 0.5, len(calls))
        return features, (rng.random(len(calls)) < 1 / (1 + np.exp(-logit))).astype(int)

    train, y = frame(dt.date(2025, 3, 1))
    valid, y_valid = frame(dt.date(2025, 5, 1))
    params = BoosterParams(num_boost_round=40, early_stopping_rounds=10, min_data_in_leaf=5)
    model = RiskModel(params=params).fit(
        train, y, valid_features=valid, y_valid=y_valid, trained_until=dt.date(2025, 5, 1)
    )
    return Champion(model=model, version="7")


@pytest.fixture
def listed_service(tmp_path: Path, sqlite_url: str, champion: Champion) -> Iterator[Service]:
    """SQLite app with a champion and the lists of 2025-05 and 2025-06 generated."""
    for service in build_service(tmp_path, sqlite_url, StaticModelSource(champion)):
        headers = service.headers(UserRole.admin)
        for month in ("2025-05", "2025-06"):
            response = service.client.post("/v1/lists", json={"month": month}, headers=headers)
            assert response.status_code == 201, response.text
        yield service
