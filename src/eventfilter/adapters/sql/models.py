"""The store's tables (SQLAlchemy 2). The schema itself is managed by the
Alembic migrations in eventfilter/migrations; these models must match them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    Boolean,
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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class PersonRow(Base):
    """Register state: one row per person the filter knows."""

    __tablename__ = "persons"
    # room in each page for a person's facts updated in place (migration 0010)
    __table_args__ = ({"sqlite_with_rowid": False, "postgresql_with": {"fillfactor": 80}},)
    person_id: Mapped[str] = mapped_column(PersonId, primary_key=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    alive: Mapped[bool] = mapped_column(Boolean, default=True)
    address_id: Mapped[str | None] = mapped_column(Id, index=True)  # who lives at a dwelling
    municipality_code: Mapped[str | None] = mapped_column(String(MUNICIPALITY_MAX))
    country: Mapped[str | None] = mapped_column(String(2))
    marital_status: Mapped[str | None] = mapped_column(String(30))
    partner_id: Mapped[str | None] = mapped_column(PersonId, index=True)  # who names someone as partner
    parent_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    monthly_income: Mapped[float | None] = mapped_column(Float)
    income_period: Mapped[str | None] = mapped_column(String(7))
    protected_address: Mapped[bool] = mapped_column(Boolean, default=False)
    versions: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = ({"postgresql_with": {"fillfactor": 80}},)  # a case's state, updated in place (0010)
    case_id: Mapped[str] = mapped_column(Id, primary_key=True)
    benefit: Mapped[str] = mapped_column(Benefit)
    beneficiary_id: Mapped[str] = mapped_column(PersonId, index=True)
    municipality_code: Mapped[str] = mapped_column(String(MUNICIPALITY_MAX), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    dwelling_address_id: Mapped[str | None] = mapped_column(Id, index=True)
    housing_cost: Mapped[float | None] = mapped_column(Float)
    hold_event_ids: Mapped[list[Any] | None] = mapped_column(NullableJSON)
    in_active_set: Mapped[bool] = mapped_column(Boolean, default=True)
    ticked_through: Mapped[date | None] = mapped_column(Date)


class ProcessedEventRow(Base):
    """Every event decided, by id: dedupe, conflict detection, corrections."""

    __tablename__ = "processed_events"
    __table_args__ = (
        # Only the stream's messages carry an id: replay's rows stay out of the index.
        Index(
            "ix_processed_events_message_id",
            "message_id",
            unique=True,
            sqlite_where=text("message_id IS NOT NULL"),
            postgresql_where=text("message_id IS NOT NULL"),
        ),
        {"sqlite_with_rowid": False},
    )
    event_id: Mapped[str] = mapped_column(Id, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[str] = mapped_column(PersonId)
    type: Mapped[str] = mapped_column(String(TYPE_MAX))
    effective_date: Mapped[date] = mapped_column(Date)
    effects: Mapped[list[Any] | None] = mapped_column(NullableJSON)
    run_id: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(Id)  # the stream's dedupe key (formats.message_key)


class WindowRow(Base):
    """Open "decided together" windows: one per case at most."""

    __tablename__ = "windows"
    # Decision order at the end of a replay: date, then case.
    __table_args__ = (Index("ix_windows_order", "effective_date", "case_id"),)
    case_id: Mapped[str] = mapped_column(Id, primary_key=True)
    effective_date: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[float] = mapped_column(Float)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class DecisionRow(Base):
    """The decision log: every decision on a case, with its explanation."""

    __tablename__ = "decisions"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(String(40), unique=True)
    case_id: Mapped[str | None] = mapped_column(Id, index=True)
    benefit: Mapped[str | None] = mapped_column(Benefit)
    person_id: Mapped[str] = mapped_column(PersonId)
    outcome: Mapped[str] = mapped_column(String(10))
    effective_date: Mapped[date] = mapped_column(Date)
    event_ids: Mapped[list[Any]] = mapped_column(JSON)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    before: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    rule_pack: Mapped[str] = mapped_column(String(RULE_PACK_MAX))
    parameter_set: Mapped[str | None] = mapped_column(String(24))
    hold: Mapped[str | None] = mapped_column(String(10))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(Integer)
    review_item_id: Mapped[int | None] = mapped_column(Integer, index=True)


class ParameterSetRow(Base):
    """The parameter values that decided: one row per distinct set."""

    __tablename__ = "parameter_sets"
    set_key: Mapped[str] = mapped_column(String(24), primary_key=True)
    rule_pack: Mapped[str] = mapped_column(String(RULE_PACK_MAX))
    benefit: Mapped[str] = mapped_column(Benefit)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)


class HoldRow(Base):
    """Holds placed by eventfilter for the payment run, and when they were lifted."""

    __tablename__ = "holds"
    hold_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(Id, index=True)
    decision_id: Mapped[str | None] = mapped_column(String(40))
    event_ids: Mapped[list[Any]] = mapped_column(JSON)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by: Mapped[str | None] = mapped_column(CaseworkerId)
    lift_reason: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str | None] = mapped_column(CaseworkerId)


class ReviewItemRow(Base):
    """The caseworker queue: one open item per case with an open suspend/review."""

    __tablename__ = "review_items"
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(Id, index=True)
    status: Mapped[str] = mapped_column(String(10), default=ItemStatus.OPEN.value, index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[date] = mapped_column(Date)
    urgent_code: Mapped[str] = mapped_column(String(50))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(CaseworkerId)
    action: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class OutboxRow(Base):
    """Messages for the payment system, committed with what caused them and
    published after the commit (decisions, holds placed, holds lifted), and the
    stream's dead letters for the broker's dead-letter queue (`error` set: the
    message as it came is `raw`, any bytes; `body` is empty)."""

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    routing_key: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(Id)  # formats.message_key
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    queue: Mapped[str | None] = mapped_column(String(200))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)


class CaseworkerRow(Base):
    """Caseworkers and the municipalities whose cases they may see and act on."""

    __tablename__ = "caseworkers"
    caseworker_id: Mapped[str] = mapped_column(CaseworkerId, primary_key=True)
    name: Mapped[str] = mapped_column(String(TEXT_MAX))
    municipalities: Mapped[list[Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    password_hash: Mapped[str | None] = mapped_column(
        String(300)
    )  # local sign-in (scrypt); None: no local login


class ProtectedAddressRow(Base):
    """Every address a protected person has lived at since their protection began.

    A decision made before the protection may name the address in its text;
    pages and outputs redact any address found here (rules.md: "from then on
    the person's address is redacted"), even after the person moved on."""

    __tablename__ = "protected_addresses"
    address_id: Mapped[str] = mapped_column(Id, primary_key=True)


class DraftRow(Base):
    """A caseworker's note on a review item while it is being typed."""

    __tablename__ = "drafts"
    caseworker_id: Mapped[str] = mapped_column(CaseworkerId, primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """A browser's session with the review queue, kept on the server: the
    cookie holds only a random token (its hash is the key), so signing out or
    changing the password ends it for good."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    caseworker_id: Mapped[str | None] = mapped_column(CaseworkerId)
    data: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignInFailureRow(Base):
    """A failed sign-in, by account and by address, for the brute-force limit."""

    __tablename__ = "web_sign_in_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """Every change of state besides decisions (which are their own append-only
    log): holds, review items, corrected facts, refused access. Never updated."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(CaseworkerId)
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(Id, index=True)
    item_id: Mapped[int | None] = mapped_column(Integer)
    decision_id: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)


class DeadLetterRow(Base):
    """Rejected input: where it was, what it said, and why it was refused."""

    __tablename__ = "dead_letters"
    __table_args__ = (UniqueConstraint("source", "position", "raw_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(500))
    position: Mapped[str] = mapped_column(String(300))  # "message " and a message's key (formats.message_key)
    raw: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    raw_hash: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RunRow(Base):
    __tablename__ = "runs"
    run_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    counts: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)


class TickRow(Base):
    """How far `eventfilter tick` has decided what time alone changes, for every case."""

    __tablename__ = "ticks"
    name: Mapped[str] = mapped_column(String(30), primary_key=True)  # "register": the whole register
    through: Mapped[date] = mapped_column(Date)


class ExtractRow(Base):
    """A register file of a chain (the CPR change extract), read to its end."""

    __tablename__ = "register_extracts"
    source: Mapped[str] = mapped_column(String(30), primary_key=True)
    production_date: Mapped[date] = mapped_column(Date, primary_key=True)
    previous_date: Mapped[date | None] = mapped_column(Date)
    digest: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500))
    complete: Mapped[bool] = mapped_column(Boolean)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


