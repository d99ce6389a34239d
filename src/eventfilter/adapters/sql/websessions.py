"""The web review queue's sessions and failed sign-ins, in the store.

A session is found by the hash of its token (the cookie holds the token and
nothing else), so a leaked database holds no usable cookie. Signing out
deletes the session; a password change or deactivation deletes every
session of that caseworker.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from eventfilter.adapters.sql import bulk
from eventfilter.adapters.sql.connection import aware
from eventfilter.adapters.sql.models import SIGN_IN_FAILURES, WEB_SESSIONS
from eventfilter.adapters.sql.store import SqlStore


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SqlSessions:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    # -- sessions --------------------------------------------------------------------------
    def load(self, token: str) -> dict[str, Any] | None:
        t = WEB_SESSIONS
        with self.store.connect() as conn:
            row = conn.execute(select(t.c.data).where(t.c.token_hash == token_hash(token))).first()
        return dict(row.data or {}) if row is not None else None

    def save(self, token: str, data: dict[str, Any], at: datetime, *, new: bool) -> None:
        t = WEB_SESSIONS
        cw = data.get("cw")
        with self.store.write_transaction() as conn:
            if new:
                conn.execute(
                    t.insert().values(
                        token_hash=token_hash(token),
                        caseworker_id=cw,
                        data=data,
                        created_at=at,
                        seen_at=at,
                    )
                )
            else:
                conn.execute(
                    update(t)
                    .where(t.c.token_hash == token_hash(token))
                    .values(caseworker_id=cw, data=data, seen_at=at)
                )

    def drop(self, token: str) -> None:
        t = WEB_SESSIONS
        with self.store.write_transaction() as conn:
            conn.execute(delete(t).where(t.c.token_hash == token_hash(token)))

    def revoke(self, caseworker_id: str) -> int:
        """End every session of this caseworker (a new password, a deactivation)."""
        t = WEB_SESSIONS
        with self.store.write_transaction() as conn:
            return conn.execute(delete(t).where(t.c.caseworker_id == caseworker_id)).rowcount

    def purge(self, idle_before: datetime) -> None:
        """Forget sessions nobody has used since `idle_before`, and old failures."""
        with self.store.write_transaction() as conn:
            conn.execute(delete(WEB_SESSIONS).where(WEB_SESSIONS.c.seen_at < bulk.stamp(conn, idle_before)))
            conn.execute(
                delete(SIGN_IN_FAILURES).where(SIGN_IN_FAILURES.c.at < bulk.stamp(conn, idle_before))
            )

    # -- failed sign-ins -------------------------------------------------------------------
    def failures(self, key: str, since: datetime) -> int:
        t = SIGN_IN_FAILURES
        with self.store.connect() as conn:
            query = select(func.count()).where(t.c.key == key, t.c.at >= bulk.stamp(conn, since))
            return int(conn.execute(query).scalar_one())

    def oldest_failure(self, key: str, since: datetime) -> datetime | None:
        t = SIGN_IN_FAILURES
        with self.store.connect() as conn:
            query = select(func.min(t.c.at)).where(t.c.key == key, t.c.at >= bulk.stamp(conn, since))
            value = conn.execute(query).scalar()
        return aware(value) if isinstance(value, datetime) else None

    def failed(self, keys: list[str], at: datetime) -> None:
        with self.store.write_transaction() as conn:
            conn.execute(SIGN_IN_FAILURES.insert(), [{"key": k, "at": at} for k in keys])

    def forget_failures(self, key: str) -> None:
        with self.store.write_transaction() as conn:
            conn.execute(delete(SIGN_IN_FAILURES).where(SIGN_IN_FAILURES.c.key == key))
