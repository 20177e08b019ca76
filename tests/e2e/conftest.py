"""Browser tests: a real uvicorn server on a free port and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import uvicorn
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from app.demo.loader import seed_demo
from app.main import create_app
from app.store.models import Base

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str | None:
    candidate = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if os.path.exists(candidate) else None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        message = "Chromium not found: install it with `apt-get install chromium` (or set CHROMIUM_PATH)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _wipe(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            # The audit trail is append-only (the database refuses DELETE); its rows reference nothing.
            if table.name not in ("alembic_version", "audit_entry"):
                session.execute(delete(table))


# Package scope: the committed demo data is wiped when the browser tests end, before the other tests
# (which expect an empty database under their rolled-back transactions) run.
@pytest.fixture(scope="package")
def live_server(engine: Engine) -> Iterator[str]:
    """The app with the demo data committed, served by uvicorn in a thread; wiped afterwards."""
    _wipe(engine)
    with Session(engine) as session, session.begin():
        seed_demo(session=session)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    _wipe(engine)


@dataclass
class PageProblems:
    """Console errors, page errors and CSP violations seen while a page was open."""

    messages: list[str] = field(default_factory=list)
    page: object = None

    def all(self) -> list[str]:
        csp = self.page.evaluate("window.__cspViolations") if self.page is not None else []  # type: ignore[attr-defined]
        return [*self.messages, *(f"CSP: {v}" for v in csp)]


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def _open(path: str = "/", *, width: int = 1280, height: int = 900, dark: bool = False):
        context = browser.new_context(
            viewport={"width": width, "height": height}, color_scheme="dark" if dark else "light"
        )
        contexts.append(context)
        page = context.new_page()
        # Runs before the page's own scripts (and outside its CSP): records every CSP violation.
        page.add_init_script(
            "window.__cspViolations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        problems = PageProblems()
        page.on("console", lambda m: problems.messages.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.messages.append(f"pageerror: {e}"))
        page.goto(live_server + path, wait_until="networkidle")
        problems.page = page
        return page, problems

    yield _open
    for context in contexts:
        context.close()
