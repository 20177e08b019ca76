"""The render process's entry point: `python -m app.cli.render_worker REPLY_FD` (started by app.cache.render_process).

Jobs arrive one JSON line at a time on standard input; "done" goes back on the file descriptor it was given.
Logs go where the worker's go (standard error, as JSON), so a failed render is reported like any other.
"""

from __future__ import annotations

import contextlib
import os
import sys

from app.cache import publish_hooks, render_process
from app.http.logging_setup import configure_logging
from app.settings import get_settings


def main(argv: list[str]) -> int:
    replies = os.fdopen(int(argv[1]), "wb")
    configure_logging(get_settings().log_level)
    # The worker's Ctrl-C reaches its whole process group; the worker itself says it is stopping. A worker that
    # stopped mid-render has closed the reply pipe: there is no one left to tell.
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        render_process.serve(sys.stdin.buffer, replies, publish_hooks.run_hooks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
