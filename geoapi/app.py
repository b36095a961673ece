"""The FastAPI application factory: wires settings, database, routers and error handlers."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from geoapi import __version__, health
from geoapi.auth.cache import KeyCache
from geoapi.auth.router import router as sign_in_router
from geoapi.cards.router import router as cards_router
from geoapi.catalog.load import load_layers
from geoapi.catalog.needed import check_needed
from geoapi.catalog.registry import LayerRegistry
from geoapi.db import partitions
from geoapi.db.engine import make_engine, make_read_engine, make_report_engine
from geoapi.errors import install_error_handlers
from geoapi.features.router import router as features_router
from geoapi.guard import RequestGuard
from geoapi.inspections.checklists import load_checklists
from geoapi.inspections.router import router as inspections_router
from geoapi.issues.router import router as issues_router
from geoapi.map.assets import FOLIUM_TEMPLATES
from geoapi.map.router import router as map_router
from geoapi.notices.router import router as notices_router
from geoapi.open311.app import PREFIX as OPEN311_PREFIX
from geoapi.open311.app import create_open311_app, error_response
from geoapi.openapi import install as describe_errors
from geoapi.patrol.router import router as patrol_router
from geoapi.points.router import router as points_router
from geoapi.reference.router import router as reference_router
from geoapi.responsibility.router import router as responsibility_router
from geoapi.settings import Settings
from geoapi.stats import rollup
from geoapi.stats.router import bulletins as bulletins_router
from geoapi.stats.router import router as stats_router
from geoapi.tiles.router import router as tiles_router
from geoapi.ttlcache import TtlCache

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for `settings` (read from the environment when omitted)."""
    settings = settings or Settings()
    definitions = load_layers(settings.layers_dir)  # a bad layer file stops here
    check_needed(definitions)  # so does a missing layer the code reads
    registry = LayerRegistry(definitions, settings.public_layers)
    checklists = load_checklists(settings.checklists_dir)  # so does a bad checklist
    engine = make_engine(settings, settings.db_statement_timeout_s)
    read_engine = make_read_engine(settings)
    report_engine = (  # figures, bulletins, the map: on the replica when there is one
        make_report_engine(settings, settings.db_statement_timeout_s)
        if settings.read_database_url
        else engine
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            rollup.align_zone(engine, settings.timezone)
        except OperationalError as exc:  # the service still starts; /health tells
            log.error("database not reachable at start-up: %s", exc.orig)
        try:
            partitions.months_ahead(engine)
        except SQLAlchemyError as exc:  # e.g. a role without CREATE: events go to the default
            log.warning("monthly tables of the problem history not made: %s", exc)
        yield
        engine.dispose()
        read_engine.dispose()
        report_engine.dispose()

    app = FastAPI(
        title="geoapi",
        version=__version__,
        description="Inspection points, problems and their closed loop for civilized-city "
        "campaigns (创建全国文明城市), served from PostGIS.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = read_engine
    app.state.report_engine = report_engine
    app.state.layers = registry
    app.state.checklists = checklists
    app.state.key_cache = KeyCache(settings.key_cache_seconds)
    app.state.extent_cache = TtlCache(settings.extent_cache_seconds)
    install_error_handlers(app)
    describe_errors(app)  # the document as the service answers: errors, GeoJSON
    # Every request is bounded first; Open311's refusals take its own error shape.
    app.add_middleware(RequestGuard, settings=settings, renderers={OPEN311_PREFIX: error_response})
    app.include_router(health.router)
    app.include_router(sign_in_router)
    app.include_router(features_router)
    app.include_router(tiles_router)
    app.include_router(issues_router)
    app.include_router(reference_router)
    app.include_router(inspections_router)  # before /points/{code}: it serves /points/due
    app.include_router(points_router)
    app.include_router(notices_router)
    app.include_router(cards_router)
    app.include_router(responsibility_router)
    app.include_router(stats_router)
    app.include_router(bulletins_router)
    app.include_router(map_router)
    app.include_router(patrol_router)
    app.mount(OPEN311_PREFIX, create_open311_app(app))
    _mount_assets(app, settings)
    return app


def _mount_assets(app: FastAPI, settings: Settings) -> None:
    """The map page's scripts: npm packages installed at setup, and folium's own templates."""
    if not settings.web_assets_dir.is_dir():
        log.warning(
            "%s is missing: /map will lack its scripts (run ./scripts/demo or npm ci --prefix web)",
            settings.web_assets_dir,
        )
    app.mount("/static/npm", StaticFiles(directory=settings.web_assets_dir, check_dir=False))
    app.mount("/static/folium", StaticFiles(directory=FOLIUM_TEMPLATES))
