"""JSON Lines files: the event source and the decision sink.

Lines are read as bytes (blank lines skipped) and validated by
`eventfilter.formats`; the reader counts bytes so the CLI can show progress.
The sink appends and makes each batch durable (flush + fsync) *before* the
store commits it, so a crash can repeat a batch's lines in the file (with
the same stable decision ids) but never lose one.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from eventfilter.adapters.files import open_input
from eventfilter.core.decision import Decision
from eventfilter.errors import InputError
from eventfilter.formats import decision_line
from eventfilter.formats.patterns import fitted

STDIN = "-"
BOM = b"\xef\xbb\xbf"


class JsonlSource:
    def __init__(self, path: str) -> None:
        self.path = path
        self.name = "stdin" if path == STDIN else fitted(path)  # what runs and dead letters keep
        self.bytes_read = 0
        self.total_bytes: int | None = None
        if path != STDIN:
            try:
                self.total_bytes = Path(path).stat().st_size
            except FileNotFoundError:
                raise InputError(f"The file {path} does not exist.") from None
            except OSError as exc:
                raise InputError(f"The file {path} cannot be read: {exc.strerror}.") from None

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        if self.path == STDIN:
            yield from self._lines(sys.stdin.buffer)
            return
        with open_input(self.path) as stream:
            yield from self._lines(stream)

    def _lines(self, stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
        for lineno, read in enumerate(stream, start=1):
            self.bytes_read += len(read)
            # a byte order mark opening the file is accepted, and ignored
            line = read[len(BOM) :] if lineno == 1 and read.startswith(BOM) else read
            if line.strip():
                yield lineno, line.rstrip(b"\r\n")


class JsonlSink:
    """Appends decision lines to a file (or writes them to stdout for "-")."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.written = 0
        if path == STDIN:
            self._out: IO[str] = sys.stdout
        else:
            try:
                self._out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
            except OSError as exc:
                raise InputError(f"The file {path} cannot be written: {exc.strerror}.") from None
        # Only a regular file can be made durable (fsync of a pipe or /dev/null fails).
        self._durable = path != STDIN and stat.S_ISREG(os.fstat(self._out.fileno()).st_mode)

    def write(self, decisions: Iterable[Decision]) -> None:
        out = self._out
        for d in decisions:
            out.write(decision_line(d))
            out.write("\n")
            self.written += 1

    def flush(self) -> None:
        """Make what was written durable before the store commits."""
        self._out.flush()
        if self._durable:
            os.fsync(self._out.fileno())

    def close(self) -> None:
        self.flush()
        if self.path != STDIN:
            self._out.close()


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
