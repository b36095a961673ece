"""`POST /routes/solve` over HTTP: an order for any positions, and 400 for bad input."""

import pytest

SQUARE = [[117.00, 36.60], [117.01, 36.61], [117.01, 36.60], [117.00, 36.61]]


def test_an_order_for_any_points(client):
    response = client.post("/routes/solve", json={"points": SQUARE, "start_index": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["order"][0] == 1 and sorted(body["order"]) == [0, 1, 2, 3]
    assert body["network"] == "haversine"
    assert 3_900 < body["length_m"] < 4_100  # around the ~900 m × ~1,100 m square, no diagonal


def test_the_network_metric_says_it_measured_straight_lines(client):
    plain = client.post("/routes/solve", json={"points": SQUARE}).json()
    network = client.post("/routes/solve", json={"points": SQUARE, "metric": "network"}).json()
    assert network["network"] == "straight_line"
    assert network["length_m"] == pytest.approx(plain["length_m"] * 1.3, rel=1e-3)


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"points": [[117.0, 36.6]]}, "at least 2"),
        ({"points": [[181.0, 36.6], [117.0, 36.6]]}, "less than or equal to 180"),
        ({"points": SQUARE, "start_index": 4}, "start_index 4"),
        ({"points": SQUARE, "time_limit_s": 0.01}, "greater than or equal to 0.1"),
        ({"points": SQUARE, "time_limit_s": 61}, "less than or equal to 60"),
        ({"points": "here"}, "points"),
        ({"points": [[117.0, 36.6]] * 2001}, "at most 2000"),
    ],
)
def test_bad_input_is_400(client, body, word):
    response = client.post("/routes/solve", json=body)
    assert response.status_code == 400 and word in response.json()["detail"], response.text


def test_the_public_needs_a_key(anonymous):
    assert anonymous.post("/routes/solve", json={"points": SQUARE}).status_code == 401
