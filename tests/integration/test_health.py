from fastapi.testclient import TestClient

from geoapi.app import create_app
from geoapi.db import migrate
from geoapi.settings import Settings
from tests.conftest import LAYERS


def test_health_reports_database_and_postgis(client: TestClient):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["postgis"].startswith("3.")
    assert body["schema_revision"] == migrate.head()


def test_health_is_503_problem_json_when_database_is_down():
    settings = Settings(
        database_url="postgresql://nobody@127.0.0.1:1/none", db_connect_timeout=1, layers_dir=LAYERS
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Database unavailable"


def test_openapi_document_lists_health(client: TestClient):
    spec = client.get("/openapi.json").json()
    assert "/health" in spec["paths"]
    assert client.get("/docs").status_code == 200
