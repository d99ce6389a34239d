"""Opening an input file for reading, with the one sentence a user gets when it cannot be."""

from __future__ import annotations

from typing import IO

from eventfilter.errors import InputError


def open_input(path: str) -> IO[bytes]:
    """The file, opened for reading bytes (the caller closes it)."""
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"The file {path} cannot be read: {exc.strerror}.") from None
