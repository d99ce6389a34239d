"""The use cases: import extracts, replay events, read the queue and holds."""
