"""The one settings object of patronage (pydantic-settings), behind a cached `get_settings()`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Read from the environment (`PATRONAGE_*`, plus the conventional `DATABASE_URL` and
    `MLFLOW_TRACKING_URI`). Tests override by calling `get_settings.cache_clear()` after
    changing the environment, or by passing a `Settings` object explicitly."""

    model_config = SettingsConfigDict(env_prefix="PATRONAGE_", extra="ignore")

    home: Path = Field(default=Path(".patronage"), description="Everything written at run time.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "PATRONAGE_DATABASE_URL"),
        description="SQLAlchemy URL; SQLite under `home` when unset.",
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "PATRONAGE_MLFLOW_TRACKING_URI"),
        description="MLflow tracking store; SQLite under `home` when unset.",
    )
    token_key: SecretStr | None = Field(default=None, description="Key that signs access tokens.")
    iin_hash_key: SecretStr | None = Field(default=None, description="Key of the IIN hash.")
    token_minutes: int = Field(default=60, ge=1, description="Access token lifetime.")
    demo: bool = Field(default=False, description="Demo mode: generated secrets are allowed.")
    model_name: str = Field(default="patronage-risk", description="Registered model name.")

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.resolved_home / 'patronage.db'}"

    @property
    def tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{self.resolved_home / 'mlflow.db'}"

    @property
    def artifact_root(self) -> Path:
        return self.resolved_home / "mlartifacts"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
