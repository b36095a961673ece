import hashlib
import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import app_on
from tests.integration.test_issues_loop import report


def image(kind: str, exif: bool = False) -> bytes:
    picture = Image.new("RGB", (32, 24), "green")
    buffer = io.BytesIO()
    extra = {}
    if exif:
        tags = Image.Exif()
        tags[0x8825] = {1: "N", 2: (36.0, 39.0, 36.0), 3: "E", 4: (117.0, 3.0, 0.0)}
        tags[0x0132] = "2026:11:20 09:30:00"
        extra["exif"] = tags
    picture.save(buffer, kind, **extra)
    return buffer.getvalue()


@pytest.fixture
def photo_client(settings, session, tmp_path, admin_key):
    app = app_on(
        settings.model_copy(update={"photos_dir": tmp_path, "photo_max_bytes": 50_000}), session
    )
    with TestClient(app, headers={"X-API-Key": admin_key}) as client:
        yield client


def upload(client, issue, data: bytes, name: str = "x.jpg", tag: str = "before", **headers):
    return client.post(
        f"/issues/{issue['id']}/photos",
        headers=headers,
        files={"file": (name, data, "application/octet-stream")},
        data={"tag": tag},
    )


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("WEBP", "image/webp"),
    ],
)
def test_photos_are_typed_by_content_stored_by_hash_and_served_back(
    photo_client, market, tmp_path, kind, content_type
):
    issue = report(photo_client)
    data = image(kind)
    response = upload(photo_client, issue, data, name="misleading.txt")
    assert response.status_code == 201, response.text
    entry = response.json()
    digest = hashlib.sha256(data).hexdigest()
    assert entry["sha256"] == digest and entry["content_type"] == content_type
    assert list(tmp_path.rglob(f"{digest}.*"))
    served = photo_client.get(response.headers["location"])
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == content_type
    body = photo_client.get(f"/issues/{issue['id']}").json()
    assert body["version"] == 2 and body["events"][-1]["action"] == "photo"


def test_exif_time_and_position_are_kept(photo_client, market):
    issue = report(photo_client)
    entry = upload(photo_client, issue, image("JPEG", exif=True)).json()
    assert entry["lat"] == pytest.approx(36.66, abs=1e-6)
    assert entry["lon"] == pytest.approx(117.05, abs=1e-6)
    assert entry["taken_at"] == "2026-11-20T09:30:00"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GIF89a" + b"\x00" * 100, 415),
        (b"<html>not a photo</html>", 415),
        (b"\xff\xd8\xff" + b"\x00" * 100, 415),  # JPEG magic, broken body
        (b"\xff\xd8\xff" + b"\x00" * 60_000, 413),
    ],
)
def test_wrong_type_or_too_large_is_refused(photo_client, market, data, status):
    issue = report(photo_client)
    response = upload(photo_client, issue, data)
    assert response.status_code == status
    assert photo_client.get(f"/issues/{issue['id']}").json()["version"] == 1


def test_stale_if_match_and_unknown_photo(photo_client, market):
    issue = report(photo_client)
    upload(photo_client, issue, image("PNG"))
    stale = upload(photo_client, issue, image("JPEG"), **{"If-Match": '"1"'})
    assert stale.status_code == 412
    missing = photo_client.get(f"/issues/{issue['id']}/photos/{'0' * 64}")
    assert missing.status_code == 404
    assert upload(photo_client, issue, image("PNG"), tag="during").status_code == 400
