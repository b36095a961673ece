"""A short-lived memory of resolved API keys, so each request does not query for its key."""

from geoapi.auth.keys import key_hash
from geoapi.auth.principal import Principal
from geoapi.ttlcache import TtlCache


class KeyCache(TtlCache[Principal]):
    """Principals by key (held as its hash) for `ttl` seconds; only keys that resolved are kept.

    A revoked key therefore keeps working for at most `ttl` seconds in a running process.
    """

    def get(self, key: str) -> Principal | None:  # type: ignore[override]
        """The principal of `key` if resolved less than `ttl` seconds ago."""
        return super().get(key_hash(key))

    def put(self, key: str, principal: Principal) -> None:  # type: ignore[override]
        """Remember a resolved key."""
        super().put(key_hash(key), principal)
