"""XML from outside, read safely: no DTD, no entities, no network (defusedxml),
and errors as one sentence.

Register XML (Navet notifications, Beskedfordeler envelopes) has no need of
a document type declaration; one that declares entities is how an "entity
bomb" expands a kilobyte into gigabytes. Such a document is refused before
anything in it is expanded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException


class XmlRefused(Exception):
    """The document cannot be read, or must not be: one sentence."""


def local(tag: str) -> str:
    """The element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def child(e: Element, name: str) -> Element | None:
    for c in e:
        if local(c.tag) == name:
            return c
    return None


def children(e: Element, name: str) -> list[Element]:
    return [c for c in e if local(c.tag) == name]


def text(e: Element | None, name: str | None = None) -> str | None:
    """The stripped text of `e` (or of its child `name`); None when absent or empty."""
    if e is not None and name is not None:
        e = child(e, name)
    if e is None or e.text is None:
        return None
    value = e.text.strip()
    return value or None


def find(e: Element, path: str) -> Element | None:
    """The first descendant along these names (`a/b/c`), namespaces ignored."""
    here: Element | None = e
    for name in path.split("/"):
        if here is None:
            return None
        here = child(here, name)
    return here


def parse_bytes(data: bytes) -> Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise XmlRefused("The XML declares a document type or entities: refused, never expanded.") from None
    except ParseError as exc:
        raise XmlRefused(f"The XML is not well-formed ({_where(exc)}).") from None


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def iter_elements(stream: Readable, *names: str) -> Iterator[Element]:
    """Each element called one of `names`, complete, as the file is read (then dropped:
    a national file need not fit in memory). Raises `XmlRefused` where the file
    stops being readable; the elements before it have been given."""
    try:
        parents: list[Element] = []
        for event, elem in SafeET.iterparse(stream, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                parents.append(elem)
                continue
            parents.pop()
            if local(elem.tag) in names:
                yield elem
                if parents:
                    parents[-1].remove(elem)
    except DefusedXmlException:
        raise XmlRefused("The file declares a document type or entities: refused, never expanded.") from None
    except ParseError as exc:
        raise XmlRefused(
            f"The file is not well-formed XML ({_where(exc)}): the rest of it is not read."
        ) from None


def _where(exc: ParseError) -> str:
    line, column = getattr(exc, "position", (0, 0))
    return f"line {line}, column {column}"
