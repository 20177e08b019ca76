"""/docs in a real Chromium: Swagger UI drawn from this server's own assets, no CSP violation, no error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_docs_render_offline_under_the_csp(open_page, live_server) -> None:
    requested: list[str] = []
    page, problems = open_page("/docs")
    page.on("request", lambda r: requested.append(r.url))
    # Generous: Swagger UI is 1.5 MB of script, and a loaded CI machine parses it slowly.
    page.wait_for_selector(".opblock-summary-path", timeout=90000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/companies/{slug}/monthly" in [p.replace("\u200b", "") for p in paths]
    assert page.locator(".info .title").inner_text().startswith("Minedash API")
    # Expanding an operation loads nothing from elsewhere either.
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body", timeout=30000)
    assert all(url.startswith(live_server) for url in requested), requested
    assert problems.all() == []
