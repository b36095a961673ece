import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from geoapi.app import create_app
from geoapi.auth import lookup
from geoapi.db import migrate
from geoapi.db.engine import Reader, get_reader, get_report_session, get_session, make_engine
from geoapi.demo import load
from geoapi.demo.generate import DemoCity, generate
from geoapi.reference.model import Reference, read_reference
from geoapi.settings import Settings
from tests.factories import make_point, make_unit

LAYERS = Path(__file__).parents[1] / "layers"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    url = os.environ.get("GEOAPI_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("GEOAPI_TEST_DATABASE_URL is not set (scripts/test sets it)")
        pytest.skip("no test database: run ./scripts/test")
    photos = tmp_path_factory.mktemp("photos")
    return Settings(database_url=url, db_pool_size=4, layers_dir=LAYERS, photos_dir=photos)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    migrate.upgrade(engine)  # migrations are under test too
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def reference(engine: Engine) -> Reference:
    """The reference tables as the migrations seed them (what the demo generator reads)."""
    with engine.connect() as connection:
        return read_reference(connection)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose work is rolled back after the test."""
    with engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """ORM session inside the test's rolled-back transaction (external-transaction recipe)."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session


@pytest.fixture
def admin_key(connection: Connection) -> str:
    """The API key of an admin, created inside the test's transaction."""
    return lookup.add_user(connection, "test-admin", "admin")


@pytest.fixture
def keys(connection: Connection, market: int, admin_key: str) -> dict[str, str]:
    """One API key per role, city-wide; the unit user works for `market_reg`."""
    add = lookup.add_user
    return {
        "admin": admin_key,
        "planner": add(connection, "office", "planner"),
        "analyst": add(connection, "analyst", "analyst"),
        "inspector": add(connection, "inspector1", "inspector"),
        "verifier": add(connection, "inspector2", "inspector"),
        "unit": add(connection, "market-reg-1", "unit", unit_code="market_reg"),
        "other_unit": add(connection, "urban-mgmt-1", "unit", unit_code="urban_mgmt"),
        "public": add(connection, "wechat-app", "public"),
    }


def app_on(settings: Settings, session: Session) -> FastAPI:
    """The app, its requests working in the test's session.

    As in production, where closing a request's session rolls back what it did not commit,
    a request that fails leaves nothing behind.
    """
    app = create_app(settings)

    def request_session() -> Iterator[Session]:
        try:
            yield session
        finally:
            session.rollback()

    @contextmanager
    def read_connection() -> Iterator[Connection]:
        connection = session.connection()
        with connection.begin_nested():  # a failed read leaves the test's transaction usable
            yield connection

    app.dependency_overrides[get_session] = request_session
    app.dependency_overrides[get_report_session] = request_session
    app.dependency_overrides[get_reader] = lambda: Reader(read_connection)
    return app


def _client(settings: Settings, session: Session, headers: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(app_on(settings, session), headers=headers) as client:
        yield client


@pytest.fixture
def anonymous(settings: Settings, session: Session) -> Iterator[TestClient]:
    """A client without an API key: the public."""
    yield from _client(settings, session, {})


@pytest.fixture
def client(settings: Settings, session: Session, admin_key: str) -> Iterator[TestClient]:
    """A client sending an admin's API key; pass other keys per request to test roles."""
    yield from _client(settings, session, {"X-API-Key": admin_key})


DEMO_AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def city(connection: Connection, reference: Reference) -> DemoCity:
    """A small demo city (about 500 points, 150 problems) inside the test's transaction."""
    city = generate(0.05, 9, DEMO_AS_OF, reference)
    load.load(connection, load.plan(city))
    return city


@pytest.fixture
def market(connection: Connection) -> int:
    """One market point at 117.05 E 36.66 N and the units problems there go to."""
    make_unit(connection, "urban_mgmt")
    make_unit(connection, "market_reg")
    return make_point(connection, "MK-1", lon=117.0500, lat=36.6600, category="market")
