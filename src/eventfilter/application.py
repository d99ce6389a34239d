"""The configured application, as entrypoints and services receive it: the
rule pack, the settings, the clock and the store behind its ports. Built in
one place (`bootstrap`), for the CLI, the consumer, the web app and the tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from eventfilter.core.pack import RulePack
from eventfilter.ports import Review, Sessions, Store
from eventfilter.settings import Settings

Clock = Callable[[], datetime]


@dataclass
class App:
    store: Store
    review: Review
    sessions: Sessions
    pack: RulePack
    settings: Settings
    clock: Clock

    def today(self) -> datetime:
        return self.clock()
