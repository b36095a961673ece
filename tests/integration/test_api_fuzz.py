"""Schemathesis over the OpenAPI document: generated requests to every operation, with an
admin's key and without one; no 5xx, and every answer as the document declares it (status,
content type, body schema). A fixed seed and example count keep runs repeatable."""

import os

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from geoapi.app import create_app
from geoapi.open311.app import PREFIX as OPEN311_PREFIX
from geoapi.settings import Settings
from tests.conftest import LAYERS, app_on

# Per operation and key: 36 operations × 2 × 12 ≈ 860 requests in the suite; a deeper run:
# GEOAPI_FUZZ_EXAMPLES=500 ./scripts/test tests/integration/test_api_fuzz.py
EXAMPLES = int(os.environ.get("GEOAPI_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same cases every run
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
)


def operations(document: dict) -> list[tuple[str, str]]:
    """Every (path, method) of an OpenAPI document."""
    return [(path, method.upper()) for path, item in document["paths"].items() for method in item]


APP = create_app(Settings(layers_dir=LAYERS))  # building the app opens no connection
OPERATIONS = operations(APP.openapi())
OPEN311 = operations(
    next(r.app for r in APP.routes if getattr(r, "path", None) == OPEN311_PREFIX).openapi()
)


@pytest.fixture
def app(settings, session, tmp_path, market):
    """The app on the test's transaction (photos in a temporary folder)."""
    return app_on(settings.model_copy(update={"photos_dir": tmp_path}), session)


@pytest.fixture
def api(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def open311(app):
    return schemathesis.openapi.from_asgi(f"{OPEN311_PREFIX}/openapi.json", app)


def fuzz(api, path: str, method: str, headers: dict[str, str]) -> None:
    """Generated cases for one operation, each checked against the document."""

    @FUZZ
    @hypothesis.given(case=api[path][method].as_strategy())
    def check(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_with_an_admin_key(api, admin_key, path, method):
    fuzz(api, path, method, {"X-API-Key": admin_key})


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_without_a_key(api, path, method):
    fuzz(api, path, method, {})


@pytest.mark.parametrize(("path", "method"), OPEN311)
def test_every_open311_operation(open311, path, method):
    fuzz(open311, path, method, {})
