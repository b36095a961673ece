"""Statements built once per shape and reused: building and hashing them costs more than a
short query.

SQLAlchemy caches compiled SQL, but only after it has walked a freshly built statement to
compute its cache key; for a page of features that walk and the building itself cost about
as much as fetching one feature. A statement kept here, with its request values as named
bind parameters, is neither rebuilt nor walked again.
"""

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class StatementCache:
    """Built statements (or SQL text) by a key that determines them, bounded in size.

    A flood of distinct keys (every `properties=` selection, say) only empties it.
    """

    def __init__(self, limit: int = 512) -> None:
        self._limit = limit
        self._items: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The item for `key`, built on first use."""
        item = self._items.get(key)
        if item is None:
            item = build()
            with self._lock:
                if len(self._items) >= self._limit:
                    self._items.clear()
                self._items[key] = item
        return item

    def __len__(self) -> int:
        return len(self._items)
