"""Alembic environment: runs on the connection eventfilter hands it."""

from __future__ import annotations

from alembic import context

from eventfilter.adapters.sql.models import METADATA

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("eventfilter runs its migrations through `eventfilter db upgrade`.")

context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
