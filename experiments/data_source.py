"""Where the commands read their events: a directory of the Parquet contract, or the service's
database.

`patronage train`, `evaluate`, `score`, `explain`, `features` and `labels` read `--data DIR`
when it is given (a `patronage simulate` or `patronage export` directory) and otherwise the
service's own database (`DATABASE_URL`, else `$PATRONAGE_HOME/patronage.db`), through
`service.records.export.load_contract`, the loader `patronage export` writes from. Both paths
validate with `features.loaders.validate_events`, so the same records give the same frames,
the same data fingerprint and the same model. The simulator's hidden truth exists only in a
simulator directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from features.contracts import ASSISTANCE_SCHEMA, Events
from service.auth.roles import Principal
from service.settings import Settings, get_settings


class DataSourceError(ValueError):
    """No usable source: the message says which and what to do."""


@dataclass(frozen=True)
class Source:
    events: Events
    truth: pl.DataFrame | None
    name: str  # for messages: the directory, or the database URL without its password
    #: The council's measures (`family_id, decided_on, status, delivered_on`, ...) when asked
    #: for and known: the simulator's `assistance.parquet`, or the service's case tables.
    #: Only evaluation reads them (`experiments.helped`); never a feature.
    measures: pl.DataFrame | None = None


def database_name(settings: Settings) -> str:
    """The database URL as it may be shown (password hidden)."""
    return make_url(settings.sqlalchemy_url).render_as_string(hide_password=True)


#: The local user the model commands' database reads are logged as.
CLI_READER: Final = "cli-model"


def load_database(settings: Settings | None = None, *, purpose: str) -> Events:
    """Every linked record of the service's database, migrated first (idempotent); the read is
    written to the access log as `cli-model` reading for `purpose` (the command's name)."""
    return _read_database(settings, purpose=purpose, measures=False)[0]


#: Access-log action of a command's read of the council's measures (evaluation only).
MEASURES_ACTION: Final = "read-measures"


def read_measures(session: Session, *, user: Principal, purpose: str) -> pl.DataFrame:
    """Every case measure of the service (`family_id, person_id, measure, agency, target,
    decided_on, due_on, status, delivered_on`; `decided_on` is the day the measure was planned,
    `delivered_on` the day of its delivered step), for judging the model on helped families;
    the read is written to the access log. Never a feature."""
    from service.audit import access_log
    from service.storage.tables import Case, CaseMeasure, MeasureEvent

    delivered = (
        select(MeasureEvent.measure_id, func.min(MeasureEvent.on).label("delivered_on"))
        .where(MeasureEvent.status_to == "delivered")
        .group_by(MeasureEvent.measure_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Case.family_id,
            CaseMeasure.person_id,
            CaseMeasure.measure,
            CaseMeasure.agency,
            CaseMeasure.target,
            CaseMeasure.created_on,
            CaseMeasure.due_on,
            CaseMeasure.status,
            delivered.c.delivered_on,
        )
        .join(Case, Case.id == CaseMeasure.case_id)
        .join(delivered, delivered.c.measure_id == CaseMeasure.id, isouter=True)
        .order_by(CaseMeasure.id)
    ).all()
    frame = pl.DataFrame(
        [tuple(r) for r in rows],
        schema={**ASSISTANCE_SCHEMA, "decided_on": pl.Date()},
        orient="row",
    ).select(list(ASSISTANCE_SCHEMA))
    access_log.log_read(
        session, user=user, action=f"{MEASURES_ACTION}.{purpose} rows={frame.height}"
    )
    return frame


def _read_database(
    settings: Settings | None, *, purpose: str, measures: bool
) -> tuple[Events, pl.DataFrame | None]:
    from service.auth.security import InsecureSettingsError
    from service.model_source import StaticModelSource
    from service.records.export import read_contract
    from service.records.importer import cli_principal
    from service.state import build_state

    settings = settings or get_settings()
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        raise DataSourceError(
            f"--data: not given, and there is no database at {url.database}: upload the "
            "district's records first (`patronage import`), set DATABASE_URL, or give "
            "--data DIR"
        )
    # The service's own state: the read goes into its access log, anchored by its checkpoints.
    try:
        state = build_state(settings, models=StaticModelSource())
    except InsecureSettingsError as exc:
        raise DataSourceError(str(exc)) from None
    try:
        with state.sessions() as session:
            user = cli_principal(session, CLI_READER)
            events = read_contract(state.engine, session, user=user, purpose=purpose)
            help_frame = read_measures(session, user=user, purpose=purpose) if measures else None
    finally:
        state.engine.dispose()
    if events.families.height == 0:
        raise DataSourceError(
            f"--data: not given, and the database {database_name(settings)} holds no families: "
            "upload the register extract first (`patronage import FILE --kind families`)"
        )
    return events, help_frame


def load_source(
    data: Path | None, *, purpose: str, truth: bool = False, measures: bool = False
) -> Source:
    """`--data DIR` (with the simulator's truth when asked and present), else the database (its
    read logged for `purpose`, the command's name). With `measures`, also the council's
    measures when the source has them: a simulator directory's `assistance.parquet`, the
    database's case measures (`read_measures`)."""
    from features.loaders import load_assistance, load_events, load_truth

    if data is not None:
        events = load_events(data)
        truth_frame = load_truth(data) if truth and (data / "truth.parquet").is_file() else None
        help_frame = load_assistance(data) if measures else None
        return Source(events=events, truth=truth_frame, name=str(data), measures=help_frame)
    settings = get_settings()
    events, help_frame = _read_database(settings, purpose=purpose, measures=measures)
    return Source(events=events, truth=None, name=database_name(settings), measures=help_frame)
