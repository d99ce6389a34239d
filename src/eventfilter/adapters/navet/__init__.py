"""Navet change notifications (Skatteverket): `reader` reads a file (the
elements it reads are listed there), `writer` writes one (the generator's
samples, the tests)."""

from eventfilter.adapters.navet.reader import SOURCE, NavetFile, read_post, shown_text
from eventfilter.adapters.navet.writer import notification, post_element

__all__ = ["SOURCE", "NavetFile", "notification", "post_element", "read_post", "shown_text"]
