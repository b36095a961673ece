"""Tables of DESIGN §4 as SQLAlchemy 2 + GeoAlchemy2 models (SRID 4326 everywhere)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    REAL,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, TSTZMULTIRANGE, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geoapi.issues import states
from geoapi.issues.states import Status
from geoapi.vocabulary import (
    AREA_LEVELS,
    ESCALATION_LEVELS,
    ISSUE_SOURCES,
    POINT_STATUSES,
    RESPONSIBILITY_ROLES,
    ROAD_CLASSES,
    ROLES,
    STOP_REASONS,
    TRAVEL_MODES,
    sql_in,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Timestamp = DateTime(timezone=True)


def _point() -> Geometry:
    return Geometry("POINT", srid=4326, spatial_index=True)


def _lonlat_in_range(column: str) -> CheckConstraint:
    return CheckConstraint(
        f"ST_X({column}) BETWEEN -180 AND 180 AND ST_Y({column}) BETWEEN -90 AND 90",
        name=f"{column}_lonlat_range",
    )


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


class AreaIds:
    """Area ids filled by the database from the geometry (trigger `geoapi_fill_area_ids`)."""

    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), index=True
    )
    street_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), index=True
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), index=True
    )
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), index=True
    )


class Area(Base):
    """An administrative area: district → street → community → grid."""

    __tablename__ = "areas"
    __table_args__ = (
        CheckConstraint(sql_in("level", AREA_LEVELS), name="level"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        CheckConstraint(
            "(level = 'district') = (parent_id IS NULL)", name="parent_iff_below_district"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(Text, index=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="RESTRICT"), index=True
    )
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))


class Category(Base):
    """A kind of inspection point (集贸市场, 背街小巷, ...)."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)


class IssueType(Base):
    """A kind of problem (占道经营, 乱堆乱放, ...) with its default rectification period."""

    __tablename__ = "issue_types"
    __table_args__ = (CheckConstraint("default_deadline_days > 0", name="deadline_days"),)

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    default_deadline_days: Mapped[int] = mapped_column(SmallInteger)
    # Dispatched to this unit when the problem's point has no responsible unit of its own.
    default_unit_code: Mapped[str | None] = mapped_column(
        ForeignKey("units.code", ondelete="SET NULL")
    )
    # Rectifying needs an after photo or video (整改后照片) uploaded since the last rework.
    after_photo_required: Mapped[bool] = mapped_column(Boolean, server_default=true())


