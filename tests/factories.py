"""Small rows for tests, written through the caller's connection (rolled back per test)."""

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from PIL import Image
from shapely.geometry import box
from sqlalchemy import Connection, text

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def square(west: float, south: float, size: float) -> str:
    return shapely.to_wkt(shapely.MultiPolygon([box(west, south, west + size, south + size)]))


def make_area(
    conn: Connection,
    level: str,
    code: str,
    wkt: str,
    parent_id: int | None = None,
    name: str | None = None,
) -> int:
    return conn.scalar(
        text(
            "INSERT INTO areas (level, code, name, parent_id, geom) "
            "VALUES (:level, :code, :name, :parent, ST_GeomFromText(:wkt, 4326)) RETURNING id"
        ),
        {"level": level, "code": code, "name": name or code, "parent": parent_id, "wkt": wkt},
    )


def make_area_tree(conn: Connection) -> dict[str, int]:
    """District 100..102 × 30..32; streets A (west) and B (east); community and grid in A."""
    ids = {"district": make_area(conn, "district", "D", square(100, 30, 2))}
    ids["A"] = make_area(conn, "street", "A", square(100, 30, 1), ids["district"])
    ids["B"] = make_area(conn, "street", "B", square(101, 30, 1), ids["district"])
    ids["A1"] = make_area(conn, "community", "A1", square(100, 30, 0.5), ids["A"])
    ids["A1g"] = make_area(conn, "grid", "A1g", square(100, 30, 0.25), ids["A1"])
    return ids


def make_point(
    conn: Connection,
    code: str = "P1",
    lon: float = 100.1,
    lat: float = 30.1,
    category: str = "market",
    **extra: Any,
) -> int:
    values = {"code": code, "name": code, "category": category, "lon": lon, "lat": lat}
    return conn.scalar(
        text(
            "INSERT INTO points (code, name, category, geom) "
            "VALUES (:code, :name, :category, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
            "RETURNING id"
        ),
        values | extra,
    )


def issue_values(**overrides: Any) -> dict[str, Any]:
    values = {
        "id": uuid.uuid4(),
        "type": "clutter",
        "severity": 2,
        "source": "inspection",
        "status": "reported",
        "reported_at": T0,
        "deadline": None,
        "dispatched_at": None,
        "closed_at": None,
        "unit_code": None,
        "lon": 100.1,
        "lat": 30.1,
    }
    return values | overrides


def make_issue(conn: Connection, **overrides: Any) -> uuid.UUID:
    values = issue_values(**overrides)
    conn.execute(
        text(
            "INSERT INTO issues (id, type, severity, source, status, reported_at, deadline, "
            "dispatched_at, closed_at, unit_code, geom) VALUES (:id, :type, :severity, :source, "
            ":status, :reported_at, :deadline, :dispatched_at, :closed_at, :unit_code, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
        ),
        values,
    )
    return values["id"]


def make_unit(conn: Connection, code: str = "u1") -> str:
    conn.execute(text("INSERT INTO units (code, name) VALUES (:c, :c)"), {"c": code})
    return code


def dispatched(unit: str, **overrides: Any) -> dict[str, Any]:
    """Issue values of a dispatched issue (unit and deadline set)."""
    return {
        "status": "dispatched",
        "unit_code": unit,
        "dispatched_at": T0 + timedelta(hours=2),
        "deadline": T0 + timedelta(days=2),
    } | overrides


def noise_jpeg(size: tuple[int, int] = (64, 48), exif: Image.Exif | None = None) -> bytes:
    """A JPEG of random noise: a different picture (and perceptual hash) on every call."""
    picture = Image.fromarray(np.random.default_rng().integers(0, 256, (*size[::-1], 3), "uint8"))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()
