"""Photo and video uploads: type by content (not name), size and pixel limits,
content-addressed files, EXIF (or the video's own metadata), a perceptual hash, and a thumbnail
made once at upload (a video's is its poster frame; documents embed it; nothing decodes the
original per request).
"""

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import imagehash
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from geoapi.documents import data_uri
from geoapi.errors import PayloadTooLarge, UnsupportedMediaType
from geoapi.issues import videos
from geoapi.settings import Settings

# Magic numbers: JPEG SOI marker, PNG signature, RIFF container holding WEBP.
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
}
CAPTIONS = {"before": "整改前", "after": "整改后"}
GPS_IFD, EXIF_IFD = 0x8825, 0x8769
DATETIME_ORIGINAL, DATETIME = 0x9003, 0x0132
CHUNK = 1 << 16
THUMBNAIL_PX = 240
# A PNG's compressed text and ICC chunks may inflate a thousandfold: refuse past these sizes
# (Pillow's defaults are 1 MB a chunk and 64 MB in all).
PngImagePlugin.MAX_TEXT_CHUNK = 256 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How large an upload may be: bytes of a photo and of a video, pixels, a video's length."""

    photo_bytes: int
    video_bytes: int
    pixels: int
    video_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        """The limits the service is configured with."""
        return cls(
            settings.photo_max_bytes,
            settings.video_max_bytes,
            settings.photo_max_pixels,
            settings.video_max_seconds,
        )

    @property
    def upload_bytes(self) -> int:
        """The most any upload may have, before its kind is known."""
        return max(self.photo_bytes, self.video_bytes)


@dataclass(frozen=True)
class StoredPhoto:
    """A stored photo or video, what its metadata said, and its perceptual hash."""

    sha256: str
    content_type: str
    size: int
    taken_at: datetime | None
    lon: float | None
    lat: float | None
    phash: int  # 64-bit pHash (of a video's poster frame), as a signed bigint
    seconds: float | None = None  # a video's length

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
        } | ({"seconds": round(self.seconds, 1)} if self.seconds is not None else {})


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    """The whole upload, or 413 as soon as it passes `limit` bytes."""
    buffer = bytearray()
    while chunk := stream.read(CHUNK):
        buffer += chunk
        if len(buffer) > limit:
            raise PayloadTooLarge(f"upload larger than {limit:,} bytes")
    return bytes(buffer)


def sniff(data: bytes) -> str:
    """The type from the first bytes: JPEG, PNG, WebP, MP4 or WebM, else 415."""
    for signature, content_type, _ in SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM (Matroska)
        return "video/webm"
    raise UnsupportedMediaType(
        "photo must be a JPEG, PNG or WebP image, or an MP4 or WebM video (checked by content)"
    )


def store(directory: Path, data: bytes, limits: Limits) -> StoredPhoto:
    """Write `data` and its thumbnail under its SHA-256 (once), after checking it really is
    an image or video within `limits` (413: a small file may decode to gigabytes)."""
    content_type = sniff(data)
    if content_type.startswith("video/"):
        return _store_video(directory, data, content_type, limits)
    if len(data) > limits.photo_bytes:
        raise PayloadTooLarge(f"photo larger than {limits.photo_bytes:,} bytes")
    _check_pixels(data, limits.pixels)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))
            thumbnail, phash = _thumbnail_and_hash(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(f"photo is not a readable image: {exc}") from exc
    digest = _write(directory, data, content_type, thumbnail)
    taken_at, lon, lat = _exif(data)
    return StoredPhoto(digest, content_type, len(data), taken_at, lon, lat, phash)


def _store_video(directory: Path, data: bytes, content_type: str, limits: Limits) -> StoredPhoto:
    if len(data) > limits.video_bytes:
        raise PayloadTooLarge(f"video larger than {limits.video_bytes:,} bytes")
    probed = videos.probe(data, limits.pixels, limits.video_seconds)
    thumbnail, phash = _thumbnail_and_hash(probed.poster)
    digest = _write(directory, data, content_type, thumbnail)
    return StoredPhoto(
        digest,
        content_type,
        len(data),
        probed.taken_at,
        probed.lon,
        probed.lat,
        phash,
        probed.seconds,
    )


def _write(directory: Path, data: bytes, content_type: str, thumbnail: bytes) -> str:
    """Store the original and its thumbnail under the original's SHA-256; the digest."""
    digest = hashlib.sha256(data).hexdigest()
    _write_once(path_of(directory, digest, content_type), data)
    _write_once(thumbnail_path(directory, digest), thumbnail)
    return digest


def _thumbnail_and_hash(image: Image.Image) -> tuple[bytes, int]:
    """A JPEG at most THUMBNAIL_PX on a side, and the picture's pHash as a signed 64-bit int
    (hashed from the thumbnail: pHash looks at 32 × 32 pixels, so the result is the same)."""
    image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    small = image.convert("RGB")
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=80)
    unsigned = int(str(imagehash.phash(small)), 16)
    return buffer.getvalue(), unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


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


@dataclass(frozen=True)
class Thumbnail:
    """A photo as printed pages show it: the picture, its caption (整改前/整改后, 视频) and the
    evidence flags raised when it was uploaded."""

    src: str
    caption: str
    tag: str
    flags: tuple[str, ...]


def thumbnail_uris(directory: Path, entries: list[dict[str, Any]]) -> list[Thumbnail]:
    """The stored thumbnails of a problem's photo entries as data URIs, for printed pages."""
    return [
        Thumbnail(data_uri(jpeg), caption_of(entry), entry["tag"], _flag_texts(entry))
        for entry in entries
        if (jpeg := thumbnail(directory, entry["sha256"]))
    ]


def caption_of(entry: dict[str, Any]) -> str:
    """整改前 / 整改后, and 视频 for a video's poster frame."""
    caption = CAPTIONS.get(entry["tag"], entry["tag"])
    return caption + ("视频" if entry["content_type"].startswith("video/") else "照片")


def _flag_texts(entry: dict[str, Any]) -> tuple[str, ...]:
    return tuple(flag["detail_zh"] for flag in entry.get("flags", []))


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
