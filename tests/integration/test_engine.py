from sqlalchemy import Engine, text

from geoapi.db.engine import make_engine
from geoapi.settings import Settings


def _show(engine: Engine, name: str) -> str:
    with engine.connect() as connection:
        return connection.scalar(text(f"SHOW {name}"))


def test_service_connections_start_no_parallel_workers_or_jit(engine: Engine):
    assert _show(engine, "max_parallel_workers_per_gather") == "0"
    assert _show(engine, "jit") == "off"
    assert _show(engine, "timezone") == "UTC"


def test_parallel_workers_and_jit_follow_the_settings(settings: Settings):
    tuned = make_engine(settings.model_copy(update={"db_parallel_workers": 2, "db_jit": True}))
    try:
        assert _show(tuned, "max_parallel_workers_per_gather") == "2"
        assert _show(tuned, "jit") == "on"
    finally:
        tuned.dispose()


def test_json_arrives_as_utf8_bytes_only_when_asked(engine: Engine):
    statement = text("SELECT json_build_object('name', '农贸市场')")
    with engine.connect() as connection:
        passed_through = connection.execute(statement.execution_options(json_as_bytes=True))
        assert passed_through.scalar() == '{"name" : "农贸市场"}'.encode()
        assert connection.execute(statement).scalar() == {"name": "农贸市场"}
