"""One error hierarchy. Each message is one plain sentence for a person;
the CLI alone maps these to exit statuses."""

from __future__ import annotations


class EventFilterError(Exception):
    """Root of every error eventfilter raises on purpose."""


class Malformed(EventFilterError, ValueError):
    """A line that breaks the contract; `str()` is one sentence naming the field.
    Never stops a run: the line becomes a dead letter."""


class WindowNotLoaded(EventFilterError, LookupError):
    """A case's open window is kept in the store and was not loaded before an
    event touched the case (a bug in the caller: see `core.routing.candidates`)."""


class ConfigError(EventFilterError):
    """The rule pack or settings are missing or malformed."""


class InputError(EventFilterError):
    """An input file cannot be read at all (a bad line is a dead letter instead)."""


class StoreError(EventFilterError):
    """The database cannot be reached or used."""


class SchemaOutdated(StoreError):
    """The database schema is older than this release."""


class SchemaNewer(StoreError):
    """The database schema is newer than this release: a later release upgraded it."""


class UsageError(EventFilterError):
    """A request that cannot be carried out as asked (bad argument values)."""


class NotFound(UsageError):
    """An id that names nothing (a review item, a case, a caseworker)."""


class NotAllowed(UsageError):
    """An action not allowed from the current state (resolving a resolved item)."""


class AccessDenied(EventFilterError):
    """A caseworker acting outside their municipalities."""


class Conflict(EventFilterError):
    """Someone else changed the same thing first."""


class BrokerError(EventFilterError):
    """The message broker cannot be reached or used (the stream retries)."""


class BrokerSetupError(EventFilterError):
    """The broker refuses what eventfilter needs of it (a missing plugin, the
    login, the virtual host): retrying cannot help, so the stream stops and
    says what to do."""


class Busy(EventFilterError):
    """Another process holds the database in a way that excludes this one."""
