from geoapi.db.statements import StatementCache


def test_an_item_is_built_once_per_key():
    cache, built = StatementCache(), []

    def build(key: str):
        return lambda: built.append(key) or f"statement {key}"

    assert cache.get("a", build("a")) == "statement a"
    assert cache.get("a", build("a")) == "statement a"
    assert cache.get("b", build("b")) == "statement b"
    assert built == ["a", "b"]


def test_a_flood_of_keys_only_empties_it():
    cache = StatementCache(limit=3)
    for key in range(10):
        assert cache.get(key, lambda key=key: key * 2) == key * 2
        assert len(cache) <= 3
    assert cache.get(9, lambda: "rebuilt") == 18  # the newest stays
