"""Passwords, the current staff user, and the role dependencies every staff route declares.

def page(user: EditorUser): ...   # editor or admin; anonymous -> 303 to the login page (401 under /api/)
def admin_page(user: AdminUser): ...  # admin only; an editor gets 403
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError
from pwdlib.hashers.argon2 import Argon2Hasher

from app.domain.actors import Actor
from app.domain.passwords import PASSWORD_MAX_LENGTH as PASSWORD_MAX_LENGTH
from app.domain.passwords import PASSWORD_MIN_LENGTH as PASSWORD_MIN_LENGTH
from app.domain.passwords import password_problem as password_problem
from app.http.deps import SessionDep
from app.settings import get_settings
from app.store.models import User, UserRole
from app.store.sessions import COOKIE_NAME, load_session

LOGIN_PATH = "/staff/login"

_hasher = PasswordHash((Argon2Hasher(),))


class HashingBusy(Exception):
    """Too many password hashes are running in this worker; the caller answers 503 with Retry-After."""


@lru_cache(maxsize=1)
def _hash_slots() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(get_settings().password_hash_concurrency)


@contextmanager
def _hash_slot() -> Iterator[None]:
    slots = _hash_slots()
    if not slots.acquire(timeout=get_settings().password_hash_wait_seconds):
        raise HashingBusy
    try:
        yield
    finally:
        slots.release()


def hash_password(password: str) -> str:
    with _hash_slot():
        return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    if len(password) > PASSWORD_MAX_LENGTH:
        return False
    try:
        with _hash_slot():
            return _hasher.verify(password, password_hash)
    except (PwdlibError, ValueError):
        return False


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash of nothing anyone knows, verified when the account does not exist so timing reveals nothing."""
    import secrets

    return hash_password(secrets.token_urlsafe(24))


def actor_for_user(user: User) -> Actor:
    return Actor.user(user.id, user.email, user.role.value)


class LoginRequired(Exception):  # a signal, not a failure
    """Raised by the role dependencies for an anonymous (or disabled) visitor."""


def get_optional_user(request: Request, session: SessionDep) -> User | None:
    """The logged-in, active user behind the session cookie, or None. Cached on the request."""
    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    active = load_session(session=session, secret=request.cookies.get(COOKIE_NAME))
    request.state.user = active.user if active else None
    request.state.user_session = active.row if active else None
    return active.user if active else None


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def require_editor(user: OptionalUser) -> User:
    if user is None:
        raise LoginRequired()
    return user


EditorUser = Annotated[User, Depends(require_editor)]


def require_admin(user: EditorUser) -> User:
    if user.role != UserRole.admin:
        raise HTTPException(status_code=403, detail="This page is for admins.")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


def login_url(next_path: str | None) -> str:
    if not next_path or not is_local_path(next_path) or next_path.startswith(LOGIN_PATH):
        return LOGIN_PATH
    return f"{LOGIN_PATH}?next={quote(next_path, safe='/')}"


def is_local_path(target: str) -> bool:
    """True for a path on this site ("/staff/x?y"), false for anything a browser could take elsewhere.

    Browsers treat "//host", "/\\host" and control characters inside URLs loosely, so all are refused.
    """
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    return not any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)


async def login_required_handler(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse(
            {"title": "Unauthorized", "status": 401, "detail": "Log in or send a bearer token."},
            status_code=401,
            media_type="application/problem+json",
            headers={"WWW-Authenticate": "Bearer"},
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    # A form posted after the session expired cannot be replayed; coming back to its page is the next best.
    next_path = target if request.method in ("GET", "HEAD") else request.url.path
    return RedirectResponse(login_url(next_path), status_code=303)
