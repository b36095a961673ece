import pytest
from pydantic import ValidationError

from geoapi.settings import Settings


def test_reads_prefixed_environment(monkeypatch):
    monkeypatch.setenv("GEOAPI_DATABASE_URL", "postgresql://u:p@db.example:6543/city")
    monkeypatch.setenv("GEOAPI_PORT", "9000")
    settings = Settings()
    assert settings.port == 9000
    assert settings.sqlalchemy_url == "postgresql+psycopg2://u:p@db.example:6543/city"


def test_default_limit_above_max_is_refused():
    with pytest.raises(ValidationError, match="default_limit"):
        Settings(default_limit=500, max_limit=100)


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "not a url"])
def test_database_url_must_be_postgres(bad):
    with pytest.raises(ValidationError):
        Settings(database_url=bad)
