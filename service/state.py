"""What one running service holds, and the one function that builds it.

`build_state` checks the secrets (refusing insecure ones outside demo mode), opens the engine and
migrates it; the app factory and the command-line jobs (lists, demo) call it alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.auth.login_throttle import LoginThrottle
from service.auth.security import Secrets, resolve_secrets
from service.model_source import ModelSource
from service.settings import Settings
from service.storage.anchor import Anchor, anchor_database
from service.storage.checkpoints import CheckpointFile, Signer, load_signing_key
from service.storage.db import make_engine, make_sessionmaker
from service.storage.migrate import upgrade


@dataclass
class ServiceState:
    settings: Settings
    secrets: Secrets
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    models: ModelSource
    throttle: LoginThrottle
    anchor: Anchor  # the access log's signed checkpoints (`service.storage.anchor`)


def build_state(settings: Settings, *, models: ModelSource) -> ServiceState:
    """Secrets and the checkpoint key checked first (`InsecureSettingsError` before anything
    is created), then a migrated engine, its access log checked against its signed checkpoints,
    its write and read-only sessions and the login throttle."""
    secrets = resolve_secrets(settings)
    signer = Signer(load_signing_key(settings))
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    anchor = anchor_database(engine, signer, CheckpointFile(settings.resolved_checkpoint_file))
    return ServiceState(
        settings=settings,
        secrets=secrets,
        engine=engine,
        sessions=make_sessionmaker(engine),
        read_sessions=make_sessionmaker(engine, read_only=True),
        models=models,
        throttle=LoginThrottle(engine, key=secrets.token_key.encode()),
        anchor=anchor,
    )
