"""Service configuration: the only module that reads environment variables."""

from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PostgresDsn, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql://geoapi:geoapi@127.0.0.1:5432/geoapi"


class Settings(BaseSettings):
    """Service configuration, read from GEOAPI_* env vars (and .env in development)."""

    model_config = SettingsConfigDict(env_prefix="GEOAPI_", env_file=".env", extra="ignore")

    database_url: PostgresDsn = PostgresDsn(DEFAULT_DATABASE_URL)
    # A streaming replica for what only reads: features, tiles, keys, figures, bulletins, the
    # map. Writes always go to `database_url`. Default: everything on `database_url`.
    read_database_url: PostgresDsn | None = None
    layers_dir: Path = Path("layers")
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    access_log: bool = True  # a line per request from `geoapi serve` (~10 % of a small read)
    workers: Annotated[int, Field(ge=1)] = 1  # `geoapi serve` processes, each with its pools
    default_limit: Annotated[int, Field(ge=1)] = 100
    max_limit: Annotated[int, Field(ge=1)] = 10_000
    link_radius_m: Annotated[float, Field(gt=0)] = 50.0  # a report links to a point this near
    verifier_must_differ: bool = True  # the rectifier may not close (verify) their own fix
    duplicate_radius_m: Annotated[float, Field(gt=0)] = 30.0  # same type this near: duplicate?
    duplicate_radius_by_type: dict[str, float] = {}  # per issue type, e.g. {"garbage": 50}
    camera_merge_confidence: Annotated[float, Field(ge=0, le=1)] = 0.8  # auto-merge above
    photos_dir: Path = Path("data/photos")  # content-addressed store of uploaded photos
    photo_max_bytes: Annotated[int, Field(ge=1)] = 10 * 1024 * 1024
    video_max_bytes: Annotated[int, Field(ge=1)] = 50 * 1024 * 1024  # 暗访视频, 整改视频
    video_max_seconds: Annotated[float, Field(gt=0)] = 120.0  # a short clip, not a recording
    # Evidence checks (flags for the verifier, not refusals): a photo taken farther than this
    # from the problem, and pictures whose perceptual hashes differ in at most this many of
    # 64 bits, count as "far" and "the same picture".
    photo_far_m: Annotated[float, Field(gt=0)] = 300.0
    photo_same_bits: Annotated[int, Field(ge=0, le=32)] = 6
    key_cache_seconds: Annotated[float, Field(ge=0)] = 5  # a revoked key works this long at most
    ledger_xlsx_rows: Annotated[int, Field(ge=1, le=1_000_000)] = 50_000  # more: use f=csv
    session_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 12  # a page's cookie lasts this
    session_cookie_secure: bool = False  # True behind HTTPS: the cookie is sent over it only
    extent_cache_seconds: Annotated[float, Field(ge=0)] = 60  # collections' extents lag this much
    public_layers: list[str] | None = None  # readable without a key; None: the catalog's flags
    open311_enabled: bool = True  # Open311 GeoReport v2 under /open311/v2
    open311_key_required: bool = False  # POST requests.json needs an api_key
    open311_sources: list[str] = ["citizen"]  # problems Open311 lists (citizens see their own)
    open311_webhook_attempts: Annotated[int, Field(ge=1)] = 8  # then the delivery is given up
    open311_webhook_timeout_s: Annotated[float, Field(gt=0)] = 10  # an app's answer, at most
    public_url: str = "http://127.0.0.1:8000"  # how apps reach this service (webhooks' links)
    map_basemap: str = "osm"  # osm, amap, blank, tianditu (with key), custom (with URL)
    map_tianditu_key: str | None = None
    map_tile_url: str | None = None  # an intranet XYZ server: https://tiles.local/{z}/{x}/{y}.png
    map_tile_attribution: str = ""
    map_public: bool = False  # /map without a key (a wall display on a closed network)
    map_marker_limit: Annotated[int, Field(ge=1)] = 5_000  # more points: SQL clusters
    map_heat_limit: Annotated[int, Field(ge=1)] = 20_000  # more problems: heat by ~100 m cells
    web_assets_dir: Path = Path("web/node_modules")  # npm packages the map page serves
    tile_max_age: Annotated[int, Field(ge=0)] = 60  # seconds proxies may cache a tile
    checklists_dir: Path = Path("checklists")  # 测评内容标准 per category, with visit cycles
    inspection_far_m: Annotated[float, Field(gt=0)] = 200.0  # device farther: visit flagged
    timezone: str = "Asia/Shanghai"  # local days and ISO weeks of due lists, figures, bulletins
    notice_office: str = "创建全国文明城市工作指挥部办公室"  # issuing office on notices
    notice_number_format: str = "创城整改〔{year}〕{seq:04d}号"
    deadline_horizon_days: Annotated[int, Field(ge=1, le=3650)] = 90  # no deadline beyond
    escalation_interval_hours: Annotated[float, Field(gt=0)] = 24.0  # an overdue problem: once
    supervision_after_days: Annotated[float, Field(ge=0)] = 3.0  # this late: 督办卡, not 提醒卡
    db_pool_size: Annotated[int, Field(ge=1)] = 10
    db_connect_timeout: Annotated[int, Field(ge=1)] = 5
    db_pool_timeout_s: Annotated[float, Field(gt=0)] = 5  # no free connection this long: 503
    db_read_timeout_s: Annotated[float, Field(gt=0)] = 10  # pages, tiles, keys: then 503
    db_statement_timeout_s: Annotated[float, Field(gt=0)] = 30  # sessions: writes, stats, map
    # Bounds on what one request may ask for (400/413/414 beyond them, before any work).
    max_query_chars: Annotated[int, Field(ge=1024)] = 16_384  # the URL's query string
    max_json_bytes: Annotated[int, Field(ge=1024)] = 1024 * 1024  # a JSON or form body
    max_json_depth: Annotated[int, Field(ge=4)] = 32  # nesting of a JSON body
    max_filter_chars: Annotated[int, Field(ge=64)] = 8_192  # a CQL2 filter
    max_filter_depth: Annotated[int, Field(ge=2)] = 32  # its nesting: brackets and NOTs
    max_sort_keys: Annotated[int, Field(ge=1)] = 8
    max_props_bytes: Annotated[int, Field(ge=64)] = 65_536  # a point's free-form props
    max_aggregate_cells: Annotated[int, Field(ge=1)] = 100_000  # cells one aggregate may make
    route_detour_factor: Annotated[float, Field(ge=1)] = 1.3  # roads vs straight lines
    route_service_minutes: Annotated[int, Field(gt=0, le=480)] = 15  # a visit, if no checklist says
    photo_max_pixels: Annotated[int, Field(ge=1)] = 64_000_000  # a 48 MP phone photo fits
    # Requests are short and many: parallel workers and JIT cost more to start than they save
    # (a 1,000-feature page took 29 ms with a parallel plan, 12 ms without). Raise for
    # a database server with cores to spare.
    db_parallel_workers: Annotated[int, Field(ge=0)] = 0
    db_jit: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from exc
        return value

    @model_validator(mode="after")
    def _default_within_max(self) -> "Settings":
        """A default page larger than the maximum page would be refused by our own API."""
        if self.default_limit > self.max_limit:
            raise ValueError(
                f"default_limit ({self.default_limit}) exceeds max_limit ({self.max_limit})"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The local time zone of days and weeks."""
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today, locally."""
        return datetime.now(self.zone).date()

    def duplicate_radius(self, issue_type: str) -> float:
        """How near an open problem of the same type must be to count as a duplicate."""
        return self.duplicate_radius_by_type.get(issue_type, self.duplicate_radius_m)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg2 driver SQLAlchemy should use."""
        return _with_driver(str(self.database_url))

    @property
    def sqlalchemy_read_url(self) -> str:
        """Where reads go: the replica if there is one, else the database."""
        return _with_driver(str(self.read_database_url or self.database_url))


def _with_driver(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg2://{rest}" if scheme in {"postgres", "postgresql"} else url
