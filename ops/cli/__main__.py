"""`python -m ops.cli`: the `bluemap` command."""

from ops.cli import main

main()
