"""The `minedash` command: one group (base), its commands by job (server, data, accounts)."""

from app.cli import accounts, data, server  # noqa: F401  (importing a module registers its commands)
from app.cli.base import main

__all__ = ["main"]
