"""A server's URL fit for a message or a log line: without its password."""

from __future__ import annotations


def redact_url(url: str) -> str:
    """`scheme://user:secret@host/…` as `scheme://user@host/…`; other URLs as they are."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url
