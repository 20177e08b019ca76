"""Reading what the investor pages show: figures from data-figure attributes, tables, CSVs."""

from __future__ import annotations

import csv
import html as html_lib
import io
import json
import re


def figures(page: str) -> dict[str, dict]:
    found = re.findall(r'id="chart-([a-z_]+)"[^>]*data-figure="([^"]*)"', page)
    return {key: json.loads(html_lib.unescape(raw)) for key, raw in found}


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
