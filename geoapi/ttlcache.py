"""A small, thread-safe memory of values for a few seconds (API keys, collection extents)."""

import threading
import time
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Values by key for `ttl` seconds; a `ttl` of 0 remembers nothing.

    Stale entries are pruned once the table grows past `max_entries`.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Entries held, stale ones not yet pruned included."""
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        """The value put under `key` less than `ttl` seconds ago, or None."""
        if self.ttl <= 0:
            return None
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: Hashable, value: V) -> None:
        """Remember `value` under `key` for `ttl` seconds."""
        if self.ttl <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._entries) > self.max_entries:
                self._entries = {k: e for k, e in self._entries.items() if e[0] >= now}
            self._entries[key] = (now + self.ttl, value)
