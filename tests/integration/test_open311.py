"""Open311 GeoReport v2, checked against the fields of the spec's published examples."""

from xml.etree import ElementTree

import pytest
from sqlalchemy import text

from tests.conftest import app_on
from tests.factories import noise_jpeg
from tests.integration.test_issues_loop import move, report

V2 = "/open311/v2"
# Keys of the example responses in the GeoReport v2 specification (wiki.open311.org).
SERVICE_KEYS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
CREATED_KEYS = {"service_request_id", "service_notice", "account_id"}
ERROR_KEYS = {"code", "description"}


def post_request(client, **fields):
    form = {"service_code": "garbage", "lat": "36.6601", "long": "117.0501"} | fields
    return client.post(f"{V2}/requests.json", data=form)


def test_discovery_and_services(anonymous, connection):
    discovery = anonymous.get(f"{V2}/discovery.json").json()
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and "text/xml" in endpoint["formats"]
    services = anonymous.get(f"{V2}/services.json").json()
    assert all(set(s) == SERVICE_KEYS for s in services)
    types = connection.scalar(text("SELECT count(*) FROM issue_types"))
    assert len(services) == types
    vending = next(s for s in services if s["service_code"] == "street_vending")
    assert vending["service_name"] == "占道经营" and vending["type"] == "realtime"
    definition = anonymous.get(f"{V2}/services/garbage.json").json()
    assert definition == {"service_code": "garbage", "attributes": []}
    missing = anonymous.get(f"{V2}/services/nope.json")
    assert missing.status_code == 404 and set(missing.json()[0]) == ERROR_KEYS


def test_a_citizen_reports_and_follows_the_status(anonymous, client, keys):
    created = post_request(anonymous, description="路口垃圾堆积", email="a@example.org")
    assert created.status_code == 201, created.text
    [body] = created.json()
    assert set(body) == CREATED_KEYS and "限时1天" in body["service_notice"]
    request_id = body["service_request_id"]
    issue = client.get(f"/issues/{request_id}").json()
    assert issue["source"] == "citizen" and issue["events"][0]["actor"] == "open311"
    assert issue["point"]["code"] == "MK-1"  # linked to the market 12 m away

    [seen] = anonymous.get(f"{V2}/requests/{request_id}.json").json()
    assert set(seen) == REQUEST_KEYS
    assert (seen["status"], seen["service_code"], seen["address_id"]) == ("open", "garbage", "MK-1")
    assert seen["lat"] == pytest.approx(36.6601) and seen["long"] == pytest.approx(117.0501)
    move(client, issue, "dispatch", unit="market_reg")
    [seen] = anonymous.get(f"{V2}/requests/{request_id}.json").json()
    assert "market_reg" in seen["status_notes"] and seen["expected_datetime"]
    move(client, issue, "rectify", keys["unit"])
    move(client, issue, "close", keys["verifier"])
    [seen] = anonymous.get(f"{V2}/requests/{request_id}.json").json()
    assert seen["status"] == "closed" and "销号" in seen["status_notes"]
    assert seen["updated_datetime"] >= seen["requested_datetime"]  # one test transaction


def test_requests_filters(anonymous, client, market):
    garbage = post_request(anonymous).json()[0]["service_request_id"]
    clutter = post_request(anonymous, service_code="clutter").json()[0]["service_request_id"]
    report(client)  # an inspector's report: not a citizen request, not listed
    listed = anonymous.get(f"{V2}/requests.json").json()
    assert {r["service_request_id"] for r in listed} == {garbage, clutter}
    by_code = anonymous.get(f"{V2}/requests.json", params={"service_code": "clutter"}).json()
    assert [r["service_request_id"] for r in by_code] == [clutter]
    closed = anonymous.get(f"{V2}/requests.json", params={"status": "closed"}).json()
    assert closed == []
    ids = anonymous.get(f"{V2}/requests.json", params={"service_request_id": garbage}).json()
    assert [r["service_request_id"] for r in ids] == [garbage]
    old = {"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-12-31T00:00:00Z"}
    assert anonymous.get(f"{V2}/requests.json", params=old).json() == []


@pytest.mark.parametrize(
    ("fields", "status", "needle"),
    [
        ({"service_code": "nope"}, 404, "service_code"),
        ({"lat": None, "long": None}, 400, "lat and long"),
        ({"lat": "200"}, 400, "lat"),
        ({"address_id": "NOPE", "lat": None, "long": None}, 400, "no point 'NOPE'"),
    ],
)
def test_bad_requests_get_the_spec_error_format(anonymous, market, fields, status, needle):
    form = {"service_code": "garbage", "lat": "36.66", "long": "117.05"} | fields
    form = {k: v for k, v in form.items() if v is not None}
    response = anonymous.post(f"{V2}/requests.json", data=form)
    assert response.status_code == status
    [error] = response.json()
    assert set(error) == ERROR_KEYS and error["code"] == status and needle in error["description"]


def test_bad_query_values_are_400(anonymous):
    for params in ({"status": "pending"}, {"start_date": "yesterday"}, {"service_request_id": "7"}):
        response = anonymous.get(f"{V2}/requests.json", params=params)
        assert response.status_code == 400 and set(response.json()[0]) == ERROR_KEYS


