"""Growing waits between attempts while a server is away."""

from __future__ import annotations


class Backoff:
    """Each wait twice the last, from `start` up to `most`; `reset()` once it works again."""

    def __init__(self, start: float, most: float) -> None:
        self.start, self.most = start, most
        self.next_delay = start

    def next(self) -> float:
        delay = self.next_delay
        self.next_delay = min(self.most, self.next_delay * 2)
        return delay

    def reset(self) -> None:
        self.next_delay = self.start
