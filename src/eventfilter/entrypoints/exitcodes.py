"""Exit statuses (contract.md §5), and how each error maps to one."""

from __future__ import annotations

from enum import IntEnum

from eventfilter import errors


class ExitCode(IntEnum):
    OK = 0  # all input decided
    FAILED = 1  # a failure stopped the run; the database is consistent, a rerun completes it
    USAGE = 2  # a usage error: bad arguments, unknown ids, actions not allowed
    DEAD_LETTERS = 3  # the run completed, but some lines were dead-lettered
    REFUSED = 4  # a caseworker acted outside their municipalities
    CONFLICT = 5  # someone else changed the same item first


def exit_code_for(exc: errors.EventFilterError) -> ExitCode:
    if isinstance(exc, errors.UsageError | errors.InputError):
        return ExitCode.USAGE
    if isinstance(exc, errors.AccessDenied):
        return ExitCode.REFUSED
    if isinstance(exc, errors.Conflict):
        return ExitCode.CONFLICT
    return ExitCode.FAILED
