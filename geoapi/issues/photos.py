"""Photo uploads: type by content (not name), size and pixel limits, content-addressed files,
EXIF, and a thumbnail made once at upload (documents embed it; nothing decodes the original
per request).
"""

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from geoapi.documents import data_uri
from geoapi.errors import PayloadTooLarge, UnsupportedMediaType

# Magic numbers: JPEG SOI marker, PNG signature, RIFF container holding WEBP.
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
GPS_IFD, EXIF_IFD = 0x8825, 0x8769
DATETIME_ORIGINAL, DATETIME = 0x9003, 0x0132
CHUNK = 1 << 16
THUMBNAIL_PX = 240
# A PNG's compressed text and ICC chunks may inflate a thousandfold: refuse past these sizes
# (Pillow's defaults are 1 MB a chunk and 64 MB in all).
PngImagePlugin.MAX_TEXT_CHUNK = 256 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 1024 * 1024


@dataclass(frozen=True)
class StoredPhoto:
    """A stored photo and what its EXIF said."""

    sha256: str
    content_type: str
    size: int
    taken_at: datetime | None
    lon: float | None
    lat: float | None

    def as_json(self, tag: str) -> dict[str, Any]:
        """The entry kept in issues.photos."""
        return {
            "sha256": self.sha256,
            "tag": tag,
            "content_type": self.content_type,
            "bytes": self.size,
            "uploaded_at": datetime.now(UTC).isoformat(),
            "taken_at": self.taken_at.isoformat() if self.taken_at else None,
            "lon": self.lon,
            "lat": self.lat,
        }


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    """The whole upload, or 413 as soon as it passes `limit` bytes."""
    buffer = bytearray()
    while chunk := stream.read(CHUNK):
        buffer += chunk
        if len(buffer) > limit:
            raise PayloadTooLarge(f"photo larger than {limit:,} bytes")
    return bytes(buffer)


def sniff(data: bytes) -> str:
    """The image type from the first bytes: JPEG, PNG or WebP, else 415."""
    for signature, content_type, _ in SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise UnsupportedMediaType("photo must be a JPEG, PNG or WebP image (checked by content)")


def store(directory: Path, data: bytes, max_pixels: int) -> StoredPhoto:
    """Write `data` and its thumbnail under its SHA-256 (once), after checking it really is
    an image of at most `max_pixels` (413: a small file may decode to gigabytes)."""
    content_type = sniff(data)
    _check_pixels(data, max_pixels)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        thumbnail = make_thumbnail(data)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(f"photo is not a readable image: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    _write_once(path_of(directory, digest, content_type), data)
    _write_once(thumbnail_path(directory, digest), thumbnail)
    taken_at, lon, lat = _exif(data)
    return StoredPhoto(digest, content_type, len(data), taken_at, lon, lat)


def _check_pixels(data: bytes, max_pixels: int) -> None:
    """413 for more than `max_pixels`, read from the header before anything is decoded."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Image.DecompressionBombError as exc:
        raise PayloadTooLarge(f"photo has too many pixels: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(f"photo is not a readable image: {exc}") from exc
    if width * height > max_pixels:
        raise PayloadTooLarge(
            f"photo is {width:,} × {height:,} pixels; at most {max_pixels:,} pixels"
        )


def make_thumbnail(data: bytes) -> bytes:
    """A JPEG at most THUMBNAIL_PX on a side (a JPEG is decoded at reduced scale)."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))
        image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _write_once(target: Path, data: bytes) -> None:
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, target)  # atomic: readers never see half a file


def path_of(directory: Path, digest: str, content_type: str) -> Path:
    """Where a photo lives: two-level fan-out by hash."""
    return directory / digest[:2] / f"{digest}{EXTENSIONS[content_type]}"


def thumbnail_path(directory: Path, digest: str) -> Path:
    """Where a photo's thumbnail lives, beside it."""
    return directory / digest[:2] / f"{digest}.thumb.jpg"


def thumbnail(directory: Path, digest: str) -> bytes | None:
    """The stored thumbnail of a photo (None for one stored before thumbnails were kept)."""
    try:
        return thumbnail_path(directory, digest).read_bytes()
    except FileNotFoundError:
        return None


def thumbnail_uris(directory: Path, entries: list[dict[str, Any]]) -> list[str]:
    """The stored thumbnails of a problem's photo entries as data URIs, for printed pages."""
    return [data_uri(jpeg) for entry in entries if (jpeg := thumbnail(directory, entry["sha256"]))]


def _degrees(dms: Any, ref: str) -> float:
    degrees, minutes, seconds = (float(v) for v in dms)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if ref in ("S", "W") else value


def _exif(data: bytes) -> tuple[datetime | None, float | None, float | None]:
    """Time taken and GPS position, when the camera recorded them."""
    try:
        exif = Image.open(io.BytesIO(data)).getexif()
    except (UnidentifiedImageError, OSError, ValueError):
        return None, None, None
    stamp = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    taken_at = None
    if isinstance(stamp, str):
        try:
            taken_at = datetime.strptime(stamp.strip("\x00"), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            taken_at = None
    gps = exif.get_ifd(GPS_IFD)
    try:
        lat = _degrees(gps[2], gps.get(1, "N"))
        lon = _degrees(gps[4], gps.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return taken_at, None, None
    return taken_at, lon, lat
