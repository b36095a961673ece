"""What the notebooks share: the database (the `analytics` views only, e.g. as a role made by
`geoapi db analyst-role`), the service (its public API), the period and area parameters, and
saving figures. Notebooks read the service's data contract, never its code."""

import json
import os
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import sqlalchemy as sa

ZONE = "Asia/Shanghai"  # local days and ISO weeks, as the service counts them
LEVELS = ("district", "street", "community", "grid")

matplotlib.rcParams["font.sans-serif"] = ["WenQuanYi Zen Hei", "Noto Sans CJK SC", "DejaVu Sans"]
matplotlib.rcParams["axes.unicode_minus"] = False


def engine(url: str | None = None) -> sa.Engine:
    """The database from the parameter or GEOAPI_DATABASE_URL."""
    url = url or os.environ["GEOAPI_DATABASE_URL"]
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))


def read(eng: sa.Engine, sql: str, **params: Any) -> pd.DataFrame:
    """A query over the `analytics` views as a DataFrame, times in local time."""
    frame = pd.read_sql(sa.text(sql), eng, params=params)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert(ZONE)
    return frame


def in_area(area: str | None, alias: str = "") -> str:
    """A predicate over a view's `<level>_code` columns (`alias.` before them; bind `:area`):
    the rows of `area`, of any level."""
    if area is None:
        return "TRUE"
    return "(" + " OR ".join(f"{alias}{level}_code = :area" for level in LEVELS) + ")"


@dataclass(frozen=True)
class Week:
    """One ISO week in local time: [start, end)."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp


def weeks(until: str | None, count: int) -> list[Week]:
    """`count` ISO weeks ending with `until` ("2026-W47"; default: the last full week)."""
    if until is None:
        today = pd.Timestamp.now(tz=ZONE).normalize()
        last_start = today - pd.Timedelta(days=today.weekday() + 7)
    else:
        year, week = until.split("-W")
        last_start = pd.Timestamp.fromisocalendar(int(year), int(week), 1).tz_localize(ZONE)
    found = []
    for back in range(count - 1, -1, -1):
        start = last_start - pd.Timedelta(weeks=back)
        iso = start.isocalendar()
        found.append(Week(f"{iso.year}-W{iso.week:02d}", start, start + pd.Timedelta(days=7)))
    return found


def api(service_url: str, path: str, api_key: str | None, **params: Any) -> Any:
    """GET the service's JSON API with the key as the X-API-Key header."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    url = service_url.rstrip("/") + path + (f"?{query}" if query else "")
    request = urllib.request.Request(url, headers={"X-API-Key": api_key} if api_key else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def save(figure: Any, out_dir: str, name: str) -> Path:
    """Save a matplotlib figure as PNG under `out_dir` (as well as showing it)."""
    path = Path(out_dir) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    return path


def save_map(folium_map: Any, out_dir: str, name: str) -> Path:
    """Save a Folium map as a standalone HTML page under `out_dir`."""
    path = Path(out_dir) / f"{name}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    folium_map.save(str(path))
    return path
