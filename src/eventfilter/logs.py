"""structlog set-up: JSON lines on stderr, never on the data stream."""

from __future__ import annotations

import logging
import os
import sys

import structlog


def configure(level: str = "warning") -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.WARNING
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def unexpected(exc: BaseException) -> str:
    """An unexpected error as logs and dead letters may show it: its kind only.
    The text of an exception can hold SQL and its parameters (person ids,
    addresses, incomes); with EVENTFILTER_DEBUG=1 it is shown too, for a
    developer on a test system."""
    if os.environ.get("EVENTFILTER_DEBUG"):
        return f"{type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}; set EVENTFILTER_DEBUG=1 for the details"
