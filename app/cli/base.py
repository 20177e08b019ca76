"""The `minedash` command group, and its rule: an operator's mistake is one line and exit status 1."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from app.settings import SettingsError, get_settings
from app.store.db import (
    DatabaseUnavailable,
    describe_url,
    unavailable_reason,
)

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(f"minedash: error: {message}", err=True)
    sys.exit(1)


def clear_errors(func: F) -> F:
    """Turn the operator's mistakes (settings, database) and a locked or lost database into one line, exit 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (SettingsError, DatabaseUnavailable) as exc:
            _fail(str(exc))
        except SQLAlchemyError as exc:
            reason = unavailable_reason(exc)
            if reason is None:
                raise
            _fail(f"database {describe_url(get_settings().database_url)}: {reason}; try again in a moment")

    return wrapper  # type: ignore[return-value]


@click.group()
def main() -> None:
    """Minedash: production metrics of bitcoin-mining companies."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
