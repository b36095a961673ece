"""The demo's problem ids: the same seed gives the same ids as it always did (a city loaded
with `--seed` is the city loaded before with that seed)."""

import uuid

import numpy as np

from geoapi.demo.issues import _uuids


def test_ids_for_all_at_once_are_the_ids_drawn_one_by_one():
    one_by_one = np.random.default_rng(7)
    expected = [str(uuid.UUID(bytes=one_by_one.bytes(16), version=4)) for _ in range(1000)]
    at_once = np.random.default_rng(7)
    assert _uuids(at_once, 1000) == expected
    assert at_once.random() == one_by_one.random()  # the draws after them are the same too
    assert all(uuid.UUID(i).version == 4 for i in expected)
