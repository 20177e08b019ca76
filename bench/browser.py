"""What a real Chromium downloads for the overview and when it has drawn the charts of the first screen.

bench.run measures one first visit (empty browser cache) and one repeat visit with it; `python -m bench.run
--browser-only` repeats the pair in fresh browsers and prints every run and the medians. Besides the bytes and
the draw time, each visit says where the time went (milliseconds from navigation start, the page's own
Navigation, Paint and Resource Timing): the HTML received, the first contentful paint, the document parsed,
plotly.js received, the deferred scripts run (DOMContentLoaded), the first chart started (charts.js's User
Timing mark) and the charts in view drawn.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

# Records when the last chart in the first screen reports drawn (charts.js sets data-drawn="true"), relative
# to navigation start: the charts a reader sees before scrolling (charts.js draws the others as they come into
# view). Until run G every chart of the page was drawn at load and all of them were waited for.
DRAWN_OBSERVER = """
(() => {
  const check = () => {
    const seen = [...document.querySelectorAll('[data-figure]')]
      .filter(el => el.getBoundingClientRect().top < window.innerHeight);
    if (seen.length && seen.every(el => el.dataset.drawn === 'true') && window.__chartsDrawnAt === undefined) {
      window.__chartsDrawnAt = performance.now();
      window.__chartsSeen = seen.length;
    }
  };
  new MutationObserver(check).observe(document, {
    subtree: true, attributes: true, attributeFilter: ['data-drawn'],
  });
})();
"""

# Read once the charts are drawn; every figure in milliseconds from navigation start.
PHASES = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const plotly = performance.getEntriesByType('resource').find(r => r.name.includes('/static/vendor/plotly'));
  return {
    html: nav.responseEnd,
    first_paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
    parsed: nav.domInteractive,
    plotly: plotly ? plotly.responseEnd : null,
    scripts_ran: nav.domContentLoadedEventStart,
    // charts.js marks the start of each chart's draw (absent on a branch whose charts.js does not).
    first_draw: performance.getEntriesByName('chart-draw')[0]?.startTime ?? null,
  };
}"""

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def _wait_until_drawn(page: Any, timeout: float = 60.0) -> float:
    """Polled from here: wait_for_function polls by evaluating a string inside the page, which its CSP
    refuses once the first check has failed (charts drawn after the load event)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        drawn = page.evaluate("window.__chartsDrawnAt")
        if drawn is not None:
            return float(drawn)
        time.sleep(0.02)
    raise TimeoutError("the charts in view were not drawn within a minute")


def browser_figures(base: str, path: str, trace: Path | None = None) -> dict[str, Any]:
    """Bytes over the wire (compressed, headers included) for a first and a repeat visit, and draw time.

    With `trace`, a Chromium performance trace of both visits is written there (open it in the DevTools
    Performance panel or ui.perfetto.dev); tracing slows the page, so its run's times are not comparable.
    """
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(DRAWN_OBSERVER)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        urls: dict[str, str] = {}
        received: dict[str, float] = {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]))
        if trace is not None:
            browser.start_tracing(page=page, screenshots=False)
        for visit in ("first", "repeat"):
            urls.clear()
            received.clear()
            page.goto(base + path, wait_until="load")
            drawn_ms = _wait_until_drawn(page)
            page.wait_for_load_state("networkidle")
            # data: URLs (icons inlined by plotly.js) never touch the network.
            per_url = {
                urls.get(k, k).removeprefix(base): int(v)
                for k, v in received.items()
                if not urls.get(k, "").startswith("data:")
            }
            phases = page.evaluate(PHASES)
            out[visit] = {
                "bytes": int(sum(per_url.values())),
                "requests": sum(1 for u in urls.values() if not u.startswith("data:")),
                "charts": page.locator("[data-figure]").count(),
                "charts_in_view": page.evaluate("window.__chartsSeen"),
                "charts_drawn_ms": round(drawn_ms),
                "phases_ms": {k: None if v is None else round(v) for k, v in phases.items()},
                "per_url": dict(sorted(per_url.items(), key=lambda kv: -kv[1])),
            }
        if trace is not None:
            trace.write_bytes(browser.stop_tracing())
        browser.close()
    return out


def visit_line(visit: str, b: dict[str, Any]) -> str:
    """One visit as bench.run prints it: bytes, requests, draw time and the three largest downloads."""
    top = ", ".join(f"{u.split('?')[0]} {n / 1024:.0f} KiB" for u, n in list(b["per_url"].items())[:3])
    return (
        f"browser {visit} visit: {b['bytes'] / 1024:.1f} KiB in {b['requests']} requests; "
        f"the {b.get('charts_in_view', b['charts'])} of {b['charts']} charts in view drawn after "
        f"{b['charts_drawn_ms']} ms ({top})"
    )


def phases_line(b: dict[str, Any]) -> str:
    phases = b.get("phases_ms") or {}
    return "  ".join(f"{k.replace('_', ' ')} {'—' if v is None else v}" for k, v in phases.items())


def _median(values: list[Any]) -> Any:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def medians(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per visit, the median of each figure over several runs (bytes, draw time, each phase)."""
    out: dict[str, dict[str, Any]] = {}
    for visit in ("first", "repeat"):
        visits = [r[visit] for r in runs]
        out[visit] = {
            "bytes": _median([v["bytes"] for v in visits]),
            "charts_drawn_ms": _median([v["charts_drawn_ms"] for v in visits]),
            "charts_drawn_runs_ms": [v["charts_drawn_ms"] for v in visits],
            "phases_ms": {key: _median([v["phases_ms"][key] for v in visits]) for key in visits[0]["phases_ms"]},
        }
    return out
