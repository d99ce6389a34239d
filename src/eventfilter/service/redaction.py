"""Keep protected addresses out of anything shown: raw dead-letter text included."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, Protocol

import orjson

from eventfilter.core.reasons import REDACTED

ADDRESS_KEYS = frozenset({"address_id", "dwelling_address_id"})


def redact_raw(raw: str, addresses: set[str], persons: set[str]) -> str:
    """The raw line with every protected address replaced by "***".

    For a JSON line, any string equal to a protected address is replaced, and
    so is every address field of a line about a protected person or of a line
    that itself declares a protection (its address is first seen there). A
    line that is not JSON (or nests too deep to walk) cannot say whom it is
    about: every address field in it is replaced, and every known protected
    address wherever it stands.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _redact_text(raw, addresses)
    if not isinstance(value, dict | list):
        return _redact_text(raw, addresses)
    about = value.get("person_id") if isinstance(value, dict) else None  # any JSON value, in a bad line
    hide_all = isinstance(value, dict) and (
        (isinstance(about, str) and about in persons) or _declares_protection(value)
    )
    try:
        return json.dumps(_walk(value, addresses, hide_all), ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        return _redact_text(raw, addresses)


def _declares_protection(line: dict[str, Any]) -> bool:
    data = line.get("data")
    return line.get("protected_address") is True or (
        line.get("type") == "protected_address" and isinstance(data, dict) and data.get("protected") is True
    )


def _walk(value: Any, addresses: set[str], hide_all: bool, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, addresses, hide_all, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, addresses, hide_all) for v in value]
    if isinstance(value, str) and (value in addresses or (hide_all and key in ADDRESS_KEYS)):
        return REDACTED
    return value


# An address field's value in text that is not JSON: `"address_id": "…"`, however broken the rest.
_ADDRESS_FIELD = re.compile(r'("(?:dwelling_)?address_id"\s*:\s*")((?:[^"\\]|\\.)*)(")?')


def _redact_text(raw: str, addresses: set[str]) -> str:
    raw = _ADDRESS_FIELD.sub(lambda m: m.group(1) + REDACTED + (m.group(3) or ""), raw)
    for address in sorted(addresses, key=len, reverse=True):
        raw = re.sub(rf"(?<![\w-]){re.escape(address)}(?![\w-])", REDACTED, raw)
    return raw


_TOKEN = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class Redactor:
    """Replaces given protected addresses wherever they stand: in structured values and in text."""

    addresses: frozenset[str]

    @classmethod
    def for_values(cls, store: ProtectedLookup, *values: Any) -> Redactor:
        """The redactor for what is about to be shown: asks the store which of the
        words in `values` are protected addresses (a decision made before a
        protection began names the address in its text)."""
        return cls(frozenset(store.protected_among(words_in(values))))

    def value(self, value: Any) -> Any:
        if not self.addresses:
            return value
        return self._walk(value)

    def text(self, text: str) -> str:
        return _redact_text(text, set(self.addresses)) if self.addresses else text

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return REDACTED if value in self.addresses else self.text(value)
        if isinstance(value, dict):
            return {k: self._walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._walk(v) for v in value)
        if is_dataclass(value) and not isinstance(value, type):
            return replace(
                value, **{f.name: self._walk(getattr(value, f.name)) for f in fields(value) if f.init}
            )
        return value


class ProtectedLookup(Protocol):
    def protected_among(self, candidates: Iterable[str]) -> set[str]: ...


def words_in(value: Any) -> set[str]:
    """Every word-like string (ids, codes) anywhere in `value`."""
    found: set[str] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            found.update(_TOKEN.findall(v))
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list | tuple | set | frozenset):
            stack.extend(v)
        elif is_dataclass(v) and not isinstance(v, type):
            stack.extend(getattr(v, f.name) for f in fields(v))
    return found
