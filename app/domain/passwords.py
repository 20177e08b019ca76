"""The password policy for staff accounts (hashing itself lives with the login code in app.http.auth)."""

from __future__ import annotations

PASSWORD_MIN_LENGTH = 12
# Far above any real passphrase; stops a megabyte "password" from costing a hash.
PASSWORD_MAX_LENGTH = 1024


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"The password must be at least {PASSWORD_MIN_LENGTH} characters long."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"The password must be at most {PASSWORD_MAX_LENGTH} characters long."
    if not password.strip():
        return "The password cannot be only spaces."
    return None
