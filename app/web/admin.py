"""Admin pages: the index. Users, companies, sites, events and the network reference live in app/web/admin_*.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.http.auth import AdminUser
from app.http.templating import templates
from app.web import admin_companies, admin_network, admin_site_life, admin_users

router = APIRouter()
router.include_router(admin_users.router)
router.include_router(admin_companies.router)
router.include_router(admin_site_life.router)
router.include_router(admin_network.router)


@router.get("/staff/admin/", response_class=HTMLResponse, name="admin:index")
def admin_index(request: Request, user: AdminUser) -> Response:
    return templates.TemplateResponse(request, "staff/admin/index.html", {"user": user})
