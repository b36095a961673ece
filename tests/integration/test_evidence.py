"""Evidence that holds: an after photo or video to rectify, and photos whose time, place or
picture do not fit the problem flagged for the verifier."""

import io
from datetime import datetime, timedelta

import av
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import text

from tests.factories import noise_jpeg
from tests.integration.test_issues_loop import after_photo, move, report
from tests.integration.test_roles import as_

HERE = (117.0501, 36.6601)  # where report() puts its problem


def exif(taken: datetime | None = None, lon: float | None = None, lat: float | None = None):
    """EXIF as a phone writes it: local time without a zone, GPS in degrees/minutes/seconds."""
    tags = Image.Exif()
    if taken is not None:
        tags[0x0132] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if lon is not None and lat is not None:
        tags[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    return tags


def dms(value: float) -> tuple[float, float, float]:
    minutes, seconds = divmod(value * 3600, 60)
    degrees, minutes = divmod(minutes, 60)
    return (degrees, minutes, round(seconds, 4))


def video(seconds: float = 1.0, fps: int = 10) -> bytes:
    """A short MP4 of random frames, with a creation time and position as phones record."""
    buffer = io.BytesIO()
    rng = np.random.default_rng()
    with av.open(buffer, "w", format="mp4") as out:
        out.metadata["location"] = f"+{HERE[1]:.4f}+{HERE[0]:.4f}/"
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(rng.integers(0, 256, (48, 64, 3), "uint8"), "rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return buffer.getvalue()


def dispatched(client) -> dict:
    issue = report(client)
    assert move(client, issue, "dispatch", unit="market_reg").status_code == 200
    return issue


def read(client, issue) -> dict:
    return client.get(f"/issues/{issue['id']}").json()


def upload(client, issue, data: bytes, tag: str = "after", key: str | None = None):
    return client.post(
        f"/issues/{issue['id']}/photos",
        headers=as_(key) if key else {},
        files={"file": ("evidence", data, "application/octet-stream")},
        data={"tag": tag},
    )


def test_rectifying_needs_an_after_photo_of_this_round(client, keys, market, connection):
    issue = dispatched(client)
    before = upload(client, issue, noise_jpeg(), tag="before")
    assert before.status_code == 201
    refused = move(client, issue, "rectify", keys["unit"], evidence=False)
    assert refused.status_code == 409 and "after photo" in refused.json()["detail"]
    assert refused.headers["content-type"] == "application/problem+json"
    assert read(client, issue)["status"] == "dispatched"
    assert "rectify" not in [e["action"] for e in read(client, issue)["events"]]
    assert upload(client, issue, noise_jpeg(), key=keys["unit"]).status_code == 201
    assert move(client, issue, "rectify", keys["unit"], evidence=False).status_code == 200
    # Sent back for rework: last round's photo no longer shows the new work.
    assert move(client, issue, "reopen", keys["verifier"], note="反弹").status_code == 200
    again = move(client, issue, "rectify", keys["unit"], evidence=False)
    assert again.status_code == 409
    assert move(client, issue, "rectify", keys["unit"]).status_code == 200  # a new photo


def test_a_type_may_do_without_the_after_photo(client, keys, market):
    types = client.get("/issue-types/street_vending").json()
    body = {k: v for k, v in types.items() if k != "code"} | {"after_photo_required": False}
    assert client.put("/issue-types/street_vending", json=body).status_code == 200
    issue = dispatched(client)
    assert move(client, issue, "rectify", keys["unit"], evidence=False).status_code == 200


def test_a_batch_rectify_without_photos_names_each_problem_and_stores_nothing(client, keys, market):
    issues = [dispatched(client) for _ in range(3)]
    assert after_photo(client, issues[1]).status_code == 201
    moves = [{"id": i["id"], "action": "rectify"} for i in issues]
    answer = client.post("/issues/transitions", json={"moves": moves}, headers=as_(keys["unit"]))
    assert answer.status_code == 409
    assert [e["index"] for e in answer.json()["errors"]] == [0, 2]
    assert {read(client, i)["status"] for i in issues} == {"dispatched"}


def test_an_after_photo_taken_before_the_report_is_flagged(client, settings, market):
    issue = dispatched(client)
    reported = datetime.fromisoformat(read(client, issue)["reported_at"])
    local = reported.astimezone(settings.zone).replace(tzinfo=None)
    stale = upload(client, issue, noise_jpeg(exif=exif(local - timedelta(days=2))))
    assert stale.status_code == 201  # kept, for the verifier to weigh
    assert [f["kind"] for f in stale.json()["flags"]] == ["taken_before_report"]
    fresh = upload(client, issue, noise_jpeg(exif=exif(local + timedelta(minutes=30))))
    assert fresh.json()["flags"] == []
    flags = read(client, issue)["evidence_flags"]
    assert [(f["kind"], f["photo"]) for f in flags] == [
        ("taken_before_report", stale.json()["sha256"])
    ]
    assert "早于问题上报时间" in flags[0]["detail_zh"]


def test_a_photo_taken_far_from_the_problem_is_flagged(client, settings, market):
    issue = dispatched(client)
    near = upload(client, issue, noise_jpeg(exif=exif(lon=HERE[0] + 0.001, lat=HERE[1])))
    assert near.json()["flags"] == []  # about 90 m east
    far = upload(client, issue, noise_jpeg(exif=exif(lon=HERE[0] + 0.05, lat=HERE[1])))
    (flag,) = far.json()["flags"]
    assert flag["kind"] == "far" and flag["distance_m"] == pytest.approx(4467, rel=0.01)
    assert settings.photo_far_m < flag["distance_m"]


def test_the_same_picture_on_two_problems_is_flagged(client, market):
    first, second = dispatched(client), dispatched(client)
    data = noise_jpeg((320, 240))
    assert upload(client, first, data).json()["flags"] == []
    with Image.open(io.BytesIO(data)) as picture:  # resized and re-encoded: other bytes
        buffer = io.BytesIO()
        picture.resize((200, 150)).save(buffer, "JPEG", quality=70)
    copied = upload(client, second, buffer.getvalue())
    (flag,) = copied.json()["flags"]
    assert flag["kind"] == "same_picture" and flag["issue_id"] == first["id"]
    assert upload(client, second, noise_jpeg((320, 240))).json()["flags"] == []


def test_an_after_photo_that_is_the_before_photo_is_flagged(client, market):
    issue = dispatched(client)
    data = noise_jpeg()
    assert upload(client, issue, data, tag="before").json()["flags"] == []
    (flag,) = upload(client, issue, data, tag="after").json()["flags"]
    assert flag["kind"] == "same_picture" and flag["detail_zh"] == "整改后照片与整改前照片相同"


def test_a_short_video_is_evidence_with_a_poster_frame(client, settings, keys, market):
    issue = dispatched(client)
    data = video(seconds=2)
    stored = upload(client, issue, data, key=keys["unit"])
    assert stored.status_code == 201, stored.text
    entry = stored.json()
    assert entry["content_type"] == "video/mp4" and entry["seconds"] == pytest.approx(2, abs=0.2)
    assert entry["lon"] == pytest.approx(HERE[0], abs=1e-4) and entry["flags"] == []
    served = client.get(stored.headers["location"])
    assert served.content == data and served.headers["content-type"] == "video/mp4"
    poster = settings.photos_dir / entry["sha256"][:2] / f"{entry['sha256']}.thumb.jpg"
    with Image.open(poster) as frame:
        assert frame.size == (64, 48)
    assert move(client, issue, "rectify", keys["unit"], evidence=False).status_code == 200


def test_videos_too_long_too_large_or_unreadable_are_refused(client, settings, market, connection):
    issue = dispatched(client)
    app = client.app
    app.state.settings = settings.model_copy(update={"video_max_seconds": 1.0})
    assert upload(client, issue, video(seconds=3)).status_code == 413
    app.state.settings = settings.model_copy(update={"video_max_bytes": 1_000})
    assert upload(client, issue, video(seconds=1)).status_code == 413
    app.state.settings = settings
    broken = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500
    refused = upload(client, issue, broken)
    assert refused.status_code == 415 and "video" in refused.json()["detail"]
    assert read(client, issue)["photos"] == []
    stored = connection.scalar(
        text("SELECT count(*) FROM photo_hashes WHERE issue_id = :id"), {"id": issue["id"]}
    )
    assert stored == 0


def test_the_problem_page_shows_before_and_after_side_by_side(client, market):
    issue = dispatched(client)
    data = noise_jpeg()
    upload(client, issue, data, tag="before")
    upload(client, issue, data, tag="after")
    page = client.get(f"/issues/{issue['id']}", params={"f": "html"})
    assert page.status_code == 200
    html = page.text
    assert html.index("<h3>整改前</h3>") < html.index("<h3>整改后</h3>")
    assert html.count('<img class="thumb"') == 2
    assert "整改前照片" in html and "整改后照片" in html
    assert "⚠ 整改后照片与整改前照片相同" in html
