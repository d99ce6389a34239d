"""The CPR change extract: ISO-8859-1 fixed-width records, one snapshot per
changed person. `layout` holds the record layout and the codes, `extract`
reads a file, `writer` writes one (the generator's samples, the tests)."""

from eventfilter.adapters.cpr.extract import CprExtract
from eventfilter.adapters.cpr.layout import ENCODING, SOURCE
from eventfilter.adapters.cpr.records import Unreadable, person_snapshot
from eventfilter.adapters.cpr.writer import CprPerson, extract_text, person_records, status_of

__all__ = [
    "ENCODING",
    "SOURCE",
    "CprExtract",
    "CprPerson",
    "Unreadable",
    "extract_text",
    "person_records",
    "person_snapshot",
    "status_of",
]
