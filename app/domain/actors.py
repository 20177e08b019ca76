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

    @classmethod
    def user(cls, user_id: int, email: str) -> Actor:
        return cls("user", user_id, email)

    @classmethod
    def token(cls, token_id: int, name: str) -> Actor:
        return cls("token", token_id, f"token:{name}")

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls("system", None, label)
