"""Adapters in memory: the store's twin (`MemoryStore`) for tests and for
runs that must leave no trace."""

from eventfilter.adapters.memory.sessions import MemorySessions
from eventfilter.adapters.memory.store import MemoryStore
from eventfilter.adapters.memory.unit import MemoryUnitOfWork

__all__ = ["MemorySessions", "MemoryStore", "MemoryUnitOfWork"]
