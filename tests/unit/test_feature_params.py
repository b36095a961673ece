from datetime import UTC, datetime

import pytest

from geoapi.errors import InvalidParameter
from geoapi.features.params import BBox, Cursor, Interval, parse_bbox, parse_cursor, parse_datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("116,36,117,37", BBox(116, 36, 117, 37)),
        ("-180,-90,180,90", BBox(-180, -90, 180, 90)),
    ],
)
def test_valid_bbox(text, expected):
    assert parse_bbox(text) == expected


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "0,50,1,40", "0,0,200,1", ""])
def test_invalid_bbox(text):
    with pytest.raises(InvalidParameter, match="bbox"):
        parse_bbox(text)


def t(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01T08:00:00Z", Interval(t(2026, 11, 1, 8), t(2026, 11, 1, 8))),
        ("2026-11-01", Interval(t(2026, 11, 1), t(2026, 11, 1, 23, 59, 59, 999999))),
        ("2026-11-01/..", Interval(t(2026, 11, 1), None)),
        (
            "../2026-11-01T00:00:00+08:00",
            Interval(None, datetime.fromisoformat("2026-11-01T00:00:00+08:00")),
        ),
        ("2026-10-01/2026-11-01", Interval(t(2026, 10, 1), t(2026, 11, 1, 23, 59, 59, 999999))),
    ],
)
def test_valid_datetime(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "../..", "2026-11-02/2026-11-01", "a/b/c", ".."])
def test_invalid_datetime(text):
    with pytest.raises(InvalidParameter, match="datetime"):
        parse_datetime(text)


def test_cursor_round_trips_and_garbage_is_refused():
    cursor = Cursor(["2026-11-01T00:00:00+00:00", 42], backward=True)
    assert parse_cursor(cursor.encode()) == cursor
    with pytest.raises(InvalidParameter, match="cursor"):
        parse_cursor("not-a-cursor")
