"""Reading what the investor pages show: figures from data-figure attributes, tables, CSVs."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser


class _Charts(HTMLParser):
    """The charts of a page as a browser reads them: each `chart-<key>` element's data-figure attribute, its value
    unescaped as HTML unescapes it (whatever the quotes around it), then parsed as JSON as static/js/charts.js does."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, dict] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        raw, element = values.get("data-figure"), values.get("id") or ""
        if raw is not None and element.startswith("chart-"):
            self.found[element.removeprefix("chart-")] = json.loads(raw)


def figures(page: str) -> dict[str, dict]:
    parser = _Charts()
    parser.feed(page)
    parser.close()
    return parser.found


def trace(figure: dict, name: str) -> dict:
    return next(t for t in figure["data"] if t["name"] == name)


def hover_notes(figure: dict, t: dict) -> list[str]:
    """Each point's provenance note as the browser shows it on hover (static/js/charts.js expands them)."""
    notes = figure["notes"]
    return [notes[ref[1]] if isinstance(ref, list) else notes[ref] for ref in t["customdata"]]


def by_month(t: dict) -> dict[str, float | None]:
    return dict(zip(t["x"], t["y"], strict=True))


def names(figure: dict) -> list[str]:
    return [t["name"] for t in figure["data"] if t["name"] != "Events"]


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))