def test_xml_has_the_spec_element_names(anonymous, market):
    request_id = post_request(anonymous).json()[0]["service_request_id"]
    response = anonymous.get(f"{V2}/requests/{request_id}.xml")
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith("<?xml version='1.0' encoding='utf-8'?>")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert {child.tag for child in root[0]} == REQUEST_KEYS
    assert root[0].findtext("service_request_id") == request_id
    services = ElementTree.fromstring(anonymous.get(f"{V2}/services.xml").content)
    assert services.tag == "services" and services[0].tag == "service"
    error = ElementTree.fromstring(anonymous.get(f"{V2}/services/nope.xml").content)
    assert error.tag == "errors" and error[0].findtext("code") == "404"


def test_api_key_when_required(settings, session, keys):
    from fastapi.testclient import TestClient

    app = app_on(settings.model_copy(update={"open311_key_required": True}), session)
    with TestClient(app) as anonymous:
        refused = post_request(anonymous)
        assert refused.status_code == 403 and "api_key" in refused.json()[0]["description"]
        assert post_request(anonymous, api_key="gk_wrong").status_code == 403
        accepted = post_request(anonymous, api_key=keys["public"])
        assert accepted.status_code == 201
        request_id = accepted.json()[0]["service_request_id"]
    events = (
        session.execute(
            text("SELECT actor FROM issue_events WHERE issue_id = :i"), {"i": request_id}
        )
        .scalars()
        .all()
    )
    assert events == ["wechat-app"]


def test_open311_can_be_switched_off(settings, session):
    from fastapi.testclient import TestClient

    app = app_on(settings.model_copy(update={"open311_enabled": False}), session)
    with TestClient(app) as anonymous:
        assert anonymous.get(f"{V2}/requests.json").status_code == 404
        assert post_request(anonymous).status_code == 404


FORM_FIELDS = {"service_code": "garbage", "lat": "36.6601", "long": "117.0501"}


@pytest.mark.parametrize(
    "charset", ["utf-8", "UTF-8", "gb18030", "GBK", None], ids=lambda c: str(c)
)
def test_chinese_in_a_form_post_arrives_as_written(anonymous, client, market, charset):
    from urllib.parse import urlencode

    described = "菜市场门口占道经营，早上七点最严重"
    form = FORM_FIELDS | {"description": described}
    body = urlencode(form, encoding=charset or "utf-8").encode("ascii")
    content_type = "application/x-www-form-urlencoded" + (f"; charset={charset}" if charset else "")
    created = anonymous.post(
        f"{V2}/requests.json", content=body, headers={"Content-Type": content_type}
    )
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]
    assert client.get(f"/issues/{request_id}").json()["description"] == described


@pytest.mark.parametrize(
    ("body", "content_type", "needle"),
    [
        (b"description=%C0%AC", "utf-8", "not valid utf-8"),  # GB bytes declared as UTF-8
        ("description=垃圾".encode("gb18030"), "utf-8", "not valid utf-8"),
        (b"description=x", "klingon", "unknown"),
    ],
)
def test_a_form_not_in_its_charset_is_refused_not_stored_garbled(
    anonymous, connection, market, body, content_type, needle
):
    from urllib.parse import urlencode

    before = connection.scalar(text("SELECT count(*) FROM issues"))
    answer = anonymous.post(
        f"{V2}/requests.json",
        content=urlencode(FORM_FIELDS).encode() + b"&" + body,
        headers={"Content-Type": f"application/x-www-form-urlencoded; charset={content_type}"},
    )
    assert answer.status_code == 400 and needle in answer.json()[0]["description"]
    assert connection.scalar(text("SELECT count(*) FROM issues")) == before


def test_a_citizen_sends_a_photo_and_sees_the_fix(anonymous, client, keys, connection):
    before = noise_jpeg()
    form = {"service_code": "garbage", "lat": "36.6601", "long": "117.0501", "description": "垃圾"}
    created = anonymous.post(
        f"{V2}/requests.json", data=form, files={"media": ("p.jpg", before, "image/jpeg")}
    )
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]
    [seen] = anonymous.get(f"{V2}/requests/{request_id}.json").json()
    assert seen["media_url"].startswith("http://testserver/open311/v2/requests/")
    photo = anonymous.get(seen["media_url"])
    assert photo.status_code == 200 and photo.content == before
    events = client.get(f"/issues/{request_id}").json()["events"]
    actions = [(e["action"], e["actor"]) for e in events]
    assert actions == [("report", "open311"), ("photo", "open311")]
    issue = {"id": request_id}
    move(client, issue, "dispatch", unit="market_reg")
    move(client, issue, "rectify", keys["unit"])  # with its after photo
    [fixed] = anonymous.get(f"{V2}/requests/{request_id}.json").json()
    assert fixed["media_url"] != seen["media_url"]
    after = anonymous.get(fixed["media_url"])
    assert after.status_code == 200 and after.content != before
    missing = anonymous.get(seen["media_url"].rsplit("/", 1)[0] + "/" + "0" * 64)
    assert missing.status_code == 404


def test_a_report_with_unreadable_media_is_not_stored(anonymous, connection):
    before = connection.scalar(text("SELECT count(*) FROM issues"))
    form = {"service_code": "garbage", "lat": "36.6601", "long": "117.0501"}
    refused = anonymous.post(
        f"{V2}/requests.json", data=form, files={"media": ("p.jpg", b"not a photo", "image/jpeg")}
    )
    assert refused.status_code == 415 and set(refused.json()[0]) == ERROR_KEYS
    assert connection.scalar(text("SELECT count(*) FROM issues")) == before
