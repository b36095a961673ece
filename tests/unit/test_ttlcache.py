import time

from geoapi.ttlcache import TtlCache


def test_values_are_remembered_for_ttl_seconds_only(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    cache: TtlCache[str] = TtlCache(ttl=60)
    cache.put(("points", ()), "extent")
    now[0] += 59
    assert cache.get(("points", ())) == "extent" and cache.get(("issues", ())) is None
    now[0] += 2
    assert cache.get(("points", ())) is None


def test_a_ttl_of_zero_remembers_nothing():
    cache: TtlCache[str] = TtlCache(ttl=0)
    cache.put("k", "v")
    assert cache.get("k") is None


def test_stale_entries_are_pruned_as_the_table_grows(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    cache: TtlCache[int] = TtlCache(ttl=10, max_entries=3)
    for i in range(4):
        cache.put(i, i)
    now[0] = 20
    cache.put("fresh", 1)
    assert len(cache) == 1 and cache.get("fresh") == 1
