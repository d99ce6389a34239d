"""The ports the services talk to; adapters implement them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from eventfilter.core.vocabulary import ItemStatus

if TYPE_CHECKING:
    from eventfilter.core.cases import CaseBook
    from eventfilter.core.facts import Case, Effect, Person
    from eventfilter.core.window import Window
    from eventfilter.records import (
        AuditView,
        BatchChanges,
        CaseView,
        Caseworker,
        DeadLetter,
        DeadLetterView,
        DecisionView,
        EventView,
        Extract,
        HoldView,
        ItemView,
        OpenItem,
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message taken from the event queue, not yet acknowledged."""

    body: bytes
    message_id: str | None
    tag: int  # the broker's delivery tag, counted per queue
    redelivered: bool
    queue: str
    published_at: float | None = None  # when the sender published it (epoch seconds), if it said
    # what the consumer made of the body as it came in (the broker's `prepare`, on
    # the connection's own thread: the stream's parse), or None: made in the batch
    read: Any = None


def prepared(prepare: Callable[[bytes], Any] | None, body: bytes) -> Any:
    """`Delivery.read` for a body as a broker delivers it: what `prepare` makes of
    it, or None when there is no `prepare` or it fails (a bug there must not stop
    the delivery: the batch reads the body again)."""
    if prepare is None:
        return None
    try:
        return prepare(body)
    except Exception:
        return None


@dataclass(frozen=True, slots=True)
class OutMessage:
    """A message for the payment system, or, with `error`, a rejected message for
    the dead-letter queue (committed with the batch that refused it and published
    with the payment system's messages, off the consumer's loop)."""

    routing_key: str
    message_id: str  # "" for a dead letter whose message had none
    body: bytes
    error: str | None = None  # a dead letter: why it was refused
    queue: str | None = None  # a dead letter: the queue it was taken from

    @property
    def dead(self) -> bool:
        return self.error is not None


class Publisher(Protocol):
    """Where the outbox goes: the payment system's messages to the decisions
    exchange, dead letters to the dead-letter exchange."""

    def publish(self, messages: Sequence[OutMessage]) -> None:
        """Publish each message to its exchange; returns once the broker has them all."""
        ...

    def keep_alive(self) -> None:
        """Nothing to send now: answer the broker's heartbeats, so that an idle
        connection is not closed under it."""
        ...

    def close(self) -> None: ...


class Broker(Protocol):
    """Where register events come from and where decisions go."""

    def fetch(self, max_messages: int, max_wait: float) -> list[Delivery]:
        """Up to `max_messages`, waiting at most `max_wait` seconds for the first."""
        ...

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """The effects of these deliveries are committed: forget them."""
        ...

    def publish(self, messages: Sequence[OutMessage]) -> None:
        """Publish each message to its exchange (the decisions exchange, or the
        dead-letter exchange for a dead letter); returns once the broker has them all."""
        ...

    def lag(self) -> int | None:
        """Messages waiting in the event queues (None when unknown)."""
        ...

    def idle(self, seconds: float) -> None:
        """Wait, keeping the connection alive (heartbeats) and the deliveries in hand."""
        ...

    def close(self) -> None: ...


# -- the store --------------------------------------------------------------------------------
class UnitOfWork(Protocol):
    """One transaction on the store: what a batch (or a caseworker's action)
    reads, and the one value it writes. Entered through `Store.unit_of_work()`;
    committed when the block ends without an exception, else nothing of it stays."""

    # what a batch of events reads
    def seen(self, event_ids: Sequence[str], message_ids: Sequence[str]) -> tuple[dict[str, str], set[str]]:
        """Event ids already decided (with their content hash), and message ids already taken."""
        ...

    def event_owners(self, event_ids: Sequence[str]) -> dict[str, str]:
        """Of these decided events, the person each was about."""
        ...

    def effects(self, event_ids: Sequence[str]) -> dict[str, Effect]:
        """What these decided events changed (for corrections)."""
        ...

    def persons(self, person_ids: Iterable[str]) -> list[Person]: ...

    def candidate_cases(
        self, beneficiaries: Iterable[str], addresses: Iterable[str], named_as_partner: Iterable[str]
    ) -> list[str]:
        """Active cases whose beneficiary is one of these, whose dwelling is one of
        these addresses, or whose beneficiary names one of `named_as_partner`."""
        ...

    def lock_cases(self, case_ids: Sequence[str], skip_locked: bool = False) -> list[Case]:
        """The cases, locked for this unit of work (in case id order)."""
        ...

    def case_persons(
        self, cases: Sequence[Case], have: Mapping[str, Person], moving_to: Iterable[str] = ()
    ) -> list[Person]:
        """What the cases' rules read, besides `have`: beneficiaries, partners,
        everyone at their addresses, their dwellings and `moving_to`."""
        ...

    def protected_among(self, addresses: Iterable[str]) -> set[str]: ...

    def windows(self, case_ids: Sequence[str]) -> list[Window]: ...

    def due_windows(self, opened_before: float, limit: int) -> list[str]:
        """Cases whose open window opened at or before `opened_before` (the stream)."""
        ...

    def first_windows(self, limit: int) -> list[str]:
        """Cases of the open windows that come first in decision order (date, then case)."""
        ...

    def open_items(self, case_ids: Sequence[str]) -> dict[str, OpenItem]: ...

    # what time alone changes (`eventfilter tick`)
    def tick_origin(self) -> date | None:
        """The date through which the whole register is ticked (None: never)."""
        ...

    def born_between(self, first: date, last: date) -> list[str]:
        """Living persons born on one of these days (whose birthday may cross an age)."""
        ...

    def benefit_cases(self, benefits: Sequence[str]) -> list[str]:
        """The active cases of these benefits (a parameter of theirs takes a new value)."""
        ...

    # a caseworker's resolution
    def claim(self, item_id: int, by: str, action: str, note: str | None, at: datetime) -> bool:
        """Resolve the item if it is still open; False when someone else did first."""
        ...

    def lift_hold(self, case_id: str, at: datetime, by: str, reason: str) -> None: ...

    def confirm_hold(self, case_id: str, at: datetime, by: str) -> None: ...

    # the payment system's messages
    def claim_outbox(self, limit: int) -> list[tuple[int, OutMessage]] | None:
        """The oldest unpublished messages, or None when another process is publishing."""
        ...

    def delete_outbox(self, up_to: int) -> None: ...

    # writing
    def write(self, changes: BatchChanges) -> None:
        """Everything a batch changed, as one value."""
        ...


