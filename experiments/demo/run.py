"""The demo's steps in order, on one service state: what `patronage demo` runs before serving."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from experiments.demo import alerts, council, steps, users
from experiments.model_source import TrackingModelSource
from features.months import parse_month
from service.model_source import Champion
from service.state import ServiceState


@dataclass(frozen=True)
class DemoReady:
    """What the demo prepared: the month of its lists, the champion and the credentials file."""

    month: str
    champion: Champion
    credentials: Path
    alerts: alerts.AlertsResult
    council: council.CouncilResult | None = None


def prepare_demo(
    state: ServiceState, *, models: TrackingModelSource, families: int, say: steps.Say
) -> DemoReady:
    """Population, import, champion, lists, users, the council's decisions and referrals
    (`experiments.demo.council`) and alerts under the settings' home.

    `models` is the state's model source: the champion step refreshes it after training, so
    the alerts are re-scored by the model the lists were built with. Raises `DemoError`."""
    home = state.settings.resolved_home
    data = steps.ensure_population(home, families=families, say=say)
    steps.ensure_imported(state.engine, data, iin_key=state.secrets.iin_hash_key, say=say)
    with state.sessions() as session:
        month = steps.latest_month(session)
    until = parse_month(month)
    champion = steps.ensure_champion(models, state.engine, until=until, say=say)
    with state.sessions() as session:
        steps.ensure_lists(state.engine, session, champion, month=month, say=say)
        credentials = users.ensure_demo_users(session, home, say=say)
        # The council decides on part of the lists; the agencies act on the referrals.
        played = council.ensure_council(session, month, say=say)
    made = alerts.ensure_alerts(state, alerts.person_iins(data), month=month, say=say)
    return DemoReady(
        month=month, champion=champion, credentials=credentials, alerts=made, council=played
    )
