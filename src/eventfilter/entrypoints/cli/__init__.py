"""The command line (contract.md §5): `eventfilter`, one module per group of
commands, all registered on the root group in `base`."""

from eventfilter.entrypoints.cli import admin, data, people, review, stream, whatif
from eventfilter.entrypoints.cli.base import cli, main

__all__ = ["admin", "cli", "data", "main", "people", "review", "stream", "whatif"]
