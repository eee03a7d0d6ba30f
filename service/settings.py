"""The one settings object of patronage (pydantic-settings), behind a cached `get_settings()`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
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
    checkpoint_key_file: Path | None = Field(
        default=None,
        description="Ed25519 private key (PEM) that signs the access log's checkpoints; keep it "
        "where the database's writers cannot read it. Required outside demo mode (demo: "
        "generated under `home`).",
    )
    checkpoint_file: Path | None = Field(
        default=None,
        description="Append-only JSON-lines file of the access log's signed checkpoints; put it "
        "where the database's writers cannot write. Default: under `home`.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed (`patronage serve` hands them to "
        "uvicorn). Empty: no proxy is trusted and the client is the TCP peer.",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark cookies Secure even when the request did not arrive over HTTPS "
        "(behind a TLS proxy that is not in `trusted_proxies`). Over HTTPS they always are.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest request body, except file uploads."
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest multipart/form-data body (file uploads such as POST /v1/imports).",
    )
    # Retention (issue 14, `service.retention`, docs/data-protection.md): whole periods, at
    # least 1; `patronage retention --apply` destroys what is past them.
    retention_family_years: int = Field(
        default=5,
        description="Years a family's data is kept after its last activity (a record, a "
        "decision, case work), and never before the youngest member comes of age plus "
        "`retention_after_majority_years`.",
    )
    retention_after_majority_years: int = Field(
        default=1,
        description="Years a family's data is kept at least after the end of the year its "
        "youngest member turns 18.",
    )
    retention_unlinked_years: int = Field(
        default=2,
        description="Years a record whose subject the register never knew (unlinked) is kept "
        "after it was known to the service.",
    )
    retention_import_report_days: int = Field(
        default=365,
        description="Days an upload's job and its per-row report are kept after it ended.",
    )

    @field_validator(
        "retention_family_years",
        "retention_after_majority_years",
        "retention_unlinked_years",
        "retention_import_report_days",
        mode="before",
    )
    @classmethod
    def _positive_period(cls, value: object, info: ValidationInfo) -> object:
        """A retention period of zero or less would destroy data at once: refused, naming the
        environment variable."""
        name = f"PATRONAGE_{str(info.field_name).upper()}"
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(
                f"{name}: expected a whole number of at least 1, got {value!r}"
            ) from None
        if number < 1:
            raise ValueError(f"{name}: expected a whole number of at least 1, got {number}")
        return number

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

    @property
    def resolved_checkpoint_file(self) -> Path:
        if self.checkpoint_file is not None:
            return self.checkpoint_file.expanduser().resolve()
        return self.resolved_home / "access-log-checkpoints.jsonl"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
