"""The shape of the code that the layer contracts (import-linter) and mypy do not check."""

from __future__ import annotations

from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
MAX_LINES = 400


def test_no_module_is_over_the_size_a_reader_takes_in() -> None:
    sizes = {p.relative_to(APP.parent).as_posix(): len(p.read_text().splitlines()) for p in APP.rglob("*.py")}
    too_long = {path: n for path, n in sizes.items() if n > MAX_LINES}
    assert not too_long, f"split these by job (at most {MAX_LINES} lines): {too_long}"


def test_every_package_says_what_it_owns() -> None:
    """A newcomer reads the package docstrings to find the folder that owns a concern."""
    for init in APP.rglob("__init__.py"):
        text = init.read_text().lstrip()
        assert text.startswith('"""') and len(text.split('"""')[1].strip()) > 20, f"{init} has no docstring"
