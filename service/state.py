"""What one running service holds: settings, secrets, database, throttle and the model source."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.login_throttle import LoginThrottle
from service.model_source import ModelSource
from service.security import Secrets
from service.settings import Settings


@dataclass
class ServiceState:
    settings: Settings
    secrets: Secrets
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    models: ModelSource
    throttle: LoginThrottle
