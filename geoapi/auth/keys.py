"""API keys: random secrets shown once; only their SHA-256 is stored.

A key carries 256 random bits, so a fast hash is enough: there is nothing to brute-force.
"""

import hashlib
import secrets

KEY_PREFIX = "gk_"


def new_key() -> str:
    """A fresh key, e.g. `gk_Q3v…`; recognisable in logs and secret scanners by its prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    """What the database stores and looks keys up by."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_label(key: str) -> str:
    """The first characters, listed so an admin can tell a user's keys apart."""
    return key[: len(KEY_PREFIX) + 6]
