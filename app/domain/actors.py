"""Who made a change: a staff user, an API token, or the system (CLI, demo loader).

Every write function takes an Actor so the audit trail can say who did what, whichever door it came in by.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Literal

ActorKind = Literal["user", "token", "system"]

# The id of the request being served: set by the HTTP layer, stamped on log lines and audit entries.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: int | None
    label: str  # an e-mail address, a token's name, or the command
    role: str | None = None  # a user's role (editor, admin)

    @classmethod
    def user(cls, user_id: int, email: str, role: str | None = None) -> Actor:
        return cls("user", user_id, email, role)

    @classmethod
    def token(cls, token_id: int, name: str) -> Actor:
        return cls("token", token_id, f"token:{name}")

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls("system", None, label)


def public_role(actor: Actor) -> str:
    """Who made a change, as investors may see it: a role, never a person (no e-mail, no token name)."""
    if actor.label.startswith("cli:") or actor.label == "cli":
        return "cli"
    if actor.kind == "token":
        return "token"
    if actor.kind == "user":
        return actor.role if actor.role in ("editor", "admin") else "editor"
    return "system"
