"""What operators read: the queue, the holds, the dead letters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from eventfilter.adapters.sql.review import SqlReview
from eventfilter.adapters.sql.store import SqlStore
from eventfilter.records import DeadLetterView, HoldView, ItemView
from eventfilter.service.redaction import redact_raw


def review_list(store: SqlStore) -> list[ItemView]:
    return SqlReview(store).items("open")


def holds(store: SqlStore, as_of: date | None = None) -> list[HoldView]:
    return SqlReview(store).holds(as_of)


def dead_letters(store: SqlStore) -> list[DeadLetterView]:
    persons, addresses = store.protected()
    return [replace(d, raw=redact_raw(d.raw, addresses, persons)) for d in store.dead_letters()]
