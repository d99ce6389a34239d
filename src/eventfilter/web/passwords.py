"""Password hashing for local accounts: scrypt (memory-hard), salted, with
its parameters kept in the hash so they can be raised later."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from eventfilter.errors import UsageError

MIN_LENGTH = 10
N, R, P = 2**14, 8, 1  # about 16 MiB and 50 ms per check on this kind of machine


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise UsageError(f"A password must have at least {MIN_LENGTH} characters.")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        hashlib.scrypt(b"-", salt=b"0" * 16, n=N, r=R, p=P, dklen=32)  # same time either way
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, _unb64(digest))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())
