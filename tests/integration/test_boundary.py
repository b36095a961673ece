"""The city's boundary for many positions at once: those inside a top area are found in
Python first, the rest by the database, and the answer is the database's alone."""

import pytest
from sqlalchemy import Connection

from geoapi import boundary
from tests.factories import make_area, make_area_tree, square

# inside, on the district's edge, outside it but inside a street drawn beyond it, outside
POSITIONS = [
    (100.5, 30.5),
    (102.0, 31.0),
    (101.0, 32.0),
    (102.5, 31.0),
    (103.5, 30.5),
    (99.0, 30.0),
]


@pytest.mark.parametrize("screen_from", [1, 10**9])
def test_positions_outside_every_area_are_found(connection: Connection, monkeypatch, screen_from):
    ids = make_area_tree(connection)  # the district covers 100…102 × 30…32
    make_area(connection, "street", "Z", square(103, 30, 1), ids["district"])  # drawn beyond it
    monkeypatch.setattr(boundary, "SCREEN_FROM", screen_from)
    lons, lats = zip(*POSITIONS, strict=True)
    assert boundary.outside(connection, lons, lats) == [4, 6]
