"""`GEOAPI_READ_DATABASE_URL`: reads (features, keys, figures, the map) go to the replica,
writes to the database. A second database of the same server stands in for the replica, with
rows the primary lacks, so where each answer came from shows."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geoapi.app import create_app
from geoapi.auth import lookup
from geoapi.settings import Settings
from tests.databases import database_beside
from tests.factories import make_issue, make_point

REPLICA = "geoapi_test_replica"


@pytest.fixture(scope="module")
def replica_url(settings: Settings) -> Iterator[str]:
    """A migrated database beside the test database, with one point, problem and key."""
    with database_beside(settings, REPLICA) as replica:
        with replica.begin() as connection:
            make_point(connection, "ON-REPLICA")
            make_issue(connection, reported_at=datetime.now(UTC))
            lookup.add_user(connection, "replica-admin", "admin", key="replica-admin-key")
        yield replica.url.render_as_string(hide_password=False)


def test_reads_go_to_the_replica_and_writes_to_the_database(settings, engine, replica_url):
    app = create_app(settings.model_copy(update={"read_database_url": replica_url}))
    point = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [100.2, 30.2]},
        "properties": {"code": "ON-PRIMARY", "name": "写入主库", "category": "market"},
    }
    try:
        with TestClient(app, headers={"X-API-Key": "replica-admin-key"}) as client:
            items = client.get("/collections/points/items").json()  # the key: on the replica
            assert [f["properties"]["code"] for f in items["features"]] == ["ON-REPLICA"]
            assert client.get("/stats/figures").json()["reported"] == 1
            assert client.get("/map").status_code == 200
            assert client.post("/points", json=point).status_code == 201
        with engine.connect() as primary:
            codes = set(primary.scalars(text("SELECT code FROM points")))
        replica = create_engine(replica_url)
        with replica.connect() as connection:
            replicated = set(connection.scalars(text("SELECT code FROM points")))
        replica.dispose()
        assert "ON-PRIMARY" in codes and "ON-REPLICA" not in codes
        assert replicated == {"ON-REPLICA"}
    finally:
        with engine.begin() as primary:
            primary.execute(text("DELETE FROM points WHERE code = 'ON-PRIMARY'"))
