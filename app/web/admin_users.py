"""Admin pages for staff accounts: list, add, change role, disable and enable, reset the password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.http.auth import AdminUser, actor_for_user, hash_password
from app.http.deps import RowId, SessionDep
from app.http.templating import templates
from app.schemas.admin import PasswordReset, RoleUpdate, UserCreate
from app.store.models import User, UserRole
from app.store.queries import users as user_queries
from app.store.sessions import count_open_sessions
from app.web.forms import FormFields, parse_form

router = APIRouter()

ROLE_OPTIONS = [
    ("editor", "Editor: enters and publishes figures"),
    ("admin", "Admin: also manages accounts and companies"),
]
NOTICES = {
    "created": "The account was created. Tell its owner the password through a channel you trust.",
    "role": "The role was changed.",
    "disabled": "The account was disabled and all its sessions ended.",
    "enabled": "The account was enabled again.",
    "password": "The password was reset and all the account's sessions ended.",
}


def _user_or_404(user_id: int, session: Session) -> User:
    user = user_queries.get_user(user_id, session=session)
    if user is None:
        raise HTTPException(status_code=404, detail="No such account.")
    return user


@router.get("/staff/admin/users", response_class=HTMLResponse, name="admin:users")
def users_list(request: Request, user: AdminUser, session: SessionDep) -> Response:
    return templates.TemplateResponse(
        request, "staff/admin/users.html", {"users": user_queries.list_users(session=session), "me": user}
    )


def _new_user_page(request: Request, *, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    return templates.TemplateResponse(
        request,
        "staff/admin/user_new.html",
        {"values": values, "errors": errors, "role_options": ROLE_OPTIONS},
        status_code=status,
    )


@router.get("/staff/admin/users/new", response_class=HTMLResponse, name="admin:user_new")
def user_new_form(request: Request, user: AdminUser) -> Response:
    return _new_user_page(request, values={"role": "editor"}, errors={})


@router.post("/staff/admin/users/new", response_class=HTMLResponse, name="admin:user_new_post")
def user_new(request: Request, user: AdminUser, session: SessionDep, form: FormFields) -> Response:
    data, errors = parse_form(UserCreate, form)
    # Passwords are never sent back into the page.
    values = {"email": form.get("email", ""), "role": form.get("role", "editor")}
    if data is None:
        return _new_user_page(request, values=values, errors=errors, status=422)
    try:
        created = user_queries.create_user(
            session=session,
            email=data.email,
            password_hash=hash_password(data.password),
            role=data.role,
            actor=actor_for_user(user),
        )
    except user_queries.UserError as exc:
        return _new_user_page(request, values=values, errors={exc.field: exc.message}, status=422)
    return RedirectResponse(f"/staff/admin/users/{created.id}?done=created", status_code=303)


def _user_page(
    request: Request,
    *,
    account: User,
    me: User,
    session: Session,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    done = request.query_params.get("done")
    return templates.TemplateResponse(
        request,
        "staff/admin/user_detail.html",
        {
            "account": account,
            "me": me,
            "errors": errors or {},
            "values": {"role": account.role.value},
            "role_options": ROLE_OPTIONS,
            "open_sessions": count_open_sessions(session=session, user_id=account.id),
            "notice": NOTICES.get(done or "") if status == 200 else None,
        },
        status_code=status,
    )


@router.get("/staff/admin/users/{user_id}", response_class=HTMLResponse, name="admin:user")
def user_detail(request: Request, user_id: RowId, user: AdminUser, session: SessionDep) -> Response:
    return _user_page(request, account=_user_or_404(user_id, session), me=user, session=session)


@router.post("/staff/admin/users/{user_id}", response_class=HTMLResponse, name="admin:user_post")
def user_change(request: Request, user_id: RowId, user: AdminUser, session: SessionDep, form: FormFields) -> Response:
    """One URL, several forms on the page: `action` says which one was sent."""
    account = _user_or_404(user_id, session)
    action = form.get("action", "")
    actor = actor_for_user(user)
    try:
        if action == "role":
            data, errors = parse_form(RoleUpdate, form)
            if data is None:
                return _user_page(request, account=account, me=user, session=session, errors=errors, status=422)
            user_queries.update_user(account, session=session, actor=actor, role=data.role)
        elif action in ("disable", "enable"):
            user_queries.update_user(account, session=session, actor=actor, is_active=action == "enable")
            action = f"{action}d"
        elif action == "password":
            reset, errors = parse_form(PasswordReset, form)
            if reset is None:
                return _user_page(request, account=account, me=user, session=session, errors=errors, status=422)
            user_queries.set_password(
                account, session=session, password_hash=hash_password(reset.password), actor=actor
            )
        else:
            raise HTTPException(status_code=400, detail="Unknown action.")
    except user_queries.UserError as exc:
        return _user_page(
            request, account=account, me=user, session=session, errors={exc.field: exc.message}, status=422
        )
    if account.id == user.id and (not account.is_active or action == "password"):
        # Disabling one's own account or resetting one's own password has just ended this very session.
        return RedirectResponse("/staff/login", status_code=303)
    if account.id == user.id and account.role != UserRole.admin:
        return RedirectResponse("/staff/", status_code=303)
    return RedirectResponse(f"/staff/admin/users/{account.id}?done={action}", status_code=303)
