"""Hostile and careless input: each gets a clear 4xx problem+json, the process stays up and
nothing is written."""

import base64
import io
import json
import uuid
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Connection, text

from geoapi.db.engine import make_engine, make_read_engine
from geoapi.errors import TooSlow, explain_database_error
from tests.conftest import app_on
from tests.factories import make_area_tree, make_point
from tests.integration.test_inspections import answers
from tests.integration.test_issue_photos import photo_client, upload  # noqa: F401
from tests.integration.test_issues_loop import report

PROBLEM = "application/problem+json"


def issues_count(connection: Connection) -> int:
    return connection.scalar(text("SELECT count(*) FROM issues"))


def assert_problem(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


def still_serving(client: TestClient) -> None:
    assert client.get("/collections/points/items", params={"limit": 1}).status_code == 200


@pytest.mark.parametrize(
    ("filter_text", "lang"),
    [
        ("NOT (" * 1100 + "code='x'" + ")" * 1100, "cql2-text"),
        ("(" * 1600 + "code='x'" + ")" * 1600, "cql2-text"),
        ("NOT " * 1100 + "code='x'", "cql2-text"),
        (
            '{"op":"not","args":[' * 100
            + '{"op":"=","args":[{"property":"code"},"x"]}'
            + "]}" * 100,
            "cql2-json",
        ),
    ],
    ids=["NOT-parentheses", "parentheses", "bare-NOTs", "json"],
)
def test_a_deeply_nested_filter_is_refused_before_parsing(anonymous, market, filter_text, lang):
    response = anonymous.get(
        "/collections/points/items", params={"filter": filter_text, "filter-lang": lang}
    )
    assert_problem(response, 400, "nested", "at most 32")
    still_serving(anonymous)


def test_a_nested_filter_within_the_limit_still_works(anonymous, market):
    nested = "NOT (" * 10 + "code='nothing'" + ")" * 10  # an even count of NOTs: code='nothing'
    response = anonymous.get("/collections/points/items", params={"filter": nested})
    assert response.status_code == 200, response.text
    assert response.json()["numberMatched"] == 0
    quoted = "name = '" + "(" * 200 + "'"  # brackets inside a literal do not count
    assert anonymous.get("/collections/points/items", params={"filter": quoted}).status_code == 200


def test_a_long_filter_and_a_long_query_string(anonymous, market):
    long_filter = " OR ".join(f"code='P{n:05d}'" for n in range(700))
    assert_problem(
        anonymous.get("/collections/points/items", params={"filter": long_filter}),
        400,
        "characters; at most 8,192",
    )
    response = anonymous.get("/collections/points/items", params={"name": "x" * 20_000})
    assert_problem(response, 414, "at most 16,384")


@pytest.mark.parametrize(
    "path",
    [
        "/collections/points/items?category=%00",
        "/collections/points/items?filter=code%3D%27%00%27",
        "/stats/figures?unit=a%00b",
        "/points/MK%00-1",
    ],
)
def test_nul_bytes_in_the_url_are_400(anonymous, market, path):
    assert_problem(anonymous.get(path), 400, "NUL" if "?" in path else "control character")


def test_json_bodies_with_nul_surrogates_or_deep_nesting_are_400_and_store_nothing(
    client, connection, market
):
    before = issues_count(connection)
    base = {"type": "clutter", "source": "inspection", "lon": 117.05, "lat": 36.66}
    nul = json.dumps(base | {"description": "a\u0000b"})
    surrogate = json.dumps(base).replace("}", ', "description": "\\ud800x"}')
    deep = "[" * 100_000 + "]" * 100_000
    json_headers = {"content-type": "application/json"}
    assert_problem(client.post("/issues", content=nul, headers=json_headers), 400, "NUL")
    assert_problem(
        client.post("/issues", content=surrogate, headers=json_headers), 400, "surrogate"
    )
    assert_problem(client.post("/issues", content=deep, headers=json_headers), 400, "deeper")
    nested = json.dumps(
        base
        | {
            "description": "x",
            "extra": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
        }
    )
    assert_problem(client.post("/issues", content=nested, headers=json_headers), 400, "deeper")
    assert issues_count(connection) == before
    broken = client.post("/issues", content=b'{"type": ', headers=json_headers)
    assert_problem(broken, 400, "JSON")
    still_serving(client)


def test_bodies_over_the_limit_are_413(client, market):
    big = json.dumps({"type": "clutter", "description": "x" * 2_000_000})
    response = client.post("/issues", content=big, headers={"content-type": "application/json"})
    assert_problem(response, 413, "at most 1,048,576")


def test_nul_bytes_reach_open311_neither_by_url_nor_by_form(anonymous, connection, market):
    before = issues_count(connection)
    response = anonymous.post(
        "/open311/v2/requests.json",
        content=b"service_code=clutter&lat=36.66&long=117.05&description=a%00b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400  # in Open311's own error shape
    assert response.json() == [
        {"code": 400, "description": "the form contains a NUL character (%00)"}
    ]
    assert issues_count(connection) == before
    listed = anonymous.get("/open311/v2/requests.xml", params={"service_code": "\x00"})
    assert listed.status_code == 400 and "<description>the URL contains a NUL" in listed.text


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"datetime": "2026-11-20T10:00:00+20:00"}, ["15:59"]),
        ({"datetime": "9999-12-31T23:59:59-10:00"}, ["year 9999"]),
        ({"datetime": "0001-01-01/.."}, ["year 1"]),
        ({"sortby": ",".join(["code"] * 1000)}, ["1000 keys; at most 8"]),
        ({"cursor": base64.urlsafe_b64encode(b'{"k":[{"a":1}],"b":false}').decode()}, ["cursor"]),
        ({"cursor": base64.urlsafe_b64encode(b'{"k":["x"],"b":"yes"}').decode()}, ["cursor"]),
        ({"cursor": base64.urlsafe_b64encode(b"[" * 5000).decode()}, ["cursor"]),
    ],
)
def test_bad_paging_and_time_parameters_are_400(client, market, params, words):
    assert_problem(client.get("/collections/issues/items", params=params), 400, *words)


