"""A running app for the UI tests: seeded registry, a tiny model trained on it, lists, users.

The model is fitted on synthetic labels drawn from the seeded families' own features: the pages
need realistic scores, bands and contributions, not a good model.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import uvicorn
from fastapi import FastAPI

from features.pipeline import build_features
from model.risk_model import RiskModel, feature_columns
from model.training import BoosterParams
from service.lists.generate import generate_lists
from service.main import create_app
from service.model_source import Champion, StaticModelSource
from service.storage.db import read_connection
from service.storage.events import load_events
from tests.service.conftest import make_settings
from tests.service.factory import PASSWORD, Seeded, seed_registry
from tests.service.server import free_port

MONTH = "2025-06"


@dataclass
class RunningApp:
    url: str
    app: FastAPI
    seeded: Seeded
    password: str = PASSWORD


def tiny_champion(app: FastAPI) -> Champion:
    """A small calibrated model fitted on the app's own families (seeded labels)."""
    state = app.state.patronage
    with read_connection(state.engine) as conn:
        events = load_events(conn)
    features = build_features(events, as_of=dt.date(2025, 6, 1))
    names = feature_columns(features)
    matrix = features.select(names).to_numpy().astype(float)
    signal = np.nan_to_num(matrix).sum(axis=1)
    signal = (signal - signal.mean()) / (signal.std() + 1e-9)
    rng = np.random.default_rng(7)
    y = (rng.random(len(signal)) < 1 / (1 + np.exp(-(signal - 0.5)))).astype(float)
    half = len(y) // 2
    model = RiskModel(params=BoosterParams(num_boost_round=20, min_data_in_leaf=5)).fit(
        features[:half], y[:half], valid_features=features[half:], y_valid=y[half:],
        trained_until=dt.date(2025, 5, 1),
    )  # fmt: skip
    return Champion(model=model, version="1")


@contextmanager
def running_app(home: Path) -> Iterator[RunningApp]:
    """Seed, train, generate the month's lists, then serve on a free loopback port."""
    settings = make_settings(home, f"sqlite:///{home / 'patronage.db'}")
    seed_app = create_app(settings, models=StaticModelSource())
    state = seed_app.state.patronage
    with state.sessions() as session:
        seeded = seed_registry(session, iin_key=state.secrets.iin_hash_key)
    champion = tiny_champion(seed_app)
    with state.sessions() as session:
        generate_lists(state.engine, session, champion, month=MONTH)
    state.engine.dispose()
    app = create_app(settings, models=StaticModelSource(champion))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the UI test server did not start within 30 s")
        time.sleep(0.05)
    try:
        yield RunningApp(url=f"http://127.0.0.1:{port}", app=app, seeded=seeded)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.patronage.engine.dispose()
