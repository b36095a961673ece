import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from geoapi.app import create_app
from geoapi.db import migrate
from geoapi.db.engine import get_session, make_engine
from geoapi.demo import load
from geoapi.demo.generate import DemoCity, generate
from geoapi.settings import Settings
from tests.factories import make_point, make_unit

LAYERS = Path(__file__).parents[1] / "layers"


@pytest.fixture(scope="session")
def settings() -> Settings:
    url = os.environ.get("GEOAPI_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("GEOAPI_TEST_DATABASE_URL is not set (scripts/test sets it)")
        pytest.skip("no test database: run ./scripts/test")
    return Settings(database_url=url, db_pool_size=4, layers_dir=LAYERS)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    migrate.upgrade(engine)  # migrations are under test too
    yield engine
    engine.dispose()


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
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    app = create_app(settings)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        yield client


DEMO_AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def city(connection: Connection) -> DemoCity:
    """A small demo city (about 500 points, 150 problems) inside the test's transaction."""
    city = generate(0.05, 9, DEMO_AS_OF)
    load.load(connection, load.plan(city))
    return city


@pytest.fixture
def market(connection: Connection) -> int:
    """One market point at 117.05 E 36.66 N and the units problems there go to."""
    make_unit(connection, "urban_mgmt")
    make_unit(connection, "market_reg")
    return make_point(connection, "MK-1", lon=117.0500, lat=36.6600, category="market")
