"""`python -m app.cli`: the same as the `minedash` command."""

from app.cli import main

main()
