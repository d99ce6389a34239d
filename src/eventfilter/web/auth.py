"""Who is signing in: pluggable.

- `LocalAccounts`: caseworkers sign in with their id and a password (scrypt
  hashes in the database; set with `eventfilter caseworkers password`).
- `TrustedHeader`: for OIDC in production. eventfilter runs behind an OIDC
  proxy (oauth2-proxy, Keycloak Gatekeeper, an ingress with OIDC) that signs
  the user in against the municipality's identity provider and passes the
  user's id in a header (e.g. `X-Forwarded-Email`); eventfilter maps it to a
  registered caseworker. The proxy must be the only way to reach the app.

Either way the caseworker must be registered and active, and sees only
their municipalities.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from eventfilter.ports import Review
from eventfilter.records import Caseworker
from eventfilter.web.passwords import verify_password


class Authenticator(Protocol):
    """Turns a request (its headers, or a submitted login form) into a caseworker."""

    uses_login_form: bool

    def from_form(self, username: str, password: str) -> Caseworker | None: ...

    def from_headers(self, headers: Mapping[str, str]) -> Caseworker | None: ...


class LocalAccounts:
    uses_login_form = True

    def __init__(self, review: Review) -> None:
        self.review = review

    def from_form(self, username: str, password: str) -> Caseworker | None:
        cw = self.review.caseworker(username.strip())
        stored = self.review.password_hash(username.strip()) if cw is not None else None
        if not verify_password(password, stored) or cw is None or not cw.active:
            return None
        return cw

    def from_headers(self, headers: Mapping[str, str]) -> Caseworker | None:
        return None


class TrustedHeader:
    uses_login_form = False

    def __init__(self, review: Review, header: str) -> None:
        self.review = review
        self.header = header.lower()

    def from_form(self, username: str, password: str) -> Caseworker | None:
        return None

    def from_headers(self, headers: Mapping[str, str]) -> Caseworker | None:
        who = headers.get(self.header)
        if not who:
            return None
        cw = self.review.caseworker(who.strip())
        return cw if cw is not None and cw.active else None
