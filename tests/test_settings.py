from __future__ import annotations

import pytest

from app.settings import DEV_SECRET_KEY, Settings, SettingsError, load_settings


def test_default_database_is_a_local_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENVIRONMENT", "development")
    settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite:///./minedash.db"
    assert settings.is_sqlite


def test_postgres_urls_use_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db:5432/minedash")
    assert Settings(_env_file=None).database_url == "postgresql+psycopg://u@db:5432/minedash"


@pytest.mark.parametrize("environment", ["production", "test"])
def test_default_secret_refused_outside_development(monkeypatch: pytest.MonkeyPatch, environment: str) -> None:
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(SettingsError, match="SECRET_KEY must be set"):
        load_settings()


def test_default_secret_allowed_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert load_settings().secret_key == DEV_SECRET_KEY


def test_bad_settings_give_one_readable_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/x")
    monkeypatch.setenv("PORT", "not-a-port")
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "\n" not in message
    assert "DATABASE_URL" in message and "PORT" in message
