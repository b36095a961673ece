"""Short videos as evidence (暗访视频, 整改视频): checked with FFmpeg (PyAV) for length and
size, and given a poster frame that documents and the duplicate check use like a photo."""

import io
import re
from dataclasses import dataclass
from datetime import datetime

import av
from PIL import Image

from geoapi.errors import PayloadTooLarge, UnsupportedMediaType

# ISO 6709 as phones write it in MP4's `location`: +36.6601+117.0501/ (latitude first).
ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Probed:
    """What a video holds: its first frame and what its container recorded."""

    poster: Image.Image
    seconds: float
    taken_at: datetime | None
    lon: float | None
    lat: float | None


def probe(data: bytes, max_pixels: int, max_seconds: float) -> Probed:
    """The poster frame and metadata of a video, after checking its length and frame size
    (413 past the limits, 415 for what FFmpeg cannot read as a video)."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise UnsupportedMediaType("video has no picture track")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if width * height > max_pixels:
                raise PayloadTooLarge(f"video frames are {width} × {height} pixels; too many")
            seconds = _seconds(container, stream)
            if seconds > max_seconds:
                raise PayloadTooLarge(f"video lasts {seconds:.0f} s; at most {max_seconds:.0f} s")
            poster = next(container.decode(stream)).to_image()
            metadata = dict(container.metadata)
    except (av.FFmpegError, StopIteration, ValueError) as exc:
        raise UnsupportedMediaType(f"video is not readable: {exc}") from exc
    lon, lat = _location(metadata.get("location", ""))
    return Probed(poster, seconds, _created(metadata.get("creation_time")), lon, lat)


def _seconds(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    if container.duration is not None:
        return container.duration / av.time_base
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    raise UnsupportedMediaType("video does not say how long it is")


def _created(stamp: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None


def _location(text: str) -> tuple[float | None, float | None]:
    match = ISO6709.match(text)
    if match is None:
        return None, None
    return float(match.group(2)), float(match.group(1))