def test_a_cursor_of_the_wrong_type_for_its_key_is_400(client, market):
    forged = base64.urlsafe_b64encode(json.dumps({"k": ["not a date", "x"], "b": False}).encode())
    response = client.get(
        "/collections/issues/items", params={"cursor": forged.decode(), "sortby": "-reported_at"}
    )
    assert_problem(response, 400, "out of range or of the wrong type")


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/stats/figures?from=9999-12-25&to=9999-12-31", ["year 9999"]),
        ("/points/due?date=9999-12-31", ["year 9999"]),
        ("/map?since=2026-01-01T00:00:00%2B18:00", ["15:59"]),
        ("/bulletins/9999-W52", ["year 9999"]),
    ],
)
def test_impossible_dates_in_office_queries_are_400(client, market, path, words):
    assert_problem(client.get(path), 400, *words)


def test_impossible_deadlines_and_if_match_are_400_and_change_nothing(client, connection, market):
    issue = report(client)
    far = client.post(
        f"/issues/{issue['id']}/transitions",
        json={"action": "dispatch", "unit": "market_reg", "deadline": "9999-12-31T00:00:00Z"},
    )
    assert_problem(far, 400, "year 9999")
    odd = client.post(
        f"/issues/{issue['id']}/transitions",
        json={"action": "dispatch", "unit": "market_reg"},
        headers={"If-Match": '"²"'.encode("latin-1")},  # a digit to str.isdigit
    )
    assert_problem(odd, 400, "If-Match")
    status = connection.scalar(
        text("SELECT status FROM issues WHERE id = :id"), {"id": issue["id"]}
    )
    assert status == "reported"


def test_unknown_routes_and_methods_are_problem_json(anonymous):
    assert_problem(anonymous.get("/no/such/thing"), 404)
    assert_problem(anonymous.delete("/collections"), 405)


def test_stats_answer_401_before_looking_at_their_filters(anonymous):
    response = anonymous.get("/stats/figures", params={"unit": "no-such-unit", "area": "nowhere"})
    assert_problem(response, 401, "API key")


def test_an_aggregate_asking_for_too_many_cells_is_400(client, market):
    report(client)
    response = client.get("/aggregates/open-issues", params={"bbox": "-180,-85,180,85", "size": 20})
    assert_problem(response, 400, "cells", "at most 100,000")
    assert client.get("/aggregates/open-issues", params={"size": 500}).status_code == 200


def test_statement_timeouts_cancel_long_queries(settings):
    quick = settings.model_copy(update={"db_read_timeout_s": 0.2})
    for engine in (make_read_engine(quick), make_engine(quick, statement_timeout_s=0.2)):
        try:
            with engine.connect() as connection, pytest.raises(Exception) as raised:
                connection.execute(text("SELECT pg_sleep(2)"))
            explained = explain_database_error(raised.value)
            assert isinstance(explained, TooSlow) and explained.status_code == 503
        finally:
            engine.dispose()
    command_line = make_engine(settings)  # imports and demo loads run without one
    try:
        with command_line.connect() as connection:
            assert connection.scalar(text("SHOW statement_timeout")) == "0"
    finally:
        command_line.dispose()


@pytest.fixture
def bounded_city(connection: Connection) -> None:
    """The areas 100..102 E × 30..32 N and a market inside them."""
    make_area_tree(connection)
    make_point(connection, "IN-1", lon=100.2, lat=30.2, category="market")


