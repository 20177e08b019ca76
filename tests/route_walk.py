"""Every route of the app as concrete requests, built from `app.routes` so routes added later are covered."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


@dataclass(frozen=True)
class RouteCall:
    method: str
    path: str  # with the parameters filled in
    template: str  # as declared, e.g. /staff/admin/users/{user_id}


def plausible_value(name: str, values: Mapping[str, str]) -> str:
    """A value for a path parameter: the test's own data when it names one, else a well-formed guess."""
    if name in values:
        return values[name]
    if name == "period" or name.endswith("_period") or name == "month":
        return values.get("period", "2025-01")
    if name == "year":
        return "2025"
    if name.endswith("slug"):
        return values.get("slug", "acme")
    if name == "id" or name.endswith("_id"):
        return values.get("id", "1")
    if name in ("path", "filename", "file_path"):
        return "css/app.css"
    return "1"


UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def route_calls(app: FastAPI, values: Mapping[str, str], *, methods: set[str] | None = None) -> list[RouteCall]:
    """One call per (route, method). Included routers are flattened (FastAPI keeps them nested in
    `app.routes`); a mount (static files) is probed with every unsafe method, since it accepts any."""
    calls: list[RouteCall] = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            mounted = f"{route.original_route.path}/probe"
            calls.extend(RouteCall(m, mounted, mounted) for m in sorted(UNSAFE & (methods or UNSAFE)))
            continue
        if route.methods is None or route.path is None:
            continue
        path = _PARAM.sub(lambda m: plausible_value(m.group(1), values), route.path)
        for method in sorted(route.methods):
            if method in ("HEAD", "OPTIONS") or (methods is not None and method not in methods):
                continue
            calls.append(RouteCall(method=method, path=path, template=route.path))
    return calls
