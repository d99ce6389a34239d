"""Synthetic worlds: persons, cases and register events, for samples and benchmarks."""

from eventfilter.generate.profiles import NATIONAL, NATIONAL_PERSONS, PROFILES, REGISTER, SAMPLE, Profile
from eventfilter.generate.world import World, write_world

__all__ = [
    "NATIONAL",
    "NATIONAL_PERSONS",
    "PROFILES",
    "REGISTER",
    "SAMPLE",
    "Profile",
    "World",
    "write_world",
]
