"""The database as the source: simulate -> upload the history through the bulk path as the admin
would -> export -> every table equal to the simulated one -> the model trained from the database
has the simulated files' data fingerprint and predictions (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from experiments.cli import app
from experiments.data_source import DataSourceError, load_database, load_source
from experiments.training import TrainingConfig, train
from features.contracts import EVENT_TABLES, TABLES
from features.loaders import load_events
from features.pipeline import build_features
from features.pipeline.labels import build_labels
from features.simulator import SimulationConfig, simulate, write_population
from model.training import BoosterParams
from service.auth.roles import Principal
from service.auth.security import hash_iin, hash_password
from service.imports.run import import_rows
from service.model_source import StaticModelSource
from service.records.export import export_contract
from service.records.importer import import_directory
from service.settings import Settings, get_settings
from service.state import build_state
from service.storage.db import make_engine
from service.storage.migrate import upgrade
from service.storage.tables import AccessLogEntry, User
from tests.service.checkpoint_key import checkpoint_key_file
from tests.service.conftest import IIN_KEY, TOKEN_KEY, db_url  # noqa: F401 (fixture)

UNTIL = dt.date(2024, 10, 1)
KEY = IIN_KEY.encode()
#: Columns that identify a row of each table (the simulator's ids are unique).
KEYS = {
    "families": ["family_id"],
    "persons": ["person_id"],
    "school_surveys": ["record_id"],
    "medical_screenings": ["record_id"],
    "police_signals": ["record_id"],
    "outcomes": ["record_id"],
}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("sim") / "data"
    config = SimulationConfig(families=400, months=24, start=dt.date(2023, 1, 1), seed=11)
    write_population(simulate(config), data)
    return data


@pytest.fixture
def uploaded(db_url: str, simulated: Path) -> Iterator[tuple[Engine, Principal]]:  # noqa: F811
    engine = make_engine(db_url)
    upgrade(engine)
    with Session(engine) as session:
        admin = User(
            username="admin.export", password_hash=hash_password("x" * 20), role="admin",
            district=None, institution_id=None, active=True,
        )  # fmt: skip
        session.add(admin)
        session.commit()
        principal = Principal.of(admin)
    # The admin's uploads, one file per kind, through the bulk path the API's uploads take:
    # the register extract first, then the history (knowledge dates kept, marked historical).
    with Session(engine) as session:
        for table in EVENT_TABLES:
            result = import_rows(
                session, principal=principal, kind=table,
                rows_or_file=simulated / f"{table}.parquet", historical=True, iin_key=KEY,
            )  # fmt: skip
            assert result.ok, (table, result.errors[:3])
            assert result.stored + result.police_outcomes > 0, table
    yield engine, principal
    engine.dispose()


def _pseudonymous(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The simulated table as the service may hold it: IINs as their keyed hash, no names."""
    if table != "persons":
        return frame
    hashes = [hash_iin(iin, key=KEY) for iin in frame["iin"].to_list()]
    return frame.with_columns(
        pl.Series("iin", hashes, dtype=pl.String), pl.lit(None, dtype=pl.String).alias("full_name")
    )


def _config() -> TrainingConfig:
    params = BoosterParams(num_boost_round=60, early_stopping_rounds=10, min_data_in_leaf=5)
    return TrainingConfig(
        until=UNTIL, params=params, fairness=False, baselines=False, candidates=("lightgbm",),
        judging="held_out",  # the population is too short to judge out of time
    )  # fmt: skip


def test_the_round_trip_is_exact_and_trains_the_same_model(
    uploaded: tuple[Engine, Principal], simulated: Path, tmp_path: Path
) -> None:
    engine, admin = uploaded
    out = tmp_path / "export"
    with Session(engine) as session:
        counts = export_contract(engine, session, out, user=admin)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in EVENT_TABLES)

    files = load_events(simulated)
    exported = load_events(out)
    for table in EVENT_TABLES:
        expected = _pseudonymous(table, getattr(files, table)).sort(KEYS[table])
        got = getattr(exported, table).sort(KEYS[table])
        assert got.schema == TABLES[table] or table == "persons"
        assert_frame_equal(got, expected, check_dtypes=True)
        assert counts[table] == expected.height > 0
    # The export is in the access log: who, which table, how many rows.
    with Session(engine) as session:
        actions = set(
            session.scalars(
                select(AccessLogEntry.action).where(
                    AccessLogEntry.username == "admin.export",
                    AccessLogEntry.action.like("export.%"),
                )
            )
        )
    assert actions == {f"export.{t} rows={counts[t]}" for t in EVENT_TABLES}

    settings = Settings(
        database_url=str(engine.url.render_as_string(hide_password=False)),
        home=tmp_path, token_key=TOKEN_KEY, iin_hash_key=IIN_KEY,
        checkpoint_key_file=checkpoint_key_file(tmp_path),
    )  # fmt: skip
    events = load_database(settings, purpose="train")
    with Session(engine) as session:
        reads = session.scalars(
            select(AccessLogEntry.action).where(AccessLogEntry.username == "cli-model")
        ).all()
    # Pseudonymous, but every family's records: the read is in the access log.
    assert reads == [f"read-records.train families={events.families.height}"]
    from_db = train(events, config=_config())
    from_files = train(files, config=_config())
    from_export = train(exported, config=_config())
    assert from_db.data_fingerprint == from_files.data_fingerprint
    assert from_export.data_fingerprint == from_files.data_fingerprint
    features = build_features(files, as_of=UNTIL)
    np.testing.assert_array_equal(
        from_db.model.score(features).probability, from_files.model.score(features).probability
    )
    assert from_db.metrics == from_files.metrics


