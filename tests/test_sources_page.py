"""The data-sources page: the attribution the licences ask for, where each figure came from, cross-checks."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import demo


def test_sources_page_attributes_coin_metrics_and_shows_cross_checks(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    page = client.get("/sources")
    assert page.status_code == 200
    text = page.text
    assert "Coin Metrics community data is licensed CC BY-NC 4.0" in text
    assert "For commercial use, an operator loads their own figures" in text
    for key in ("CM", "CMX", "RPC", "Q", "YF"):
        assert f'data-source="{key}"' in text, key
    assert "January 2020 to February 2026" in text
    # The quoted 2024-01 difficulty (a reading at a mid-month retarget) differs from the month-end figure.
    assert "2024-01" in text and "differs" in text
    assert "MARA Holdings" in text and "Core Scientific" in text
    # Linked from every page's footer.
    assert 'href="/sources"' in client.get("/league").text
    assert 'href="/sources"' in client.get("/companies/cleanspark").text


def test_sources_page_without_data(client: TestClient) -> None:
    page = client.get("/sources")
    assert page.status_code == 200 and "No network figures loaded yet" in page.text
    assert "CC BY-NC" not in page.text.split("<main")[1].split("</main>")[0]
