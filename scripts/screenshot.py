"""Take screenshots of pages in headless Chromium: `python scripts/screenshot.py URL OUT.png [--width N] [--dark]`."""

from __future__ import annotations

import argparse
import sys

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--executable", default="/usr/bin/chromium")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.executable, args=CHROMIUM_ARGS)
        page = browser.new_page(
            viewport={"width": args.width, "height": args.height},
            color_scheme="dark" if args.dark else "light",
        )
        messages: list[str] = []
        page.on("console", lambda m: messages.append(f"console {m.type}: {m.text}"))
        page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        page.goto(args.url, wait_until="networkidle")
        page.wait_for_timeout(500)
        page.screenshot(path=args.out, full_page=args.full)
        scroll = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        drawn = page.locator("[data-drawn=true]").count()
        print(f"horizontal overflow: {scroll}px; charts drawn: {drawn}")
        for m in messages:
            print(m)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
