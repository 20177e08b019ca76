"""Staff login in a real Chromium: log in, the staff pages at desktop and phone width, log out, and a form
posted from another origin refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.http.auth import hash_password
from app.store.models import Company, User, UserRole

pytestmark = pytest.mark.e2e

EMAIL = "browser-admin@example.com"
PASSWORD = "a browser passphrase"
# Screenshots land in pytest's temporary directory unless SCREENSHOT_DIR asks for them somewhere to look at.
SHOTS_DIR = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def admin_account(engine: Engine, live_server: str) -> str:
    with Session(engine) as session, session.begin():
        if session.scalar(select(User).where(User.email == EMAIL)) is None:
            session.add(User(email=EMAIL, password_hash=hash_password(PASSWORD), role=UserRole.admin))
    return EMAIL


def _log_in(page, live_server: str) -> None:
    page.goto(live_server + "/staff/admin/users", wait_until="networkidle")
    assert "/staff/login?next=/staff/admin/users" in page.url
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/staff/admin/users")


def test_log_in_look_around_and_log_out(open_page, live_server: str, admin_account: str, tmp_path: Path) -> None:
    shots = Path(SHOTS_DIR) if SHOTS_DIR else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    for width, height, suffix in ((1280, 900, "desktop"), (375, 812, "phone")):
        page, problems = open_page("/staff/login", width=width, height=height)
        page.screenshot(path=str(shots / f"staff-login-{suffix}.png"), full_page=True)
        # A wrong password first: the generic message, the e-mail kept.
        page.fill("#email", EMAIL)
        page.fill("#password", "not the password")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".form-error-summary").inner_text() == "Wrong e-mail address or password."
        assert page.input_value("#email") == EMAIL
        _log_in(page, live_server)
        cookie = next(c for c in page.context.cookies() if c["name"] == "minedash_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert EMAIL in page.locator(".staff-nav").inner_text()
        for path, name in (
            ("/staff/", "home"),
            ("/staff/admin/users", "users"),
            ("/staff/admin/companies/cleanspark", "company"),
            ("/staff/admin/companies/cleanspark/sites/new", "site-new"),
        ):
            page.goto(live_server + path, wait_until="networkidle")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways at {width}px"
            page.screenshot(path=str(shots / f"staff-{name}-{suffix}.png"), full_page=True)
        # A form error shown beside its field, in the browser.
        page.fill("#f-name", "<script>alert(1)</script>")
        page.fill("#f-slug", "Bad Slug")
        page.click("button[value=save]")
        page.wait_for_load_state("networkidle")
        assert "Use lower-case letters" in page.locator("#slug-error").inner_text()
        assert page.input_value("#f-name") == "<script>alert(1)</script>"
        page.screenshot(path=str(shots / f"staff-site-errors-{suffix}.png"), full_page=True)
        page.click("text=Log out")
        page.wait_for_url(live_server + "/staff/login?logged_out=1")
        assert "You are logged out." in page.content()
        page.goto(live_server + "/staff/", wait_until="networkidle")
        assert "/staff/login" in page.url
        # The wrong password (400) and the invalid form (422) were deliberate; Chromium logs any error status.
        expected = (
            "status of 400 (Bad Request)",
            "status of 422 (Unprocessable Content)",
            "status of 422 (Unprocessable Entity)",
        )
        assert [m for m in problems.all() if not m.endswith(expected)] == []


def test_a_form_posted_from_another_origin_is_refused(
    open_page, live_server: str, admin_account: str, engine: Engine
) -> None:
    page, _problems = open_page("/staff/login")
    _log_in(page, live_server)
    # An attacker's page on another site, with a form aimed at the admin pages.
    attack = (
        f'<form method="post" action="{live_server}/staff/admin/companies/new">'
        '<input name="name" value="Hijacked"><input name="slug" value="hijacked">'
        '<button id="go">go</button></form>'
    )
    page.route("http://evil.test/", lambda route: route.fulfill(status=200, content_type="text/html", body=attack))
    page.goto("http://evil.test/")
    with page.expect_navigation():
        page.click("#go")
    assert "Cross-origin request refused" in page.content()
    with Session(engine) as session:
        assert session.scalar(select(Company).where(Company.slug == "hijacked")) is None