class CategoryIssueType(Base):
    """A kind of problem found at a kind of point: links a report to a point nearby."""

    __tablename__ = "category_issue_types"

    category: Mapped[str] = mapped_column(
        ForeignKey("categories.code", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    issue_type: Mapped[str] = mapped_column(
        ForeignKey("issue_types.code", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )


class Unit(Base):
    """A responsible unit (责任单位) that receives rectification notices."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class Point(AreaIds, Base):
    """An inspection point (实地点位): a fixed place inspected on a schedule."""

    __tablename__ = "points"
    __table_args__ = (
        CheckConstraint(sql_in("status", POINT_STATUSES), name="status"),
        CheckConstraint("code <> ''", name="code_not_empty"),
        CheckConstraint("footprint IS NULL OR ST_IsValid(footprint)", name="footprint_valid"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 1", name="score"),
        CheckConstraint("cycle_days IS NULL OR cycle_days > 0", name="cycle_days_positive"),
        _lonlat_in_range("geom"),
        # The due worklist's ordered reads (migration 0010).
        Index(
            "ix_points_due_inspected",
            "category",
            "last_inspected_at",
            "code",
            postgresql_where=text("cycle_days IS NULL AND last_inspected_at IS NOT NULL"),
        ),
        Index(
            "ix_points_due_never_inspected",
            "category",
            "code",
            postgresql_where=text("cycle_days IS NULL AND last_inspected_at IS NULL"),
        ),
        Index("ix_points_own_cycle", "id", postgresql_where=text("cycle_days IS NOT NULL")),
        Index("ix_points_last_inspected_at", "last_inspected_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(ForeignKey("categories.code"), index=True)
    geom: Mapped[Any] = mapped_column(_point())
    footprint: Mapped[Any | None] = mapped_column(
        Geometry("GEOMETRY", srid=4326, spatial_index=True)
    )
    address: Mapped[str | None] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)
    status: Mapped[str] = mapped_column(Text, server_default="unchecked", index=True)
    last_inspected_at: Mapped[datetime | None] = mapped_column(Timestamp)
    props: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")  # bumped by every edit
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))  # score rate of the last visit
    cycle_days: Mapped[int | None] = mapped_column(SmallInteger)  # overrides the category's cycle
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


ISSUE_DAILY_KEY = (  # migration 0026 keyed it down to community and grid
    "type",
    "unit_code",
    "category",
    "district_id",
    "street_id",
    "community_id",
    "grid_id",
)


class Issue(AreaIds, Base):
    """A problem (问题/案卷) found at or near a point, running the closed loop."""

    __tablename__ = "issues"
    __table_args__ = (
        CheckConstraint(states.in_sql("status", states.STATUSES), name="status"),
        CheckConstraint(sql_in("source", ISSUE_SOURCES), name="source"),
        CheckConstraint("severity BETWEEN 1 AND 3", name="severity_range"),
        CheckConstraint("confidence IS NULL OR confidence BETWEEN 0 AND 1", name="confidence"),
        CheckConstraint("deadline IS NULL OR deadline > reported_at", name="deadline_after_report"),
        CheckConstraint(
            "dispatched_at IS NULL OR dispatched_at >= reported_at", name="dispatched_after_report"
        ),
        CheckConstraint(
            "rectified_at IS NULL OR rectified_at >= reported_at", name="rectified_after_report"
        ),
        CheckConstraint(
            "closed_at IS NULL OR closed_at >= reported_at", name="closed_after_report"
        ),
        CheckConstraint(
            f"(status = '{Status.CLOSED}') = (closed_at IS NOT NULL)", name="closed_iff_closed_at"
        ),
        CheckConstraint(  # past dispatch: the unit and deadline of its rectification notice
            f"NOT ({states.in_sql('status', states.ASSIGNED)}) OR "
            "(unit_code IS NOT NULL AND deadline IS NOT NULL AND dispatched_at IS NOT NULL)",
            name="dispatched_has_unit_deadline",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            f"(status = '{Status.MERGED}') = (merged_into IS NOT NULL)", name="merged_has_target"
        ),
        _lonlat_in_range("geom"),
        Index(
            "ix_issues_open_point_id",
            "point_id",
            postgresql_where=text(states.open_sql()),
        ),
        Index(  # hours to close of a period's closed problems, from the index alone
            "ix_issues_closed_at",
            "closed_at",
            postgresql_include=["reported_at", *ISSUE_DAILY_KEY],
        ),
        Index(
            "ix_issues_dropped_at", "dropped_at", postgresql_where=text("dropped_at IS NOT NULL")
        ),
        Index(
            "ix_issues_open_deadline",
            "deadline",
            postgresql_where=text(states.open_sql()),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    point_id: Mapped[int | None] = mapped_column(
        ForeignKey("points.id", ondelete="SET NULL"), index=True
    )
    geom: Mapped[Any] = mapped_column(_point())
    type: Mapped[str] = mapped_column(ForeignKey("issue_types.code"), index=True)
    severity: Mapped[int] = mapped_column(SmallInteger, server_default="2")
    source: Mapped[str] = mapped_column(Text, index=True)
    confidence: Mapped[float | None] = mapped_column(REAL)
    status: Mapped[str] = mapped_column(Text, server_default=Status.REPORTED, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)
    deadline: Mapped[datetime | None] = mapped_column(Timestamp, index=True)
    reported_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now(), index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(Timestamp)
    rectified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Kept by triggers for the daily rollup (issue_daily): the point's category, the first
    # time it was rejected or merged, whether a deferral (延期) was approved, and the spans it
    # was late under earlier deadlines (closed when an event set a new one).
    category: Mapped[str | None] = mapped_column(Text)
    dropped_at: Mapped[datetime | None] = mapped_column(Timestamp)
    deferred: Mapped[bool] = mapped_column(Boolean, server_default=false())
    overdue_spans: Mapped[Any] = mapped_column(
        TSTZMULTIRANGE, server_default=text("'{}'::tstzmultirange")
    )
    photos: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    merged_into: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("issues.id", ondelete="RESTRICT")
    )
    inspection_id: Mapped[int | None] = mapped_column(  # the visit that found it
        ForeignKey("inspections.id", ondelete="SET NULL"), index=True
    )


# The map's open problems by location (migration 0011). Declared after the class: GeoAlchemy2
# keeps only its own spatial index among those declared on a geometry column in the class.
Index(
    "ix_issues_open_geom",
    Issue.__table__.c.geom,
    postgresql_using="gist",
    postgresql_where=text(states.open_sql()),
)
# Everything the map reads of an open problem, for index-only scans (migration 0013).
Index(
    "ix_issues_open_cover",
    Issue.__table__.c.street_id,
    Issue.__table__.c.grid_id,
    postgresql_include=[
        *("district_id", "community_id", "category", "type", "source", "unit_code", "status"),
        *("severity", "deadline", "reported_at", "geom", "id"),
    ],
    postgresql_where=text(states.open_sql()),
)


# An event's key with its time: `issue_events` is partitioned by month (migration 0027), and a
# key of a partitioned table holds the partition key.
EVENT_KEY = ("issue_events.id", "issue_events.at")


class IssueEvent(Base):
    """One change of an issue's state; rows are never updated or deleted (DB trigger). One
    table per local calendar month, made ahead by `geoapi_issue_event_months`."""

    __tablename__ = "issue_events"
    __table_args__ = (
        CheckConstraint(states.in_sql("to_status", states.STATUSES), name="to_status"),
        Index("ix_issue_events_issue_id_at", "issue_id", "at"),
        Index("ix_issue_events_at", "at"),
        Index(
            "ix_issue_events_reopen_at",
            "at",
            postgresql_include=["issue_id"],
            postgresql_where=text("action = 'reopen'"),
        ),
        {"postgresql_partition_by": "RANGE (at)"},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    issue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issues.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(Timestamp, primary_key=True, server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[datetime | None] = mapped_column(Timestamp)  # the deadline this step set


# The daily rollup of the closed loop (migration 0009): facts per local day and key, kept by
# triggers on issues and issue_events; no primary key (NULL is a key value, NULLS NOT DISTINCT).
ISSUE_DAILY_MEASURES = (
    "reported",
    "ended",
    "closed",
    "overdue",
    "due",
    "deferred",
    "closed_on_time",
    "verified",
    "reworked",
)


def _issue_rollup(name: str, key: tuple[str, ...], comment: str | None = None) -> Table:
    """A daily rollup of the problems' facts under `key`, unique per key and day."""
    return Table(
        name,
        Base.metadata,
        *(Column(k, Text if k in ("type", "unit_code", "category") else Integer) for k in key),
        Column("day", Date, nullable=False),
        *(Column(m, Integer, nullable=False) for m in ISSUE_DAILY_MEASURES),
        Index(f"ux_{name}_key_day", *key, "day", unique=True, postgresql_nulls_not_distinct=True),
        Index(f"ix_{name}_day", "day"),
        comment=comment,
    )


issue_daily = _issue_rollup("issue_daily", ISSUE_DAILY_KEY)
issue_daily_by_street = _issue_rollup(  # migration 0026
    "issue_daily_by_street",
    ISSUE_DAILY_KEY[:5],
    "issue_daily summed over communities and grids, for the answers above a community",
)


inspection_daily = Table(  # visits per local day and the visited point's key (migration 0009)
    "inspection_daily",
    Base.metadata,
    Column("category", Text),
    Column("unit_code", Text),
    Column("district_id", Integer),
    Column("street_id", Integer),
    Column("community_id", Integer),
    Column("grid_id", Integer),
    Column("day", Date, nullable=False),
    Column("visits", Integer, nullable=False),
    Column("scored", Integer, nullable=False),
    Column("score_sum", Float, nullable=False),
    Index(
        "ux_inspection_daily_key_day",
        "category",
        "unit_code",
        "district_id",
        "street_id",
        "community_id",
        "grid_id",
        "day",
        unique=True,
        postgresql_nulls_not_distinct=True,
    ),
    Index("ix_inspection_daily_day", "day"),
)


class IssueDailyZone(Base):
    """The time zone whose local days issue_daily counts in (one row)."""

    __tablename__ = "issue_daily_zone"
    __table_args__ = (CheckConstraint('"only"', name="one_row"),)

    only: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=true())
    zone: Mapped[str] = mapped_column(Text)


class Team(Base):
    """An inspection team (督导组) working in one area."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    base: Mapped[Any | None] = mapped_column(  # where its day starts and ends
        Geometry("POINT", srid=4326, spatial_index=False)
    )


class Inspection(Base):
    """One visit to one point with its per-criterion results (实地测评)."""

    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint("score_rate IS NULL OR score_rate BETWEEN 0 AND 1", name="score_rate"),
        Index("ix_inspections_point_id_visited_at", "point_id", "visited_at"),
        Index("ix_inspections_visited_at", "visited_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    inspector: Mapped[str] = mapped_column(Text)
    visited_at: Mapped[datetime] = mapped_column(Timestamp)
    device_geom: Mapped[Any | None] = mapped_column(_point())
    checklist_version: Mapped[str] = mapped_column(Text)
    results: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    score_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    notes: Mapped[str | None] = mapped_column(Text)
    passed: Mapped[bool | None] = mapped_column()  # score rate reached the pass mark, no veto
    distance_m: Mapped[float | None] = mapped_column(REAL)  # device to point (or footprint)
    far_from_point: Mapped[bool] = mapped_column(server_default=text("false"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), unique=True)


class User(Base):
    """A person or system with a role and an area (or unit) scope."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(sql_in("role", ROLES), name="role"),
        CheckConstraint("role <> 'unit' OR unit_code IS NOT NULL", name="unit_role_has_unit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    display_name: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="RESTRICT"))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    disabled_at: Mapped[datetime | None] = mapped_column(Timestamp)


class ApiKey(Base):
    """An API key of a user; only its hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Responsibility(Base):
    """Someone besides the dispatched unit who answers for a point or an area (包联, 包保,
    小巷管家, 门前三包); a shop's frontage carries the stars its last inspection earned."""

    __tablename__ = "responsibilities"
    __table_args__ = (
        CheckConstraint(sql_in("role", RESPONSIBILITY_ROLES), name="role"),
        CheckConstraint("(point_id IS NULL) <> (area_id IS NULL)", name="one_place"),
        CheckConstraint("person IS NOT NULL OR unit_code IS NOT NULL", name="someone"),
        CheckConstraint(
            "stars IS NULL OR (role = 'frontage' AND stars BETWEEN 1 AND 5)", name="stars"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    point_id: Mapped[int | None] = mapped_column(
        ForeignKey("points.id", ondelete="CASCADE"), index=True
    )
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(Text)
    person: Mapped[str | None] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code", ondelete="RESTRICT"))
    title: Mapped[str | None] = mapped_column(Text)  # 职务: 副区长, 小巷管家, 店主 …
    phone: Mapped[str | None] = mapped_column(Text)
    stars: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class PhotoHash(Base):
    """A stored photo's perceptual hash: the same picture on two problems is found by it."""

    __tablename__ = "photo_hashes"

    issue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    tag: Mapped[str] = mapped_column(Text)
    phash: Mapped[int] = mapped_column(BigInteger)  # 64-bit pHash, signed


class Open311Webhook(Base):
    """Where a citizens' app (a `public` user) hears of its reports' status (0021)."""

    __tablename__ = "open311_webhooks"

    username: Mapped[str] = mapped_column(
        ForeignKey("users.username", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)  # signs each body (HMAC-SHA256)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class Open311Delivery(Base):
    """One status change to post to an app: queued with the event, retried until delivered."""

    __tablename__ = "open311_deliveries"
    __table_args__ = (
        Index(
            "ix_open311_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("delivered_at IS NULL AND failed_at IS NULL"),
        ),
        ForeignKeyConstraint(("event_id", "event_at"), EVENT_KEY, ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(
        ForeignKey("open311_webhooks.username", ondelete="CASCADE")
    )
    issue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigInteger, index=True)
    event_at: Mapped[datetime] = mapped_column(Timestamp)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(Timestamp)
    failed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)


class SignInLink(Base):
    """A one-time link a planner gives a phone (0025): opened once, before it expires, it
    becomes a session of its user."""

    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    next_path: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    used_at: Mapped[datetime | None] = mapped_column(Timestamp)


class BrowserSession(Base):
    """A key exchanged for a cookie (`geoapi.auth.sessions`); it ends with its key."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(Timestamp, index=True)


class Notice(Base):
    """A rectification notice (整改通知单): one unit's dispatched problems, numbered per year."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "(acknowledged_at IS NULL) = (acknowledged_by IS NULL)", name="acknowledged_by_whom"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(Text, unique=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    seq: Mapped[int] = mapped_column(Integer)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    office: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    deadline: Mapped[datetime] = mapped_column(Timestamp)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="RESTRICT"))
    period_from: Mapped[datetime | None] = mapped_column(Timestamp)
    period_to: Mapped[datetime | None] = mapped_column(Timestamp)
    note: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(Timestamp)
    acknowledged_by: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class NoticeIssue(Base):
    """A problem listed on a notice."""

    __tablename__ = "notice_issues"
    __table_args__ = (
        ForeignKeyConstraint(
            ("dispatch_event_id", "dispatch_event_at"), EVENT_KEY, ondelete="RESTRICT"
        ),
    )

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notices.id", ondelete="RESTRICT"), primary_key=True
    )
    issue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issues.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    # The dispatch (or reopen) it was noticed for: a reopened problem can go on a new notice.
    dispatch_event_id: Mapped[int] = mapped_column(BigInteger, index=True)
    dispatch_event_at: Mapped[datetime] = mapped_column(Timestamp)
    # Its deadline before the notice set one for all (原限期).
    prior_deadline: Mapped[datetime | None] = mapped_column(Timestamp)


class NoticeEvent(Base):
    """What happened to a notice (issued, acknowledged); never updated or deleted."""

    __tablename__ = "notice_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notices.id", ondelete="RESTRICT"), index=True
    )
    at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class Escalation(Base):
    """A reminder (提醒卡) or supervision card (督办卡) for an overdue problem; append-only."""

    __tablename__ = "escalations"
    __table_args__ = (
        CheckConstraint(sql_in("level", ESCALATION_LEVELS), name="level"),
        Index("ix_escalations_issue_id_at", "issue_id", "at"),
        Index("ix_escalations_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    issue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issues.id", ondelete="RESTRICT"))
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("notices.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(Timestamp)
    days_overdue: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    actor: Mapped[str] = mapped_column(Text)
    # The unit the card is addressed to (the problem's unit when it was issued).
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code", ondelete="RESTRICT"))
    note: Mapped[str | None] = mapped_column(Text)  # a planner's instruction (督办事项)
    reply_due: Mapped[datetime | None] = mapped_column(Timestamp)  # a planner's card: reply by


class EscalationReply(Base):
    """The unit's answer to a card (整改情况回复), once; append-only."""

    __tablename__ = "escalation_replies"

    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="RESTRICT"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)  # 整改措施
    responsible: Mapped[str] = mapped_column(Text)  # 责任人


class Road(Base):
    """A road segment of the network that route lists follow, with a speed per travel mode.

    `source`/`target` are `road_nodes` ids (its topology, for pgRouting); a mode's speed NULL
    means the mode may not use it; `oneway` binds vehicles (e-bike, car), not walkers."""

    __tablename__ = "roads"
    __table_args__ = (
        CheckConstraint(sql_in("class", ROAD_CLASSES), name="class"),
        CheckConstraint("length_m > 0", name="length_positive"),
        CheckConstraint(
            "coalesce(speed_walk, 1) > 0 AND coalesce(speed_ebike, 1) > 0 "
            "AND coalesce(speed_car, 1) > 0",
            name="speeds_positive",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    geom: Mapped[Any] = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True))
    name: Mapped[str | None] = mapped_column(Text)
    road_class: Mapped[str] = mapped_column("class", Text)
    oneway: Mapped[bool] = mapped_column(server_default=text("false"))
    speed_walk: Mapped[float | None] = mapped_column(REAL)  # km/h
    speed_ebike: Mapped[float | None] = mapped_column(REAL)
    speed_car: Mapped[float | None] = mapped_column(REAL)
    length_m: Mapped[float] = mapped_column(REAL)
    source: Mapped[int | None] = mapped_column(BigInteger, index=True)
    target: Mapped[int | None] = mapped_column(BigInteger, index=True)


class RoadNode(Base):
    """A junction or dead end of the road network (the ends of `roads`)."""

    __tablename__ = "road_nodes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    geom: Mapped[Any] = mapped_column(_point())


class Route(Base):
    """A team's planned day (巡查路线): where it starts, when, by which mode, on which network."""

    __tablename__ = "routes"
    __table_args__ = (
        CheckConstraint(sql_in("mode", TRAVEL_MODES), name="mode"),
        CheckConstraint("shift_end > shift_start", name="shift_order"),
        CheckConstraint("inspector BETWEEN 1 AND inspectors", name="inspector_of"),
        Index("ix_routes_team_id_day", "team_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    inspector: Mapped[int] = mapped_column(SmallInteger, server_default="1")  # k of n sent out
    inspectors: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    day: Mapped[date] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(Text)
    network: Mapped[str] = mapped_column(Text)  # "roads" or "straight_line"
    start_geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    start_label: Mapped[str] = mapped_column(Text)
    shift_start: Mapped[datetime] = mapped_column(Timestamp)
    shift_end: Mapped[datetime] = mapped_column(Timestamp)
    return_to_start: Mapped[bool] = mapped_column(server_default=text("true"))
    distance_m: Mapped[float] = mapped_column(REAL)
    duration_s: Mapped[float] = mapped_column(REAL)  # travel and service, start to end
    end_geom: Mapped[Any | None] = mapped_column(  # the leg back to the start
        Geometry("LINESTRING", srid=4326, spatial_index=False)
    )
    unassigned: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class RouteStop(Base):
    """One stop of a route, in order, with the leg that reaches it."""

    __tablename__ = "route_stops"
    __table_args__ = (CheckConstraint(sql_in("reason", STOP_REASONS), name="reason"),)

    route_id: Mapped[int] = mapped_column(
        ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    point_id: Mapped[int | None] = mapped_column(
        ForeignKey("points.id", ondelete="CASCADE"), index=True
    )
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    issue_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("issues.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    arrival: Mapped[datetime] = mapped_column(Timestamp)
    service_s: Mapped[int] = mapped_column(Integer)
    leg_m: Mapped[float] = mapped_column(REAL)
    leg_s: Mapped[float] = mapped_column(REAL)
    leg_geom: Mapped[Any | None] = mapped_column(
        Geometry("LINESTRING", srid=4326, spatial_index=False)
    )
