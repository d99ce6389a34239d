"""The web queue's sessions and failed sign-ins, in memory (the `Sessions` port)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MemorySessions:
    def __init__(self) -> None:
        self.sessions: dict[str, tuple[dict[str, Any], datetime]] = {}
        self.failures_at: list[tuple[str, datetime]] = []

    def load(self, token: str) -> dict[str, Any] | None:
        found = self.sessions.get(_key(token))
        return dict(found[0]) if found is not None else None

    def save(self, token: str, data: dict[str, Any], at: datetime, *, new: bool) -> None:
        self.sessions[_key(token)] = (dict(data), at)

    def drop(self, token: str) -> None:
        self.sessions.pop(_key(token), None)

    def revoke(self, caseworker_id: str) -> int:
        gone = [k for k, (data, _) in self.sessions.items() if data.get("cw") == caseworker_id]
        for k in gone:
            del self.sessions[k]
        return len(gone)

    def purge(self, idle_before: datetime) -> None:
        self.sessions = {k: v for k, v in self.sessions.items() if v[1] >= idle_before}
        self.failures_at = [(k, at) for k, at in self.failures_at if at >= idle_before]

    def failures(self, key: str, since: datetime) -> int:
        return sum(1 for k, at in self.failures_at if k == key and at >= since)

    def oldest_failure(self, key: str, since: datetime) -> datetime | None:
        return min((at for k, at in self.failures_at if k == key and at >= since), default=None)

    def failed(self, keys: list[str], at: datetime) -> None:
        self.failures_at += [(k, at) for k in keys]

    def forget_failures(self, key: str) -> None:
        self.failures_at = [(k, at) for k, at in self.failures_at if k != key]
