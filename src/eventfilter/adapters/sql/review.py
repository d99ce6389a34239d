"""The review queue, holds, audit trail and caseworkers in the SQL store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, or_, select, update

from eventfilter.adapters.sql import bulk
from eventfilter.adapters.sql.bulk import chunks
from eventfilter.adapters.sql.connection import aware
from eventfilter.adapters.sql.models import (
    AUDIT,
    CASES,
    CASEWORKERS,
    DECISIONS,
    DRAFTS,
    HOLDS,
    ITEMS,
    PROCESSED,
    WEB_SESSIONS,
)
from eventfilter.adapters.sql.store import SqlStore
from eventfilter.core.vocabulary import ItemStatus
from eventfilter.records import (
    AuditView,
    CaseView,
    Caseworker,
    DecisionView,
    EventView,
    HoldView,
    ItemGist,
    ItemView,
)


def end_of(day: date) -> datetime:
    """The first moment after `day` (UTC): holds "as of" a day include that whole day.
    (The last day there is ends at the last moment there is.)"""
    if day == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


class SqlReview:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    # -- review items --------------------------------------------------------------
    def municipalities(self) -> list[str]:
        """The municipalities that pay any case."""
        c = CASES.c
        with self.store.connect() as conn:
            return sorted(conn.execute(select(c.municipality_code).distinct()).scalars())

    def items(
        self,
        status: str = ItemStatus.OPEN.value,
        *,
        item_ids: Sequence[int] | None = None,
        case_id: str | None = None,
        municipalities: Sequence[str] | None = None,
        benefits: Sequence[str] | None = None,
    ) -> list[ItemView]:
        """Review items with their case and the gist of their decisions, by due date."""
        i, c, d = ITEMS, CASES, DECISIONS
        query = select(i, c.c.benefit, c.c.municipality_code, c.c.hold_event_ids)
        query = query.join(c, c.c.case_id == i.c.case_id)
        if status != "all":
            query = query.where(i.c.status == status)
        if item_ids is not None:
            query = query.where(i.c.item_id.in_(list(item_ids)))
        if case_id is not None:
            query = query.where(i.c.case_id == case_id)
        if municipalities:
            query = query.where(c.c.municipality_code.in_(list(municipalities)))
        if benefits:
            query = query.where(c.c.benefit.in_(list(benefits)))
        with self.store.connect() as conn:
            rows = list(conn.execute(query.order_by(i.c.due_date, i.c.item_id)).mappings())
            gists: dict[int, ItemGist] = {}
            for chunk in chunks([r["item_id"] for r in rows]):
                decided = conn.execute(
                    select(d.c.review_item_id, d.c.outcome, d.c.reasons)
                    .where(d.c.review_item_id.in_(list(chunk)))
                    .order_by(d.c.seq)
                )
                for item_id, outcome, reasons in decided:
                    gists.setdefault(item_id, ItemGist()).add(outcome, reasons)
        views = []
        for r in rows:
            gist = gists.get(r["item_id"]) or ItemGist()
            views.append(
                ItemView(
                    item_id=r["item_id"],
                    case_id=r["case_id"],
                    benefit=r["benefit"],
                    municipality_code=r["municipality_code"],
                    status=r["status"],
                    opened_at=aware(r["opened_at"]),
                    due_date=r["due_date"],
                    urgent_code=r["urgent_code"],
                    outcome=gist.outcome,
                    reasons=tuple(gist.codes),
                    decisions=gist.decisions,
                    held=r["hold_event_ids"] is not None,
                    resolved_at=aware(r["resolved_at"]) if r["resolved_at"] else None,
                    resolved_by=r["resolved_by"],
                    action=r["action"],
                    note=r["note"],
                )
            )
        return views

    def item(self, item_id: int) -> ItemView | None:
        found = self.items("all", item_ids=[item_id])
        return found[0] if found else None

    def decisions(self, *, item_id: int | None = None, case_id: str | None = None) -> list[DecisionView]:
        d = DECISIONS
        query = select(d).order_by(d.c.seq)
        if item_id is not None:
            query = query.where(d.c.review_item_id == item_id)
        else:
            query = query.where(d.c.case_id == case_id)
        with self.store.connect() as conn:
            return [
                DecisionView(
                    decision_id=r["decision_id"],
                    outcome=r["outcome"],
                    reasons=tuple(r["reasons"]),
                    before=r["before"],
                    after=r["after"],
                    event_ids=tuple(r["event_ids"]),
                    effective_date=r["effective_date"],
                    decided_at=aware(r["decided_at"]),
                    hold=r["hold"],
                    rule_pack=r["rule_pack"],
                    item_id=r["review_item_id"],
                    seq=r["seq"],
                )
                for r in conn.execute(query).mappings()
            ]

    def events(self, event_ids: Sequence[str]) -> dict[str, EventView]:
        p = PROCESSED
        found: dict[str, EventView] = {}
        with self.store.connect() as conn:
            for chunk in chunks(list(event_ids)):
                for r in conn.execute(
                    select(p.c.event_id, p.c.type, p.c.person_id, p.c.effective_date).where(
                        p.c.event_id.in_(chunk)
                    )
                ):
                    found[r.event_id] = EventView(r.event_id, r.type, r.person_id, r.effective_date)
        return found

    # -- cases, holds ------------------------------------------------------------------
    def case(self, case_id: str) -> CaseView | None:
        c, h = CASES, HOLDS
        with self.store.connect() as conn:
            r = conn.execute(select(c).where(c.c.case_id == case_id)).mappings().first()
            if r is None:
                return None
            hold = conn.execute(
                select(h.c.placed_at, h.c.confirmed_at)
                .where(h.c.case_id == case_id, h.c.lifted_at.is_(None))
                .order_by(h.c.hold_id.desc())
            ).first()
        return CaseView(
            case_id=r["case_id"],
            benefit=r["benefit"],
            beneficiary_id=r["beneficiary_id"],
            municipality_code=r["municipality_code"],
            status=r["status"],
            dwelling_address_id=r["dwelling_address_id"],
            housing_cost=r["housing_cost"],
            held=r["hold_event_ids"] is not None,
            held_since=aware(hold.placed_at) if hold is not None else None,
            confirmed=hold is not None and hold.confirmed_at is not None,
            in_active_set=bool(r["in_active_set"]),
        )

    def holds(self, as_of: date | None = None) -> list[HoldView]:
        """Cases whose payment is held: eventfilter's holds (as of the end of
        `as_of`, or now), then the case extract's own suspensions."""
        c, h, d = CASES, HOLDS, DECISIONS
        query = select(
            c.c.case_id,
            c.c.benefit,
            c.c.municipality_code,
            h.c.decision_id,
            h.c.event_ids,
            h.c.placed_at,
            h.c.confirmed_at,
        ).join(h, h.c.case_id == c.c.case_id)
        if as_of is None:
            query = query.where(h.c.lifted_at.is_(None))
        else:
            end = end_of(as_of)
            query = query.where(h.c.placed_at < end, or_(h.c.lifted_at.is_(None), h.c.lifted_at >= end))
        views = []
        with self.store.connect() as conn:
            held = conn.execute(query.order_by(h.c.placed_at, c.c.case_id)).all()
            reasons: dict[str, list[str]] = {}
            effective: dict[str, date] = {}
            for chunk in chunks([r.decision_id for r in held if r.decision_id]):
                for decision_id, rs, day in conn.execute(
                    select(d.c.decision_id, d.c.reasons, d.c.effective_date).where(
                        d.c.decision_id.in_(list(chunk))
                    )
                ):
                    reasons[decision_id] = [x["code"] for x in rs]
                    effective[decision_id] = day if isinstance(day, date) else date.fromisoformat(str(day))
            for r in held:
                views.append(
                    HoldView(
                        case_id=r.case_id,
                        benefit=r.benefit,
                        municipality_code=r.municipality_code,
                        source="eventfilter",
                        decision_id=r.decision_id,
                        event_ids=tuple(r.event_ids),
                        placed_at=aware(r.placed_at),
                        reasons=tuple(reasons.get(r.decision_id or "", ())),
                        confirmed=r.confirmed_at is not None,
                        effective_date=effective.get(r.decision_id or ""),
                    )
                )
            extract = conn.execute(
                select(c.c.case_id, c.c.benefit, c.c.municipality_code)
                .where(c.c.status == "suspended", c.c.hold_event_ids.is_(None))
                .order_by(c.c.case_id)
            ).all()
            for x in extract:
                views.append(
                    HoldView(x.case_id, x.benefit, x.municipality_code, "case extract", None, (), None, ())
                )
        return views

    # -- audit -------------------------------------------------------------------------
    def audit(self, case_id: str) -> list[AuditView]:
        a = AUDIT
        with self.store.connect() as conn:
            rows = conn.execute(select(a).where(a.c.case_id == case_id).order_by(a.c.seq)).mappings()
            return [
                AuditView(
                    seq=r["seq"],
                    at=aware(r["at"]),
                    actor=r["actor"],
                    action=r["action"],
                    message=r["message"],
                    item_id=r["item_id"],
                    decision_id=r["decision_id"],
                    details=r["details"],
                )
                for r in rows
            ]

    # -- caseworkers -----------------------------------------------------------------------
    def caseworker(self, caseworker_id: str) -> Caseworker | None:
        t = CASEWORKERS
        with self.store.connect() as conn:
            r = conn.execute(select(t).where(t.c.caseworker_id == caseworker_id)).mappings().first()
        return _caseworker(r) if r is not None else None

    def caseworkers(self) -> list[Caseworker]:
        t = CASEWORKERS
        with self.store.connect() as conn:
            return [_caseworker(r) for r in conn.execute(select(t).order_by(t.c.caseworker_id)).mappings()]

    def password_hash(self, caseworker_id: str) -> str | None:
        t = CASEWORKERS
        with self.store.connect() as conn:
            return conn.execute(select(t.c.password_hash).where(t.c.caseworker_id == caseworker_id)).scalar()

    def set_password_hash(self, caseworker_id: str, hashed: str) -> bool:
        """A new password ends every session the caseworker had (in the same transaction)."""
        t = CASEWORKERS
        with self.store.write_transaction() as conn:
            done = conn.execute(
                update(t).where(t.c.caseworker_id == caseworker_id).values(password_hash=hashed)
            )
            conn.execute(delete(WEB_SESSIONS).where(WEB_SESSIONS.c.caseworker_id == caseworker_id))
            return done.rowcount == 1

    # -- drafts of notes (the web queue) ------------------------------------------------------
    def draft(self, caseworker_id: str, item_id: int) -> tuple[str, datetime] | None:
        t = DRAFTS
        with self.store.connect() as conn:
            row = conn.execute(
                select(t.c.text, t.c.updated_at).where(
                    t.c.caseworker_id == caseworker_id, t.c.item_id == item_id
                )
            ).first()
        return (row.text, aware(row.updated_at)) if row is not None else None

    def save_draft(self, caseworker_id: str, item_id: int, text: str, at: datetime) -> None:
        with self.store.write_transaction() as conn:
            bulk.upsert_many(
                conn,
                "drafts",
                ("caseworker_id", "item_id", "text", "updated_at"),
                ("caseworker_id", "item_id"),
                [(caseworker_id, item_id, text, bulk.stamp(conn, at))],
            )

    def drop_draft(self, caseworker_id: str, item_id: int) -> None:
        t = DRAFTS
        with self.store.write_transaction() as conn:
            conn.execute(t.delete().where(t.c.caseworker_id == caseworker_id, t.c.item_id == item_id))

    def save_caseworker(self, cw: Caseworker, at: datetime) -> None:
        with self.store.write_transaction() as conn:
            bulk.upsert(
                conn,
                "caseworkers",
                ("caseworker_id", "name", "municipalities", "active", "created_at"),
                "caseworker_id",
                [
                    (
                        cw.caseworker_id,
                        cw.name,
                        bulk.js(list(cw.municipalities)),
                        cw.active,
                        bulk.stamp(conn, at),
                    )
                ],
            )
            if not cw.active:  # a deactivated caseworker is signed out everywhere at once
                conn.execute(delete(WEB_SESSIONS).where(WEB_SESSIONS.c.caseworker_id == cw.caseworker_id))

    # -- resolving (inside the caller's write transaction) ------------------------------------
    @staticmethod
    def claim(conn: Connection, item_id: int, by: str, action: str, note: str | None, at: datetime) -> bool:
        """Resolve the item if it is still open; False when someone else did first."""
        i = ITEMS
        result = conn.execute(
            update(i)
            .where(i.c.item_id == item_id, i.c.status == ItemStatus.OPEN.value)
            .values(
                status=ItemStatus.RESOLVED.value,
                resolved_at=at,
                resolved_by=by,
                action=action,
                note=note,
                version=i.c.version + 1,
            )
        )
        return result.rowcount == 1

    @staticmethod
    def lift_hold(conn: Connection, case_id: str, at: datetime, by: str, reason: str) -> None:
        h, c = HOLDS, CASES
        conn.execute(
            update(h)
            .where(h.c.case_id == case_id, h.c.lifted_at.is_(None))
            .values(lifted_at=at, lifted_by=by, lift_reason=reason)
        )
        conn.execute(update(c).where(c.c.case_id == case_id).values(hold_event_ids=None))

    @staticmethod
    def confirm_hold(conn: Connection, case_id: str, at: datetime, by: str) -> None:
        """The stop stands: the hold stays for the payment run, the case leaves the active set."""
        h, c = HOLDS, CASES
        conn.execute(
            update(h)
            .where(and_(h.c.case_id == case_id, h.c.lifted_at.is_(None)))
            .values(confirmed_at=at, confirmed_by=by)
        )
        conn.execute(update(c).where(c.c.case_id == case_id).values(in_active_set=False))


def _caseworker(r: Any) -> Caseworker:
    return Caseworker(r["caseworker_id"], r["name"], tuple(r["municipalities"]), bool(r["active"]))