def test_an_export_goes_only_into_a_new_or_empty_directory(
    uploaded: tuple[Engine, Principal], tmp_path: Path
) -> None:
    engine, admin = uploaded
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "other.txt").write_text("keep me")
    with Session(engine) as session:
        with pytest.raises(ValueError, match="not empty"):
            export_contract(engine, session, busy, user=admin)
        exports = select(func.count(AccessLogEntry.id)).where(
            AccessLogEntry.action.like("export.%")
        )
        assert session.scalar(exports) == 0
    assert [p.name for p in busy.iterdir()] == ["other.txt"]


def test_commands_read_the_database_without_data(
    simulated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("PATRONAGE_HOME", str(home))
    monkeypatch.setenv("PATRONAGE_TOKEN_KEY", TOKEN_KEY)
    monkeypatch.setenv("PATRONAGE_IIN_HASH_KEY", IIN_KEY)
    monkeypatch.setenv("PATRONAGE_CHECKPOINT_KEY_FILE", str(checkpoint_key_file(tmp_path)))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PATRONAGE_DEMO", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(DataSourceError, match="no database at"):
            load_source(None, purpose="train")
        engine = make_engine(get_settings().sqlalchemy_url)
        upgrade(engine)
        engine.dispose()
        with pytest.raises(DataSourceError, match="holds no families"):
            load_source(None, purpose="train")
        # Uploaded as the service would, so its access-log entries are anchored too.
        state = build_state(get_settings(), models=StaticModelSource())
        import_directory(state.engine, simulated, iin_key=KEY)
        state.engine.dispose()
        runner = CliRunner()
        out = tmp_path / "features.parquet"
        result = runner.invoke(app, ["features", "--as-of", "2024-06-01", "--out", str(out)])
        assert result.exit_code == 0, result.output + result.stderr
        from_db = pl.read_parquet(out)
        expected = build_features(load_events(simulated), as_of=dt.date(2024, 6, 1))
        assert_frame_equal(from_db.sort("family_id"), expected.sort("family_id"))
        labels = tmp_path / "labels.parquet"
        result = runner.invoke(app, ["labels", "--as-of", "2024-01-01", "--out", str(labels)])
        assert result.exit_code == 0, result.output + result.stderr
        assert pl.read_parquet(labels)["label"].sum() > 0

        # The audit of a scores file that has only family_id and a score: the groups and the
        # label come from the database.
        scores = tmp_path / "scores.csv"
        from_db.select("family_id", pl.col("police_signals_12m").alias("score")).write_csv(scores)
        audit = [
            "audit", "--scores", str(scores), "--score-col", "score", "--label-col", "label",
            "--group-col", "urban", "--top-pct", "10", "--n-boot", "0",
        ]  # fmt: skip
        refused = runner.invoke(app, audit)
        assert refused.exit_code == 2
        assert "give --as-of to build the labels" in " ".join(refused.stderr.split())
        report = tmp_path / "audit.json"
        result = runner.invoke(app, [*audit, "--as-of", "2024-01-01", "--json", str(report)])
        assert result.exit_code == 0, result.output + result.stderr
        audited = json.loads(report.read_text("utf-8"))
        files = load_events(simulated)
        assert audited["settings"]["n_rows"] == files.families.height
        expected_labels = build_labels(
            files.outcomes, families=files.families, as_of=dt.date(2024, 1, 1)
        )
        positives = sum(g["tp"] + g["fn"] for g in audited["groups"] if g["attribute"] == "urban")
        assert positives == expected_labels["label"].sum() > 0
        urban = {g["group"]: g["n"] for g in audited["groups"] if g["attribute"] == "urban"}
        counts = files.families["urban"].value_counts()
        assert urban == {str(k).lower(): v for k, v in counts.iter_rows()}
    finally:
        get_settings.cache_clear()
