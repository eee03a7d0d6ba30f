"""Passwords (argon2), access tokens (JWT), the keyed IIN hash and secrets."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from features.atomic import write_atomic
from service.api_types import MAX_DB_INT
from service.settings import Settings

#: Argon2id with the OWASP minimum (19 MiB, 2 passes): slow for attackers, quick enough to log in.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_ALGORITHM = "HS256"
_MIN_SECRET_CHARS = 32
#: Values people paste from examples; refused outside demo mode whatever their length.
_DEFAULT_SECRETS = frozenset({"", "changeme", "change-me", "secret", "default", "demo", "test"})
SECRETS_FILE = "secrets.json"


class InsecureSettingsError(RuntimeError):
    """A secret is missing or a default outside demo mode."""


class InvalidTokenError(Exception):
    """The access token is malformed, expired or not signed with our key."""


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash` (never raises on a mismatch)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_iin(iin: str, *, key: bytes) -> str:
    """The keyed hash (HMAC-SHA256, hex) that stands for an IIN everywhere in storage."""
    return hmac.new(key, iin.encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    username: str
    role: str
    expires: dt.datetime
    #: The user's `token_version` when the token was issued; a reset, disable or logout raises
    #: the user's, and the token stops working.
    version: int = 0
    #: Issued for a one-time password: good only for changing the password.
    password_change: bool = False


def create_access_token(
    *,
    user_id: int,
    username: str,
    role: str,
    key: str,
    minutes: int,
    version: int = 0,
    password_change: bool = False,
) -> tuple[str, dt.datetime]:
    """A signed JWT for the user and its expiry time (UTC). `version` is the user's token
    version; `password_change` restricts the token to changing the password."""
    now = dt.datetime.now(dt.UTC)
    expires = now + dt.timedelta(minutes=minutes)
    claims: dict[str, object] = {
        "sub": str(user_id),
        "name": username,
        "role": role,
        "ver": version,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    if password_change:
        claims["pwc"] = True
    return jwt.encode(claims, key, algorithm=_ALGORITHM), expires


def decode_access_token(token: str, *, key: str) -> TokenClaims:
    """Verify signature and expiry; raise `InvalidTokenError` (without the token) otherwise."""
    try:
        claims = jwt.decode(
            token, key, algorithms=[_ALGORITHM], options={"require": ["exp", "ver"]}
        )
        version = claims["ver"]
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("ver")
        user_id = int(claims["sub"])
        if not 1 <= user_id <= MAX_DB_INT:  # a signed but absurd id is no user: 401, not 500
            raise ValueError("sub")
        return TokenClaims(
            user_id=user_id,
            username=str(claims["name"]),
            role=str(claims["role"]),
            expires=dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC),
            version=version,
            password_change=claims.get("pwc") is True,
        )
    except (jwt.PyJWTError, KeyError, ValueError, OverflowError) as exc:
        raise InvalidTokenError(type(exc).__name__) from None


@dataclass(frozen=True)
class Secrets:
    token_key: str
    iin_hash_key: bytes


def _weak(value: str) -> bool:
    return value.strip().lower() in _DEFAULT_SECRETS or len(value) < _MIN_SECRET_CHARS


def resolve_secrets(settings: Settings) -> Secrets:
    """The signing and IIN-hash keys.

    Outside demo mode both must be set (`PATRONAGE_TOKEN_KEY`, `PATRONAGE_IIN_HASH_KEY`), at least
    32 characters and not a known default; otherwise `InsecureSettingsError`. In demo mode missing
    keys are generated once and kept in `$PATRONAGE_HOME/secrets.json` (mode 0600), so IIN hashes
    stay stable across restarts.
    """
    token = settings.token_key.get_secret_value() if settings.token_key else None
    iin = settings.iin_hash_key.get_secret_value() if settings.iin_hash_key else None
    if not settings.demo:
        problems = [
            f"{name}: expected a secret of at least {_MIN_SECRET_CHARS} characters that is not "
            f"a default, got {'nothing' if value is None else 'a weak value'}"
            for name, value in (("PATRONAGE_TOKEN_KEY", token), ("PATRONAGE_IIN_HASH_KEY", iin))
            if value is None or _weak(value)
        ]
        if problems:
            raise InsecureSettingsError(
                "refusing to start outside demo mode: " + "; ".join(problems)
            )
        assert token is not None
        assert iin is not None
        return Secrets(token_key=token, iin_hash_key=iin.encode())
    stored = _demo_secrets(settings.resolved_home)
    return Secrets(
        token_key=token or stored["token_key"],
        iin_hash_key=(iin or stored["iin_hash_key"]).encode(),
    )


def _demo_secrets(home: Path) -> dict[str, str]:
    path = home / SECRETS_FILE
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
        return data
    home.mkdir(parents=True, exist_ok=True)
    data = {"token_key": secrets.token_urlsafe(48), "iin_hash_key": secrets.token_urlsafe(48)}
    write_private_json(path, data)
    return data


def write_private_json(path: Path, data: object) -> None:
    """Write JSON readable by the owner only (0600 from the first byte), atomically."""
    write_atomic(path, json.dumps(data, indent=2).encode("utf-8"))
