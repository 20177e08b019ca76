"""The README's API section runs as written: every shell and Python block against a live server on the demo
data (pandas included), and the import example through the import, with the months it says."""

from __future__ import annotations

import datetime as dt
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import demo
from app.domain.actors import Actor
from app.schemas.csv_months import parse_csv
from app.store.models import Company, CompanyMonth, RecordStatus
from app.store.queries.imports import apply_import, plan_import
from app.store.queries.tokens import create_token

README = Path(__file__).resolve().parent.parent / "README.md"
DOCUMENTED_BASE = "http://127.0.0.1:8000"
ILLUSTRATIVE = "<!-- illustrative -->"


def _section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _blocks(section: str) -> list[tuple[str, str, bool]]:
    """(language, code, marked illustrative) of each fenced block."""
    found = []
    for match in re.finditer(r"(?P<before>[^\n]*)\n```(?P<lang>\w*)\n(?P<code>.*?)\n```", section, re.S):
        found.append((match["lang"], match["code"], ILLUSTRATIVE in match["before"]))
    return found


API_BLOCKS = _blocks(_section("API"))


def test_every_api_block_is_run_or_marked_illustrative() -> None:
    assert API_BLOCKS, "no code in the README's API section?"
    for lang, code, illustrative in API_BLOCKS:
        assert illustrative or lang in ("sh", "python"), f"a {lang!r} block this test does not run:\n{code}"
        assert "…" not in code or illustrative, f"an elided block cannot run:\n{code}"


@pytest.fixture
def live_api(app: FastAPI, db_session: Session) -> Iterator[str]:
    """The test's app (its rolled-back transaction, the demo data in it) served by uvicorn in a thread."""
    demo.seed_demo(session=db_session)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _code(lang: str, index: int = 0) -> str:
    blocks = [code for block_lang, code, illustrative in API_BLOCKS if block_lang == lang and not illustrative]
    return blocks[index]


def test_shell_examples_run(live_api: str, tmp_path: Path) -> None:
    script = "set -eo pipefail\n" + _code("sh").replace(DOCUMENTED_BASE, live_api)
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    assert done.stdout.rstrip().endswith("304")  # the revalidation with the ETag
    saved = (tmp_path / "cleanspark.csv").read_text().splitlines()
    assert saved[0].startswith("period,company,metric,value,unit")
    assert ",cleanspark,btc_mined,626,BTC," in (tmp_path / "cleanspark.csv").read_text()
    assert "2025-01,cleanspark,btc_mined,626,BTC" in done.stdout  # the frame's CSV


def test_pandas_example_gets_every_row(live_api: str, client) -> None:
    namespace: dict[str, object] = {}
    exec(compile(_code("python", 0).replace(DOCUMENTED_BASE, live_api), "README.md", "exec"), namespace)
    series = client.get("/api/v1/companies/cleanspark/monthly").json()
    months = series["count"]
    first, last = dt.date.fromisoformat(series["from"] + "-01"), dt.date.fromisoformat(series["to"] + "-01")
    assert months == (last.year - first.year) * 12 + last.month - first.month + 1 > 36  # every calendar month
    for name in ("df", "wide", "units"):
        frame = namespace[name]
        assert len(frame) == months, name
        assert (frame.index[0], frame.index[-1]) == (series["from"], series["to"]), name
    wide = namespace["wide"]
    assert wide.loc["2025-01", "btc_mined"] == 626
    assert wide.loc["2025-01", "btc_mined__source_url"].startswith("https://")
    assert namespace["units"].loc["2025-01", "btc_mined (BTC)"] == 626
    assert "btc_mined_mom_pct" in namespace["df"].columns
    figures = sum(
        1 for month in series["data"] for key, value in month.items() if key in series["units"] and value is not None
    )
    assert len(namespace["long"]) == figures
    assert "cleanspark" in list(namespace["frame"]["company"])


def test_write_example_runs(live_api: str, db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    demo.seed_demo(session=db_session)
    token = create_token(session=db_session, name="readme", scope="write", actor=Actor.system("test"))
    db_session.commit()
    monkeypatch.setenv("MINEDASH_TOKEN", token.secret)
    exec(compile(_code("python", 1).replace(DOCUMENTED_BASE, live_api), "README.md", "exec"), {})


def _import(db_session: Session, content: bytes, *, publish: bool = False, reason: str | None = None):
    company = db_session.scalars(select(Company).where(Company.slug == "cleanspark")).one()
    parsed = parse_csv(content)
    assert parsed.errors == []
    plan = plan_import(session=db_session, company=company, parsed=parsed)
    return (
        company,
        plan,
        lambda: apply_import(
            session=db_session, company=company, plan=plan, actor=Actor.system("test"), publish=publish, reason=reason
        ),
    )


def test_import_example_is_the_months_it_says(db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    (block,) = [code for lang, code, _ in _blocks(_section("Importing CSV")) if lang == "csv"]
    assert "…" not in block
    _, plan, _ = _import(db_session, block.encode())
    assert [(r.period, r.site.slug if r.site else None, r.status) for r in plan.rows] == [
        (dt.date(2025, 3, 1), "georgia", "unchanged"),
        (dt.date(2025, 3, 1), None, "unchanged"),
    ]


def test_import_statement_about_drafts_and_corrections(db_session: Session) -> None:
    """What the README says confirming does: new months are drafts unless published; a correction of a
    published month is public at once, revised, with its reason."""
    demo.seed_demo(session=db_session)
    content = b"period,site,btc_mined_total,btc_held_end\n2025-03,,707,11869\n2026-06,,10,\n"
    company, plan, apply = _import(db_session, content, reason="Restated in the 10-Q")
    assert plan.needs_reason
    apply()
    db_session.flush()
    months = {
        m.period: m for m in db_session.scalars(select(CompanyMonth).where(CompanyMonth.company_id == company.id))
    }
    march, june = months[dt.date(2025, 3, 1)], months[dt.date(2026, 6, 1)]
    assert march.status == RecordStatus.published and march.btc_mined_total == Decimal(707)
    assert march.revised_at is not None and march.revision_reason == "Restated in the 10-Q"
    assert june.status == RecordStatus.draft
