"""Settings read from the environment (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Used only so a first `make run` works without configuration; refused outside development.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message is one line meant for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./minedash.db"
    secret_key: str = DEV_SECRET_KEY
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Staff sessions: ended after this long without a request, and this long after login whatever happens.
    session_idle_minutes: int = Field(default=120, ge=1, le=7 * 24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=30 * 24)
    # Failed logins counted over a sliding window, per account and per client IP.
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_max_failures_per_account: int = Field(default=5, ge=1, le=1000)
    login_max_failures_per_ip: int = Field(default=20, ge=1, le=100000)
    # Argon2 takes 64 MiB and ~50 ms of one core per hash: at most this many run at once in a worker; a login
    # that cannot start one within PASSWORD_HASH_WAIT_SECONDS answers 503 with Retry-After instead of
    # piling up until the worker runs out of memory.
    password_hash_concurrency: int = Field(default=4, ge=1, le=64)
    password_hash_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (the reverse proxy's addresses, comma
    # separated; networks like 10.0.0.0/8 allowed). None by default: a forged header from anyone else would
    # otherwise choose the client IP the per-IP login limit counts against.
    forwarded_allow_ips: str = ""

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        value = value.strip()
        # Heroku-style URLs and bare postgresql:// should use psycopg 3, the driver we install.
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            if item == "*":
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (or *)") from None
        return ",".join(items)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == DEV_SECRET_KEY:
            raise ValueError(f"SECRET_KEY must be set when ENVIRONMENT={self.environment}")
        if self.environment != "development" and len(self.secret_key) < 32:
            raise ValueError("SECRET_KEY must be at least 32 characters")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    """Read the settings, turning pydantic's report into one readable line."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
