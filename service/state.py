"""What one running service holds: settings, secrets, database, throttle and the model source."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from experiments.settings import Settings
from service.login_throttle import LoginThrottle
from service.models import ModelSource
from service.security import Secrets


@dataclass
class ServiceState:
    settings: Settings
    secrets: Secrets
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    models: ModelSource
    throttle: LoginThrottle
