"""The store's tables (SQLAlchemy 2, Core: the store reads and writes rows with
plain statements, so no ORM is loaded). The schema itself is managed by the
Alembic migrations in eventfilter/migrations; these tables must match them
(tests/integration/test_schema.py compares the two)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.sql import text

from eventfilter.core.vocabulary import ItemStatus
from eventfilter.formats.patterns import (
    BENEFIT_MAX,
    CASEWORKER_ID_MAX,
    MUNICIPALITY_MAX,
    PERSON_ID_MAX,
    RULE_PACK_MAX,
    TEXT_MAX,
    TYPE_MAX,
)

PersonId = String(PERSON_ID_MAX)  # formats.patterns.PERSON_ID
Benefit = String(BENEFIT_MAX)  # a rule pack's benefit (formats.patterns.BENEFIT)
CaseworkerId = String(CASEWORKER_ID_MAX)  # a caseworker, or who acted

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

Id = String(TEXT_MAX)  # the contract's ids and addresses (formats.patterns): every one fits
NullableJSON = JSON(none_as_null=True)
Stamp = DateTime(timezone=True)

METADATA = MetaData(naming_convention=NAMING)


def _key(name: str, type_: Any, **kw: Any) -> Column[Any]:
    return Column(name, type_, primary_key=True, **kw)


def _needed(name: str, type_: Any, **kw: Any) -> Column[Any]:
    return Column(name, type_, nullable=False, **kw)


def _optional(name: str, type_: Any, **kw: Any) -> Column[Any]:
    return Column(name, type_, nullable=True, **kw)


def _serial(name: str) -> Column[Any]:
    return Column(name, Integer, primary_key=True, autoincrement=True)


# Register state: one row per person the filter knows.
PERSONS = Table(
    "persons",
    METADATA,
    _key("person_id", PersonId),
    _optional("birth_date", Date),
    _needed("alive", Boolean, default=True),
    _optional("address_id", Id, index=True),  # who lives at a dwelling
    _optional("municipality_code", String(MUNICIPALITY_MAX)),
    _optional("country", String(2)),
    _optional("marital_status", String(30)),
    _optional("partner_id", PersonId, index=True),  # who names someone as partner
    _needed("parent_ids", JSON, default=list),
    _optional("monthly_income", Float),
    _optional("income_period", String(7)),
    _needed("protected_address", Boolean, default=False),
    _optional("versions", NullableJSON),
    # room in each page for a person's facts updated in place (migration 0010)
    sqlite_with_rowid=False,
    postgresql_with={"fillfactor": 80},
)

CASES = Table(
    "cases",
    METADATA,
    _key("case_id", Id),
    _needed("benefit", Benefit),
    _needed("beneficiary_id", PersonId, index=True),
    _needed("municipality_code", String(MUNICIPALITY_MAX), index=True),
    _needed("status", String(20), default="active"),
    _optional("dwelling_address_id", Id, index=True),
    _optional("housing_cost", Float),
    _optional("hold_event_ids", NullableJSON),
    _needed("in_active_set", Boolean, default=True),
    _optional("ticked_through", Date),
    postgresql_with={"fillfactor": 80},  # a case's state, updated in place (0010)
)

# Every event decided, by id: dedupe, conflict detection, corrections.
PROCESSED = Table(
    "processed_events",
    METADATA,
    _key("event_id", Id),
    _needed("content_hash", String(32)),
    _needed("person_id", PersonId),
    _needed("type", String(TYPE_MAX)),
    _needed("effective_date", Date),
    _optional("effects", NullableJSON),
    _optional("run_id", Integer),
    _optional("message_id", Id),  # the stream's dedupe key (formats.message_key)
    # Only the stream's messages carry an id: replay's rows stay out of the index.
    Index(
        "ix_processed_events_message_id",
        "message_id",
        unique=True,
        sqlite_where=text("message_id IS NOT NULL"),
        postgresql_where=text("message_id IS NOT NULL"),
    ),
    sqlite_with_rowid=False,
)

# Open "decided together" windows: one per case at most.
WINDOWS = Table(
    "windows",
    METADATA,
    _key("case_id", Id),
    _needed("effective_date", Date),
    _needed("opened_at", Float),
    _needed("body", JSON),
    Index("ix_windows_order", "effective_date", "case_id"),  # decision order at the end of a replay
)

# The decision log: every decision on a case, with its explanation.
DECISIONS = Table(
    "decisions",
    METADATA,
    _serial("seq"),
    _needed("decision_id", String(40), unique=True),
    _optional("case_id", Id, index=True),
    _optional("benefit", Benefit),
    _needed("person_id", PersonId),
    _needed("outcome", String(10)),
    _needed("effective_date", Date),
    _needed("event_ids", JSON),
    _needed("reasons", JSON),
    _optional("before", NullableJSON),
    _optional("after", NullableJSON),
    _needed("rule_pack", String(RULE_PACK_MAX)),
    _optional("parameter_set", String(24)),
    _optional("hold", String(10)),
    _needed("decided_at", Stamp),
    _optional("run_id", Integer),
    _optional("review_item_id", Integer, index=True),
)

# The parameter values that decided: one row per distinct set.
PARAMETER_SETS = Table(
    "parameter_sets",
    METADATA,
    _key("set_key", String(24)),
    _needed("rule_pack", String(RULE_PACK_MAX)),
    _needed("benefit", Benefit),
    _needed("parameters", JSON),
)

# Holds placed by eventfilter for the payment run, and when they were lifted.
HOLDS = Table(
    "holds",
    METADATA,
    _serial("hold_id"),
    _needed("case_id", Id, index=True),
    _optional("decision_id", String(40)),
    _needed("event_ids", JSON),
    _needed("placed_at", Stamp),
    _optional("lifted_at", Stamp),
    _optional("lifted_by", CaseworkerId),
    _optional("lift_reason", Text),
    _optional("confirmed_at", Stamp),
    _optional("confirmed_by", CaseworkerId),
)

# The caseworker queue: one open item per case with an open suspend/review.
ITEMS = Table(
    "review_items",
    METADATA,
    _serial("item_id"),
    _needed("case_id", Id, index=True),
    _needed("status", String(10), default=ItemStatus.OPEN.value, index=True),
    _needed("opened_at", Stamp),
    _needed("due_date", Date),
    _needed("urgent_code", String(50)),
    _optional("resolved_at", Stamp),
    _optional("resolved_by", CaseworkerId),
    _optional("action", String(20)),
    _optional("note", Text),
    _needed("version", Integer, default=1, server_default="1"),
)

# Messages for the payment system, committed with what caused them and
# published after the commit (decisions, holds placed, holds lifted), and the
# stream's dead letters for the broker's dead-letter queue (`error` set: the
# message as it came is `raw`, any bytes; `body` is empty).
OUTBOX = Table(
    "outbox",
    METADATA,
    _serial("seq"),
    _needed("routing_key", String(200)),
    _needed("message_id", Id),  # formats.message_key
    _needed("body", Text),
    _needed("created_at", Stamp),
    _optional("error", Text),
    _optional("queue", String(200)),
    _optional("raw", LargeBinary),
)

# Caseworkers and the municipalities whose cases they may see and act on.
CASEWORKERS = Table(
    "caseworkers",
    METADATA,
    _key("caseworker_id", CaseworkerId),
    _needed("name", String(TEXT_MAX)),
    _needed("municipalities", JSON),
    _needed("active", Boolean, default=True),
    _needed("created_at", Stamp),
    _optional("password_hash", String(300)),  # local sign-in (scrypt); None: no local login
)

# Every address a protected person has lived at since their protection began.
# A decision made before the protection may name the address in its text;
# pages and outputs redact any address found here (rules.md: "from then on the
# person's address is redacted"), even after the person moved on.
PROTECTED_ADDRESSES = Table(
    "protected_addresses",
    METADATA,
    _key("address_id", Id),
)

# A caseworker's note on a review item while it is being typed.
DRAFTS = Table(
    "drafts",
    METADATA,
    _key("caseworker_id", CaseworkerId),
    _key("item_id", Integer),
    _needed("text", Text),
    _needed("updated_at", Stamp),
)

# A browser's session with the review queue, kept on the server: the cookie
# holds only a random token (its hash is the key), so signing out or changing
# the password ends it for good.
WEB_SESSIONS = Table(
    "web_sessions",
    METADATA,
    _key("token_hash", String(64)),
    _optional("caseworker_id", CaseworkerId),
    _optional("data", NullableJSON),
    _needed("created_at", Stamp),
    _needed("seen_at", Stamp),
)

# A failed sign-in, by account and by address, for the brute-force limit.
SIGN_IN_FAILURES = Table(
    "web_sign_in_failures",
    METADATA,
    _serial("id"),
    _needed("key", String(300)),
    _needed("at", Stamp),
)

# Every change of state besides decisions (which are their own append-only
# log): holds, review items, corrected facts, refused access. Never updated.
AUDIT = Table(
    "audit_log",
    METADATA,
    _serial("seq"),
    _needed("at", Stamp),
    _needed("actor", CaseworkerId),
    _needed("action", String(40)),
    _optional("case_id", Id, index=True),
    _optional("item_id", Integer),
    _optional("decision_id", String(40)),
    _needed("message", Text),
    _optional("details", NullableJSON),
)

# Rejected input: where it was, what it said, and why it was refused.
DEAD_LETTERS = Table(
    "dead_letters",
    METADATA,
    _serial("id"),
    _needed("source", String(500)),
    _needed("position", String(300)),  # "message " and a message's key (formats.message_key)
    _needed("raw", Text),
    _needed("error", Text),
    _needed("raw_hash", String(32)),
    _needed("created_at", Stamp),
    UniqueConstraint("source", "position", "raw_hash"),
)

RUNS = Table(
    "runs",
    METADATA,
    _serial("run_id"),
    _needed("kind", String(30)),
    _needed("source", String(500)),
    _needed("started_at", Stamp),
    _optional("finished_at", Stamp),
    _needed("status", String(20)),
    _optional("counts", NullableJSON),
)

# How far `eventfilter tick` has decided what time alone changes, for every case.
TICKS = Table(
    "ticks",
    METADATA,
    _key("name", String(30)),  # "register": the whole register
    _needed("through", Date),
)

# A register file of a chain (the CPR change extract), read to its end.
EXTRACTS = Table(
    "register_extracts",
    METADATA,
    _key("source", String(30)),
    _key("production_date", Date),
    _optional("previous_date", Date),
    _needed("digest", String(64)),
    _needed("name", String(500)),
    _needed("complete", Boolean),
    _needed("read_at", Stamp),
)

Index("ix_persons_birth_date", PERSONS.c.birth_date)
Index("ix_review_items_open_case", ITEMS.c.case_id, ITEMS.c.status)
Index("ix_web_sessions_caseworker", WEB_SESSIONS.c.caseworker_id)
Index("ix_web_sessions_seen", WEB_SESSIONS.c.seen_at)
Index("ix_web_sign_in_failures_key_at", SIGN_IN_FAILURES.c.key, SIGN_IN_FAILURES.c.at)