Index("ix_persons_birth_date", PersonRow.birth_date)
Index("ix_review_items_open_case", ReviewItemRow.case_id, ReviewItemRow.status)
Index("ix_web_sessions_caseworker", WebSessionRow.caseworker_id)
Index("ix_web_sessions_seen", WebSessionRow.seen_at)
Index("ix_web_sign_in_failures_key_at", SignInFailureRow.key, SignInFailureRow.at)


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


PERSONS = _table(PersonRow)
CASES = _table(CaseRow)
PROCESSED = _table(ProcessedEventRow)
WINDOWS = _table(WindowRow)
DECISIONS = _table(DecisionRow)
PARAMETER_SETS = _table(ParameterSetRow)
HOLDS = _table(HoldRow)
ITEMS = _table(ReviewItemRow)
DEAD_LETTERS = _table(DeadLetterRow)
RUNS = _table(RunRow)
EXTRACTS = _table(ExtractRow)
TICKS = _table(TickRow)
CASEWORKERS = _table(CaseworkerRow)
OUTBOX = _table(OutboxRow)
DRAFTS = _table(DraftRow)
PROTECTED_ADDRESSES = _table(ProtectedAddressRow)
AUDIT = _table(AuditRow)
WEB_SESSIONS = _table(WebSessionRow)
SIGN_IN_FAILURES = _table(SignInFailureRow)