class Store(Protocol):
    """The production store (SQL) or its in-memory twin: units of work, the
    lease that keeps writers apart, extracts, runs, and what people read."""

    url: str

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...
    def exclusive(self, doing: str) -> AbstractContextManager[None]: ...
    def shared(self, doing: str) -> AbstractContextManager[None]: ...
    def committed(self, changes: BatchChanges) -> None:
        """After a unit of work: keep the store's statistics up with what it added."""
        ...

    # extracts and runs
    def upsert_persons(self, persons: Sequence[Person]) -> None: ...
    def upsert_cases(self, cases: Sequence[Case]) -> None: ...
    def add_dead_letters(self, letters: Sequence[DeadLetter], at: datetime) -> None: ...
    def start_run(self, kind: str, source: str, at: datetime) -> int: ...
    def finish_run(self, run_id: int, at: datetime, status: str, counts: dict[str, Any]) -> None: ...
    def extracts(self, source: str) -> list[Extract]:
        """The register files of this source's chain read to their end, oldest first."""
        ...

    def extract_read(self, extract: Extract, at: datetime) -> None:
        """Record a file as read (whole, or cut short: `extract.complete`), replacing what was known."""
        ...

    # reading, for people and for a caseworker's action
    def load_cases(self, case_ids: Sequence[str] | None = None) -> CaseBook: ...
    def load_persons(self, person_ids: Sequence[str]) -> list[Person]: ...
    def open_window_count(self) -> int: ...
    def outbox_waiting(self) -> int:
        """Messages for the payment system committed and not yet published (every process's)."""
        ...

    def dead_letters(self) -> list[DeadLetterView]: ...
    def protected(self) -> tuple[set[str], set[str]]: ...
    def protected_among(self, candidates: Iterable[str]) -> set[str]: ...
    def active_cases_by_benefit(self) -> dict[str, int]: ...
    def cases_without_beneficiary(self, shown: int) -> tuple[int, list[str]]:
        """How many cases name a beneficiary the register does not hold, and the
        first `shown` of their ids (in order)."""
        ...

    def dispose(self) -> None: ...


class Review(Protocol):
    """The review queue, holds, audit trail and caseworkers, as people read them."""

    def municipalities(self) -> list[str]: ...
    def items(
        self,
        status: str = ItemStatus.OPEN.value,
        *,
        item_ids: Sequence[int] | None = None,
        case_id: str | None = None,
        municipalities: Sequence[str] | None = None,
        benefits: Sequence[str] | None = None,
    ) -> list[ItemView]: ...
    def item(self, item_id: int) -> ItemView | None: ...
    def decisions(self, *, item_id: int | None = None, case_id: str | None = None) -> list[DecisionView]: ...
    def events(self, event_ids: Sequence[str]) -> dict[str, EventView]: ...
    def case(self, case_id: str) -> CaseView | None: ...
    def holds(self, as_of: date | None = None) -> list[HoldView]: ...
    def audit(self, case_id: str) -> list[AuditView]: ...
    def caseworker(self, caseworker_id: str) -> Caseworker | None: ...
    def caseworkers(self) -> list[Caseworker]: ...
    def save_caseworker(self, cw: Caseworker, at: datetime) -> None: ...
    def password_hash(self, caseworker_id: str) -> str | None: ...
    def set_password_hash(self, caseworker_id: str, hashed: str) -> bool: ...
    def draft(self, caseworker_id: str, item_id: int) -> tuple[str, datetime] | None: ...
    def save_draft(self, caseworker_id: str, item_id: int, text: str, at: datetime) -> None: ...
    def drop_draft(self, caseworker_id: str, item_id: int) -> None: ...


class Sessions(Protocol):
    """The web queue's sessions and failed sign-ins."""

    def load(self, token: str) -> dict[str, Any] | None: ...
    def save(self, token: str, data: dict[str, Any], at: datetime, *, new: bool) -> None: ...
    def drop(self, token: str) -> None: ...
    def revoke(self, caseworker_id: str) -> int: ...
    def purge(self, idle_before: datetime) -> None: ...
    def failures(self, key: str, since: datetime) -> int: ...
    def oldest_failure(self, key: str, since: datetime) -> datetime | None: ...
    def failed(self, keys: list[str], at: datetime) -> None: ...
    def forget_failures(self, key: str) -> None: ...
