"""What operators read: the queue, the holds, the dead letters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from eventfilter.core.vocabulary import ItemStatus
from eventfilter.ports import Review, Store
from eventfilter.records import DeadLetterView, HoldView, ItemView
from eventfilter.service.redaction import redact_raw


def review_list(review: Review) -> list[ItemView]:
    return review.items(ItemStatus.OPEN.value)


def holds(review: Review, as_of: date | None = None) -> list[HoldView]:
    return review.holds(as_of)


def dead_letters(store: Store) -> list[DeadLetterView]:
    persons, addresses = store.protected()
    return [replace(d, raw=redact_raw(d.raw, addresses, persons)) for d in store.dead_letters()]