def test_positions_outside_the_areas_are_refused_on_every_create_path(
    client, anonymous, connection, bounded_city
):
    before = issues_count(connection)
    outside = {"type": "clutter", "source": "inspection", "lon": 0.0, "lat": 0.0}
    assert_problem(client.post("/issues", json=outside), 400, "outside the city")
    open311 = anonymous.post(
        "/open311/v2/requests.json", data={"service_code": "clutter", "lat": 0, "long": 0}
    )
    assert open311.status_code == 400 and "outside the city" in open311.text
    visit = client.post(
        "/inspections",
        json={"point_code": "IN-1", "answers": answers(), "lon": 0.0, "lat": 0.0},
    )
    assert_problem(visit, 400, "outside the city")
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [10.0, 10.0]},
        "properties": {"code": "FAR-1", "name": "远处", "category": "market"},
    }
    assert_problem(client.post("/points", json=feature), 400, "outside the city")
    assert issues_count(connection) == before
    assert connection.scalar(text("SELECT count(*) FROM points WHERE code = 'FAR-1'")) == 0
    inside = client.post("/issues", json=outside | {"lon": 100.21, "lat": 30.21})
    assert inside.status_code == 201, inside.text


def test_point_properties_over_the_limit_are_413(client, market):
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [117.05, 36.66]},
        "properties": {"code": "BIG-1", "name": "大", "category": "market", "blob": "x" * 70_000},
    }
    assert_problem(client.post("/points", json=feature), 413, "at most 65,536")


def png_bomb(side: int) -> bytes:
    """A valid PNG of side × side black pixels: a few hundred KB that decode to side² bytes."""
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def png_with_text_bomb() -> bytes:
    """A 1×1 PNG carrying a zTXt chunk that inflates to 64 MB."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG")
    data = buffer.getvalue()
    payload = b"Comment\x00\x00" + zlib.compress(b"\x00" * 64_000_000, 9)
    body = b"zTXt" + payload
    chunk = (len(payload)).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    return data[:33] + chunk + data[33:]  # after the IHDR chunk


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # read, not decoded
def test_photo_bombs_are_refused_before_decoding(photo_client, connection):  # noqa: F811
    issue = report(photo_client)
    photo_client.app.state.settings = photo_client.app.state.settings.model_copy(
        update={"photo_max_bytes": 2_000_000}
    )
    bomb = png_bomb(13_000)
    assert len(bomb) < 2_000_000
    assert_problem(upload(photo_client, issue, bomb, "bomb.png"), 413, "pixels")
    assert_problem(upload(photo_client, issue, png_with_text_bomb(), "text.png"), 415)
    photos = connection.scalar(
        text("SELECT photos FROM issues WHERE id = :id"), {"id": issue["id"]}
    )
    assert photos == []
    still_serving(photo_client)


def test_documents_show_the_thumbnail_stored_at_upload(photo_client, market, tmp_path):  # noqa: F811
    issue = report(photo_client)
    moved = photo_client.post(
        f"/issues/{issue['id']}/transitions", json={"action": "dispatch", "unit": "market_reg"}
    )
    assert moved.status_code == 200, moved.text
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (10, 120, 30)).save(buffer, "JPEG", quality=60)
    photo_client.app.state.settings = photo_client.app.state.settings.model_copy(
        update={"photo_max_bytes": 2_000_000}
    )
    stored = upload(photo_client, issue, buffer.getvalue())
    assert stored.status_code == 201, stored.text
    digest = stored.json()["sha256"]
    thumbnail = tmp_path / digest[:2] / f"{digest}.thumb.jpg"
    with Image.open(thumbnail) as small:
        assert max(small.size) == 240
    (tmp_path / digest[:2] / f"{digest}.jpg").unlink()  # documents never open the original
    notice = photo_client.post("/notices", json={"unit": "market_reg", "issues": [issue["id"]]})
    assert notice.status_code == 201, notice.text
    page = photo_client.get(f"/notices/{notice.json()['id']}", params={"f": "html"})
    assert page.text.count('<img class="thumb" src="data:image/jpeg;base64,') == 1


def test_the_app_answers_after_every_hostile_request(settings, session):
    """One app, every hostile request above in a row, then an ordinary read."""
    with TestClient(app_on(settings, session)) as anonymous:
        for path in (
            "/collections/points/items?filter=" + "NOT (" * 1100 + "code='x'" + ")" * 1100,
            "/collections/points/items?category=%00",
            "/collections/points/items?sortby=" + ",".join(["code"] * 1000),
        ):
            assert anonymous.get(path).status_code == 400
        assert anonymous.get(f"/issues/{uuid.uuid4()}").status_code == 401
        still_serving(anonymous)
