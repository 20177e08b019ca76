"""Staff login and logout, and a user changing their own password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.http.auth import (
    PASSWORD_MAX_LENGTH,
    EditorUser,
    OptionalUser,
    actor_for_user,
    dummy_hash,
    hash_password,
    is_local_path,
    verify_password,
)
from app.http.deps import SessionDep
from app.http.templating import templates
from app.schemas.admin import PasswordChange
from app.store.queries import users as user_queries
from app.store.sessions import COOKIE_NAME, create_session, end_session
from app.web.forms import FormFields, parse_form

router = APIRouter()

STAFF_HOME = "/staff/"
# One message whatever went wrong, so the page never tells whether an account exists or is disabled.
LOGIN_FAILED = "Wrong e-mail address or password."


def client_ip(request: Request) -> str:
    # Behind a proxy uvicorn's proxy_headers has already put the forwarded address here.
    return request.client.host if request.client else "unknown"


def _safe_next(value: str | None) -> str:
    if value and is_local_path(value) and not value.startswith("/staff/login"):
        return value
    return STAFF_HOME


def _login_page(
    request: Request, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> Response:
    context.setdefault("email", "")
    context.setdefault("errors", {})
    context.setdefault("message", None)
    response = templates.TemplateResponse(request, "staff/login.html", context, status_code=status, headers=headers)
    return response


def _wait_words(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@router.get("/staff/login", response_class=HTMLResponse, name="auth:login")
def login_form(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    notice = "You are logged out." if request.query_params.get("logged_out") == "1" else None
    return _login_page(request, next=_safe_next(next), notice=notice)


@router.post("/staff/login", response_class=HTMLResponse, name="auth:login_post")
def login(request: Request, session: SessionDep, form: FormFields) -> Response:
    email = form.get("email", "").strip()[:320]
    password = form.get("password", "")
    next_path = _safe_next(form.get("next"))
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your e-mail address."
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        return _login_page(request, status=422, email=email, errors=errors, next=next_path)

    ip = client_ip(request)
    user_queries.lock_login_attempts(session=session, ip=ip, email=email)
    wait = user_queries.login_retry_after(session=session, ip=ip, email=email)
    if wait is not None:
        # Not counted and not checked: a locked-out attacker learns nothing more by trying.
        return _login_page(
            request,
            status=429,
            headers={"Retry-After": str(wait)},
            email=email,
            next=next_path,
            message=f"Too many failed logins. Try again in {_wait_words(wait)}.",
        )

    user = user_queries.get_user_by_email(email, session=session)
    if len(password) > PASSWORD_MAX_LENGTH:
        password_ok = False
    else:
        password_ok = verify_password(password, user.password_hash if user is not None else dummy_hash())
    if user is None or not user.is_active or not password_ok:
        user_queries.record_login_attempt(session=session, ip=ip, email=email, succeeded=False)
        return _login_page(request, status=400, email=email, next=next_path, message=LOGIN_FAILED)

    user_queries.record_login_attempt(session=session, ip=ip, email=email, succeeded=True)
    # A fresh id at every login (no session fixation), and whatever this browser had before is over.
    end_session(session=session, secret=request.cookies.get(COOKIE_NAME))
    secret, _row = create_session(session=session, user=user, ip=ip, user_agent=request.headers.get("user-agent"))
    user_queries.record_login(user, session=session)
    # Housekeeping on the rare happy path rather than in a scheduler nobody remembers to run.
    user_queries.prune_auth_records(session=session)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        secret,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/staff/logout", name="auth:logout")
def logout(request: Request, session: SessionDep) -> Response:
    end_session(session=session, secret=request.cookies.get(COOKIE_NAME))
    response = RedirectResponse("/staff/login?logged_out=1", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


def _account_page(
    request: Request, *, errors: dict[str, str] | None = None, status: int = 200, **context: Any
) -> Response:
    notice = "Your password was changed; your other sessions were ended." if request.query_params.get("done") else None
    return templates.TemplateResponse(
        request,
        "staff/account.html",
        {"errors": errors or {}, "notice": notice if status == 200 else None, **context},
        status_code=status,
    )


@router.get("/staff/account", response_class=HTMLResponse, name="auth:account")
def account(request: Request, user: EditorUser) -> Response:
    return _account_page(request)


@router.post("/staff/account", response_class=HTMLResponse, name="auth:account_post")
def change_own_password(request: Request, user: EditorUser, session: SessionDep, form: FormFields) -> Response:
    ip = client_ip(request)
    # Guessing the current password through this form counts like failed logins, so a borrowed session
    # cannot be turned into a stolen account by trying passwords here.
    wait = user_queries.login_retry_after(session=session, ip=ip, email=user.email)
    if wait is not None:
        return _account_page(
            request,
            status=429,
            errors={"current_password": f"Too many wrong passwords. Try again in {_wait_words(wait)}."},
        )
    data, errors = parse_form(PasswordChange, form)
    current = form.get("current_password", "")
    if len(current) > PASSWORD_MAX_LENGTH or not verify_password(current, user.password_hash):
        user_queries.record_login_attempt(session=session, ip=ip, email=user.email, succeeded=False)
        errors = {**errors, "current_password": "This is not your current password."}
    if data is None or errors:
        return _account_page(request, errors=errors, status=422)
    user_queries.set_password(
        user,
        session=session,
        password_hash=hash_password(data.password),
        actor=actor_for_user(user),
        keep_session_id=request.state.user_session.id,
    )
    return RedirectResponse("/staff/account?done=1", status_code=303)
