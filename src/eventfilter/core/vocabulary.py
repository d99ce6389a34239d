"""The words eventfilter's records are made of, spelled once: outcomes, the
changes a decision makes to a hold, where a review item stands and what a
caseworker can do with it. (StrEnum members are the strings themselves: `Outcome.PASS == "pass"`,
and they are stored and serialised as such.)"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    SUSPEND = "suspend"  # the payment must stop now
    REVIEW = "review"  # the payment goes on; a caseworker must look
    PASS = "pass"  # nothing to do


SEVERITY: dict[str, int] = {Outcome.PASS: 0, Outcome.REVIEW: 1, Outcome.SUSPEND: 2}
# The order every count by outcome is reported in: the most severe first.
OUTCOMES: tuple[Outcome, ...] = (Outcome.SUSPEND, Outcome.REVIEW, Outcome.PASS)


class HoldChange(StrEnum):
    """What a decision does to eventfilter's hold on the case's payment."""

    PLACE = "place"
    LIFT = "lift"


class ItemStatus(StrEnum):
    """Where a review item stands."""

    OPEN = "open"  # waiting for a caseworker
    RESOLVED = "resolved"  # a caseworker acted on it


class Action(StrEnum):
    """How a caseworker resolves a review item."""

    RELEASE = "release"  # lift the hold (or close a review item): payment goes on
    CONFIRM = "confirm"  # the stop stands; the case leaves the active set
    REDECIDE = "redecide"  # decide again on corrected facts


ACTIONS = tuple(a.value for a in Action)
