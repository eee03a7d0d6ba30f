"""The demo's data and model steps: population, import, latest month, champion, lists.

Each step checks what exists first and says what it reuses or creates through `say`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from experiments import tracking
from experiments.data_source import CLI_READER
from experiments.model_source import TrackingModelSource
from experiments.registration import register_run
from experiments.training import TrainingConfig, train
from features.loaders import DataValidationError
from features.months import format_month
from features.simulator import SimulationConfig, simulate, write_population
from service.lists.generate import generate_lists
from service.lists.schemas import SnapshotRead
from service.model_source import Champion
from service.records.export import read_contract
from service.records.importer import cli_principal
from service.storage.db import make_sessionmaker
from service.storage.tables import MedicalScreeningRow, PoliceSignalRow, SchoolSurveyRow, User

DEFAULT_FAMILIES: Final = 20_000
DATA_DIR: Final = "data"
#: The simulated history: the defaults of `patronage simulate`.
MONTHS: Final = 36
START: Final = dt.date(2023, 1, 1)
SEED: Final = 1
PROMOTION_REASON: Final = (
    "Demo on synthetic data: promoted despite a failed gate so the pages can be explored; "
    "never do this with real data."
)
Say = Callable[[str], None]


class DemoError(RuntimeError):
    """A demo step failed; the message says which and how to retry."""


def ensure_population(home: Path, *, families: int, say: Say) -> Path:
    """The simulator directory under `home`, simulated once."""
    data = home / DATA_DIR
    if (data / "config.json").is_file():
        config = json.loads((data / "config.json").read_text())
        say(f"reusing the simulated population in {data} ({config.get('families')} families)")
        return data
    say(f"simulating {families:,} families into {data}")
    config = SimulationConfig(families=families, months=MONTHS, start=START, seed=SEED)
    try:
        write_population(simulate(config), data)
    except (ValueError, OSError) as exc:
        raise DemoError(f"simulate: {exc}; remove {data} and re-run `make demo`") from None
    return data


def ensure_imported(engine: Engine, data: Path, *, iin_key: bytes, say: Say) -> None:
    """Feed the service as the agencies would (`experiments.demo.feed`): the register and the
    history as the admin's historical uploads, the last months as live submissions; rows
    already stored are not stored again."""
    from experiments.demo.feed import feed

    result = feed(engine, data, iin_key=iin_key, say=say)
    say(f"imported {result.historical:,} rows, {result.already:,} already present")
    say(f"{result.live:,} records submitted live, {result.replayed:,} already stored")


def latest_month(session: Session) -> str:
    """The month of the latest knowledge date of the imported records (its lists are generated).

    The history (no submitting user) and the agencies' live feed count; records submitted by
    the demo's own users (its alerts) are dated today and would otherwise move a re-run's lists
    to the current month, far from the simulated history."""
    from experiments.demo.feed import FEED_USERS

    feed_users = select(User.id).where(User.username.in_(list(FEED_USERS.values())))
    latest = max(
        (
            session.scalar(
                select(func.max(table.knowledge_date)).where(
                    table.submitted_by.is_(None) | table.submitted_by.in_(feed_users)
                )
            )
            for table in (SchoolSurveyRow, MedicalScreeningRow, PoliceSignalRow)
        ),
        default=None,
        key=lambda d: d or dt.date.min,
    )
    if latest is None:
        raise DemoError("the database holds no records: import a population first")
    return format_month(latest)


def ensure_champion(
    models: TrackingModelSource, engine: Engine, *, until: dt.date, say: Say
) -> Champion:
    """The registered champion; trains, audits and registers one when there is none.

    Training reads the service's database (as `patronage train` without `--data` does), never
    the simulator's files: the simulator only plays the agencies. It runs with the defaults of
    `patronage train`; a version that fails its gate is promoted as `patronage promote` would,
    with a written reason."""
    champion = models.champion()
    if champion is not None:
        say(f"reusing the champion model, version {champion.version}")
        return champion
    say(
        f"training from the database on records known before {until} (with fairness audit "
        "and promotion gate)"
    )
    try:
        with make_sessionmaker(engine)() as session:
            user = cli_principal(session, CLI_READER)
            events = read_contract(engine, session, user=user, purpose="train")
        result = train(events, config=TrainingConfig(until=until), progress=say)
        tracked = register_run(result, settings=models.settings, progress=say)
    except (DataValidationError, LookupError, ValueError) as exc:
        raise DemoError(f"train: {exc}") from None
    say(f"gate: {'passed' if result.gate.passed else 'failed'}")
    if not tracked.promoted:
        say(
            f"version {tracked.version} failed its gate; promoting it for the demo with a "
            "written reason"
        )
        try:
            tracking.promote(
                tracked.version, reason=PROMOTION_REASON, by="demo", settings=models.settings
            )
        except (tracking.PromotionError, LookupError) as exc:
            raise DemoError(f"promote: {exc}") from None
    models.refresh()
    champion = models.champion()
    if champion is None:
        raise DemoError("no champion model after training")
    say(f"champion model: version {champion.version}")
    return champion


def ensure_lists(
    engine: Engine, session: Session, champion: Champion, *, month: str, say: Say
) -> list[SnapshotRead]:
    """The lists of `month` for every district; lists already stored are kept."""
    say(f"generating the lists of {month} for every district")
    results = generate_lists(engine, session, champion, month=month)
    created = sum(r.created for r in results)
    say(f"{created} lists generated, {len(results) - created} already stored")
    return results
