"""eventfilter: decides which register events must stop a benefit payment."""

__version__ = "0.1.0"
