"""Reading a CPR change extract file: its chain header, then one snapshot per changed person."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO

from eventfilter.adapters.cpr.layout import (
    ENCODING,
    END,
    PERSON,
    PRIVATE,
    SOURCE,
    START,
)
from eventfilter.adapters.cpr.records import PersonRecords, Record, SnapshotParser, Unreadable
from eventfilter.adapters.files import open_input
from eventfilter.errors import InputError
from eventfilter.formats.patterns import fitted
from eventfilter.records import Extract, SnapshotRead


class CprExtract:
    """One CPR change extract file: its header at once, its persons as they are read."""

    def __init__(self, path: str, countries: Mapping[str, str] | None = None) -> None:
        self.path = path
        self.name = fitted(path)  # what runs, dead letters and the extracts' chain keep
        self.countries = dict(countries or {})
        self.bytes_read = 0
        self.complete = False  # the end record was read and its count agreed
        try:
            self.total_bytes: int | None = Path(path).stat().st_size
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise InputError(f"The file {path} does not exist.") from None
        except OSError as exc:
            raise InputError(f"The file {path} cannot be read: {exc.strerror}.") from None
        self._digest = hashlib.sha256(data).hexdigest()
        first = data.split(b"\n", 1)[0].rstrip(b"\r").decode(ENCODING)
        if not first.startswith(START):
            raise InputError(
                f"The file {path} is not a CPR extract: its first line is not a start record (000)."
            )
        head = Record(1, first)
        try:
            production = head.day("production date", 32, 40)
            previous = head.day("previous production date", 40, 48, required=False)
        except Unreadable as exc:
            raise InputError(f"The file {path} is not a CPR extract: {exc}") from None
        assert production is not None
        self.header = Extract(SOURCE, self.name, production, previous, self._digest)

    def __iter__(self) -> Iterator[SnapshotRead]:
        with open_input(self.path) as stream:
            for read in self._read(stream):
                yield replace(read, file=self.name)

    def _read(self, stream: IO[bytes]) -> Iterator[SnapshotRead]:
        current: PersonRecords | None = None
        count = 0
        for lineno, read in enumerate(stream, start=1):
            self.bytes_read += len(read)
            raw = read.rstrip(b"\r\n")
            if not raw.strip() or lineno == 1:
                continue
            text, problem = _decode(raw, lineno)
            rec = Record(lineno, text)
            if rec.kind == END:
                if current is not None:
                    yield self._snapshot(current)
                    current = None
                self.complete = self._end(rec, count)
                if not self.complete:
                    yield SnapshotRead(
                        str(lineno),
                        text,
                        error=f"Field 'record count' (record 999) says "
                        f"{rec.text[3:11].strip()!r}, but the file holds {count} records.",
                    )
                return
            count += 1
            if rec.kind == PERSON:
                if current is not None:
                    yield self._snapshot(current)
                current = PersonRecords(rec)
                if problem:
                    current.problems.append(problem)
                continue
            if current is None:
                shown = text[:13] + " …" if rec.kind in PRIVATE else text
                yield SnapshotRead(
                    str(lineno),
                    shown,
                    error=f"Record {rec.kind!r} comes before any person record (001).",
                )
                continue
            current.records.append(rec)
            if problem:
                current.problems.append(problem)
        if current is not None:
            yield SnapshotRead(
                str(current.first.line),
                current.shown(),
                error="The file ends without its end record (999), "
                "so this person's records may be cut short.",
            )

    def _end(self, rec: Record, count: int) -> bool:
        value = rec.field("record count", 3, 11)
        return value.isascii() and value.isdigit() and int(value) == count

    def _snapshot(self, p: PersonRecords) -> SnapshotRead:
        position = str(p.first.line)
        try:
            snap = SnapshotParser(self.header.production, self.countries).parse(p)
        except Unreadable as exc:
            return SnapshotRead(position, p.shown(), error=str(exc))
        return SnapshotRead(position, p.shown(), snap)


def _decode(raw: bytes, lineno: int) -> tuple[str, str | None]:
    """The line as ISO-8859-1 text, and what is wrong with its encoding, if anything:
    a line that is valid UTF-8 with non-ASCII characters was written in the wrong
    encoding (its fixed positions have shifted)."""
    text = raw.decode(ENCODING)
    if any(b >= 0x80 for b in raw):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return text, None
        return (
            text,
            f"Line {lineno} is written in UTF-8, not ISO-8859-1 (its fields are out of place).",
        )
    if any(ord(c) < 0x20 for c in text):
        return text, f"Line {lineno} holds control characters."
    return text, None
