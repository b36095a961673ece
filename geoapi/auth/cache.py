"""A short-lived memory of resolved API keys, so each request does not query for its key."""

import threading
import time

from geoapi.auth.keys import key_hash
from geoapi.auth.principal import Principal


class KeyCache:
    """Principals by key hash for `ttl` seconds; only keys that resolved are kept.

    A revoked key therefore keeps working for at most `ttl` seconds in a running process.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Principal | None:
        """The principal of `key` if resolved less than `ttl` seconds ago."""
        if self.ttl <= 0:
            return None
        entry = self._entries.get(key_hash(key))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, principal: Principal) -> None:
        """Remember a resolved key (the table is pruned of stale entries as it grows)."""
        if self.ttl <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries = {h: e for h, e in self._entries.items() if e[0] >= now}
            self._entries[key_hash(key)] = (now + self.ttl, principal)
