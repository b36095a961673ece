"""Command line: `geoapi db|demo|import|export|users|map|serve`, each calling a service."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Connection, Engine

from geoapi.db import migrate, partitions
from geoapi.db.engine import make_engine
from geoapi.reference.cli import APPS as REFERENCE_APPS
from geoapi.settings import Settings

if TYPE_CHECKING:
    from geoapi.transfer.row_errors import RowError

app = typer.Typer(
    help="geoapi: inspection points and problems for civilized-city campaigns.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema migrations (Alembic).", no_args_is_help=True)
demo_app = typer.Typer(help="The deterministic demo city.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
import_app = typer.Typer(help="Import points, areas or roads from files.", no_args_is_help=True)
export_app = typer.Typer(help="Export points to files.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
routes_app = typer.Typer(help="Route lists of inspection teams.", no_args_is_help=True)
app.add_typer(routes_app, name="routes")
users_app = typer.Typer(help="Users, roles, scopes and API keys.", no_args_is_help=True)
app.add_typer(users_app, name="users")
open311_app = typer.Typer(
    help="Citizens' apps: webhooks and their deliveries.", no_args_is_help=True
)
app.add_typer(open311_app, name="open311")
qgis_app = typer.Typer(help="QGIS projects of the service's layers.", no_args_is_help=True)
app.add_typer(qgis_app, name="qgis")
for _name, _sub in REFERENCE_APPS.items():
    app.add_typer(_sub, name=_name)

console = Console()
err = Console(stderr=True)
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))


def _engine() -> Engine:
    return make_engine(Settings())


def progress() -> Progress:
    """The progress bar every long command shows."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate the database up (default: to the newest revision)."""
    engine = _engine()
    migrate.upgrade(engine, revision)
    console.print(f"database at revision [bold]{migrate.current(engine)}[/]")
    if revision == "head":
        made = partitions.months_ahead(engine)
        console.print(f"problem history: {made} new monthly tables for the coming year")
        with engine.connect() as connection:
            outside = partitions.events_in_default(connection)
        if outside:
            console.print(f"problem history: events outside every month's table: {outside:,}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Migrate the database down (default: one revision; `base` removes every table)."""
    engine = _engine()
    migrate.downgrade(engine, revision)
    console.print(f"database at revision [bold]{migrate.current(engine) or 'base'}[/]")


@db_app.command("analyst-role")
def db_analyst_role(
    name: Annotated[str, typer.Argument(help="The PostgreSQL role to create or update")],
    password: Annotated[str | None, typer.Option(help="Default: a new random one")] = None,
    area: Annotated[
        str | None, typer.Option(help="An area code: the role sees only its rows")
    ] = None,
    drop: Annotated[bool, typer.Option("--drop", help="Remove the role")] = False,
) -> None:
    """A read-only login for QGIS and notebooks: SELECT on the `analytics` views only."""
    from sqlalchemy.engine import make_url

    from geoapi.db import analysts
    from geoapi.errors import GeoApiError

    engine = _engine()
    try:
        with engine.begin() as connection:
            if drop:
                analysts.drop_role(connection, name)
                console.print(f"role {name} dropped")
                return
            secret = analysts.create_role(connection, name, password, area)
    except GeoApiError as exc:
        err.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(2) from exc
    url = make_url(str(Settings().database_url)).set(username=name, password=secret)
    console.print(
        f"role {name}: SELECT on schema analytics, read-only" + (f", area {area}" if area else "")
    )
    console.print(url.render_as_string(hide_password=False), soft_wrap=True)


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    console.print(migrate.current(_engine()) or "base (not migrated)")


@demo_app.command("load")
def demo_load(
    scale: Annotated[float, typer.Option(min=0.01, help="1 ≈ 10,000 points, 3,000 problems")] = 1,
    seed: Annotated[int, typer.Option(help="Same seed, same city")] = 2026,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last day of the history [default: today]"),
    ] = None,
    if_empty: Annotated[bool, typer.Option(help="Do nothing when data is already there")] = False,
    replace: Annotated[bool, typer.Option(help="Delete ALL data first, then load")] = False,
) -> None:
    """Generate the demo district and load it with COPY."""
    from geoapi.demo import load
    from geoapi.demo.generate import generate
    from geoapi.demo.users import add_demo_users
    from geoapi.reference.model import read_reference

    end_day = as_of.date() if as_of else date.today()
    end = datetime.combine(end_day, time(20, 0), CHINA_STANDARD_TIME).astimezone(UTC)
    if as_of is None:  # loaded this morning: nothing happens later today yet
        end = min(end, datetime.now(UTC))
    engine = _engine()
    with engine.begin() as connection:
        if load.has_data(connection) and not replace:
            if if_empty:
                console.print("data already loaded; nothing to do (--replace reloads)")
                return
            err.print(
                "[red]The database already holds points or areas.[/] "
                "Use --replace to delete everything and reload, or --if-empty."
            )
            raise typer.Exit(1)
        with console.status(f"generating the demo city (scale {scale:g}, seed {seed})"):
            plan = load.plan(generate(scale, seed, end, read_reference(connection)))
        if replace:
            load.clear(connection)
        with progress() as bar:
            task = bar.add_task("loading", total=plan.total_rows)
            counts = load.load(connection, plan, lambda n: bar.advance(task, n))
        users = add_demo_users(connection)
    with console.status("vacuuming"):
        load.vacuum(engine)
    _print_counts(counts)
    console.print("demo users (API key = user name): " + ", ".join(users))


def _print_counts(counts: dict[str, int]) -> None:
    table = Table("table", "rows", title="loaded")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="[default: settings]")] = None,
    port: Annotated[int | None, typer.Option(help="[default: settings]")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes")] = False,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes serving requests [default: settings]")
    ] = None,
) -> None:
    """Serve the API with uvicorn: one process, or `--workers` of them on one port."""
    import uvicorn

    from geoapi.protocol import ProblemHttpToolsProtocol

    settings = Settings()
    workers = workers or settings.workers
    if reload and workers > 1:
        raise typer.BadParameter("--reload runs a single process; leave --workers at 1")
    uvicorn.run(
        "geoapi.app:create_app",
        factory=True,
        reload=reload,
        workers=workers,
        host=host or settings.host,
        port=port or settings.port,
        access_log=settings.access_log,
        http=ProblemHttpToolsProtocol,
    )


FileArg = Annotated[
    Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile, or CSV with lon/lat columns")
]
CrsOption = Annotated[
    str | None,
    typer.Option(help="Source CRS if the file has none or a wrong one: EPSG:xxxx, gcj02, bd09"),
]
LayerOption = Annotated[str | None, typer.Option(help="Layer of a multi-layer file (GPKG)")]
SkipOption = Annotated[
    bool, typer.Option("--skip-invalid", help="Load the good rows and skip the bad ones")
]
RejectsOption = Annotated[
    Path | None, typer.Option(help="With --skip-invalid: write bad rows and reasons here (CSV)")
]


def _run_import(
    kind: str,
    file: Path,
    crs: str | None,
    layer: str | None,
    skip_invalid: bool,
    rejects: Path | None,
) -> None:
    from geoapi.transfer.areas import import_areas
    from geoapi.transfer.points import import_points
    from geoapi.transfer.read import UnreadableFile, read_file
    from geoapi.transfer.roads import import_roads, is_osm, read_osm_result
    from geoapi.transfer.row_errors import ImportRejected, write_rejects

    importer = {"points": import_points, "areas": import_areas, "roads": import_roads}[kind]
    try:
        with console.status(f"reading {file}"):
            osm = kind == "roads" and is_osm(file)
            read = read_osm_result(file) if osm else read_file(file, crs=crs, layer=layer)
        with _engine().begin() as connection, console.status(f"importing {len(read.frame):,} rows"):
            report = importer(connection, read.frame, read.errors, skip_invalid)
    except UnreadableFile as exc:
        err.print(f"[red]cannot import:[/] {exc}")
        raise typer.Exit(2) from exc
    except ImportRejected as exc:
        _print_row_errors(exc.errors)
        err.print(f"[red]{exc}[/] (--skip-invalid loads the good rows)")
        raise typer.Exit(1) from exc
    if report.rejected:
        _print_row_errors(report.rejected)
        if rejects:
            count = write_rejects(rejects, read.original, report.rejected)
            console.print(f"wrote {count} rejected row(s) with reasons to {rejects}")
    console.print(
        f"{kind}: {report.inserted:,} inserted, {report.updated:,} updated, "
        f"{len({p.row for p in report.rejected}):,} rejected"
    )
    if report.new_units:
        console.print(f"new units created: {', '.join(report.new_units)}")


def _print_row_errors(errors: "list[RowError]") -> None:
    table = Table("row", "field", "error", title="rows that cannot be imported")
    for e in errors[:200]:
        table.add_row(str(e.row), e.field, e.message)
    err.print(table)
    if len(errors) > 200:
        err.print(f"… and {len(errors) - 200} more")


@import_app.command("points")
def import_points_command(
    file: FileArg,
    crs: CrsOption = None,
    layer: LayerOption = None,
    skip_invalid: SkipOption = False,
    rejects: RejectsOption = None,
) -> None:
    """Import inspection points (columns code, name, category, address, unit); upsert by code."""
    _run_import("points", file, crs, layer, skip_invalid, rejects)


@import_app.command("areas")
def import_areas_command(
    file: FileArg,
    crs: CrsOption = None,
    layer: LayerOption = None,
    skip_invalid: SkipOption = False,
    rejects: RejectsOption = None,
) -> None:
    """Import areas (columns code, name, level, parent_code; polygons); upsert by code."""
    _run_import("areas", file, crs, layer, skip_invalid, rejects)


@import_app.command("roads")
def import_roads_command(
    file: Annotated[
        Path, typer.Argument(help="GeoJSON, GeoPackage or Shapefile lines, or .osm / .osm.pbf")
    ],
    crs: CrsOption = None,
    layer: LayerOption = None,
    skip_invalid: SkipOption = False,
    rejects: RejectsOption = None,
) -> None:
    """Replace the road network that route lists follow (optional columns name, class, oneway,
    speed_walk/speed_ebike/speed_car in km/h; OpenStreetMap highways are mapped to classes)."""
    _run_import("roads", file, crs, layer, skip_invalid, rejects)


@import_app.command("responsibilities")
def import_responsibilities_command(
    file: Annotated[Path, typer.Argument(help="CSV, UTF-8, with a header line", exists=True)],
) -> None:
    """Import who answers for points and areas (columns point or area, role = leader | unit |
    keeper | frontage, person, unit, title, phone): every row or none."""
    from geoapi.auth.principal import SYSTEM
    from geoapi.errors import GeoApiError
    from geoapi.responsibility import service

    try:
        with _engine().begin() as connection:
            stored = service.import_csv(connection, file.read_text("utf-8"), SYSTEM)
    except (GeoApiError, UnicodeDecodeError) as exc:
        detail = exc.detail if isinstance(exc, GeoApiError) else f"not UTF-8: {exc}"
        err.print(f"[red]{detail}[/]")
        for line in getattr(exc, "extra", {}).get("errors", []):
            err.print(f"  {line}")
        raise typer.Exit(2) from exc
    console.print(f"{stored} responsibilities imported")


@export_app.command("points")
def export_points_command(
    out: Annotated[Path, typer.Option(help="File to write")],
    fmt: Annotated[str, typer.Option("--format", help="gpkg, geojson or csv")] = "gpkg",
    category: Annotated[list[str] | None, typer.Option(help="Only this category")] = None,
) -> None:
    """Export inspection points (with footprints in GPKG/GeoJSON, lon/lat in CSV)."""
    from geoapi.transfer.export import DRIVERS, export_points

    if fmt not in (*DRIVERS, "csv"):
        err.print(f"[red]unknown format {fmt!r}[/]: use gpkg, geojson or csv")
        raise typer.Exit(2)
    with _engine().connect() as connection:
        count = export_points(connection, out, fmt, category)  # type: ignore[arg-type]
    console.print(f"wrote {count:,} points to {out}")


if __name__ == "__main__":
    app()


@contextmanager
def _user_change() -> Iterator[Connection]:
    """A transaction for a users command; a refused change exits 2 with the reason."""
    from geoapi.auth.lookup import UserError

    try:
        with _engine().begin() as connection:
            yield connection
    except UserError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name, e.g. zhang.san")],
    role: Annotated[str, typer.Option(help="admin, planner, analyst, inspector, unit, public")],
    area: Annotated[str | None, typer.Option(help="Area code: an inspector's scope")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit code: required for role unit")] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
) -> None:
    """Create a user and print their API key (shown only this once)."""
    from geoapi.auth import lookup

    with _user_change() as connection:
        key = lookup.add_user(connection, username, role, area, unit, name)
    console.print(f"user [bold]{username}[/] ({role}) created; API key, shown once:")
    typer.echo(key)  # plain stdout, so scripts can capture it


@users_app.command("key")
def users_key(username: Annotated[str, typer.Argument()]) -> None:
    """Issue another API key for a user (e.g. a second device)."""
    from geoapi.auth import lookup

    with _user_change() as connection:
        key = lookup.issue_key(connection, username)
    typer.echo(key)  # plain stdout, so scripts can capture it


@users_app.command("sign-in-link")
def users_sign_in_link(
    username: Annotated[str, typer.Argument(help="The inspector or unit user")],
    next_path: Annotated[
        str, typer.Option("--next", help="Where the phone lands, e.g. /routes/12/view")
    ] = "/map",
    minutes: Annotated[int, typer.Option(min=1, max=1440, help="The link expires after")] = 30,
    base_url: Annotated[
        str, typer.Option(help="The service as the phone reaches it")
    ] = "http://127.0.0.1:8000",
) -> None:
    """A one-time link (and QR code) that signs a phone in as USERNAME, no key typed."""
    import segno

    from geoapi.auth import sign_in
    from geoapi.auth.principal import SYSTEM
    from geoapi.errors import GeoApiError

    try:
        with _engine().begin() as connection:
            now = datetime.now(UTC)
            link = sign_in.create(connection, username, next_path, minutes, SYSTEM, now)
    except GeoApiError as exc:
        err.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(2) from exc
    url = f"{base_url.rstrip('/')}/sign-in/{link.token}"
    typer.echo(url)
    segno.make(url, error="m").terminal(compact=True)
    console.print(f"open once before {link.expires_at.astimezone():%Y-%m-%d %H:%M}")


@users_app.command("list")
def users_list() -> None:
    """Users with role, scope and live keys (by their first characters)."""
    from geoapi.auth import lookup

    with _engine().connect() as connection:
        rows = lookup.list_users(connection)
    table = Table("user", "role", "area", "unit", "live keys", "disabled")
    for row in rows:
        disabled = f"{row.disabled_at:%Y-%m-%d %H:%M}" if row.disabled_at else ""
        keys = f"{row.live_keys} {row.keys}".strip()
        table.add_row(row.username, row.role, row.area or "", row.unit or "", keys, disabled)
    console.print(table)


@users_app.command("revoke")
def users_revoke(
    username: Annotated[str, typer.Argument()],
    disable: Annotated[bool, typer.Option(help="Also disable the user")] = False,
) -> None:
    """Revoke every API key of a user; requests with them get 401 at once."""
    from geoapi.auth import lookup

    with _user_change() as connection:
        count = lookup.revoke(connection, username, disable)
    console.print(
        f"{count} key(s) of [bold]{username}[/] revoked" + (", user disabled" if disable else "")
    )


@app.command("map")
def map_command(
    out: Annotated[Path, typer.Option(help="HTML file to write (standalone, scripts inside)")],
    area: Annotated[str | None, typer.Option(help="Area code at any level")] = None,
    category: Annotated[str | None, typer.Option(help="Point categories, comma-separated")] = None,
    issue_type: Annotated[
        str | None, typer.Option("--type", help="Issue types, comma-sep.")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Issue sources, comma-separated")] = None,
    status: Annotated[str | None, typer.Option(help="Issue states, comma-separated")] = None,
    since: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    until: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    basemap: Annotated[str | None, typer.Option(help="osm, amap, blank, …")] = None,
    unit: Annotated[str | None, typer.Option(help="Responsible units, comma-separated")] = None,
    problems: Annotated[
        str, typer.Option(help="open (now) or found (reported in since/until, any state)")
    ] = "open",
    paper: Annotated[
        str | None,
        typer.Option("--print", help="a4, a3, a2 or a1: a wall poster of that sheet (挂图)"),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="The service's address, for the file's links (none without)")
    ] = None,
) -> None:
    """Write the planners' map (the same page as /map) to a standalone HTML file, or with
    --print as a poster: HTML, or PDF/PNG when --out ends so (printed by Chromium)."""
    from geoapi.auth.principal import SYSTEM
    from geoapi.catalog.load import load_layers
    from geoapi.catalog.registry import LayerRegistry
    from geoapi.errors import GeoApiError, InvalidParameter
    from geoapi.map import assets, basemaps, page, poster
    from geoapi.map.filters import map_filters

    settings = Settings()
    engine = _engine()
    layers = LayerRegistry(load_layers(settings.layers_dir)).bind(engine)
    try:
        if problems not in ("open", "found"):
            raise InvalidParameter(f"problems: {problems!r} is neither open nor found")
        filters = map_filters(
            area,
            category,
            issue_type,
            source,
            status,
            since,
            until,
            unit,
            "found" if problems == "found" else "open",
        )
        chosen = basemaps.choose(settings, basemap)
        with engine.connect() as connection, console.status("building the map"):
            built = page.build(
                connection,
                layers,
                filters,
                SYSTEM,
                chosen,
                settings,
                paper=paper,
                base_url=base_url.rstrip("/") if base_url else None,
            )
    except GeoApiError as exc:
        err.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(2) from exc
    standalone = assets.inline(assets.localize(built.html), settings.web_assets_dir)
    if out.suffix.lower() in (".pdf", ".png"):
        if not paper:
            err.print("[red]--out .pdf or .png needs --print a4|a3|a2|a1[/]")
            raise typer.Exit(2)
        with console.status(f"printing the {paper.upper()} poster"):
            poster.render(standalone, paper, out)
    else:
        out.write_text(standalone, "utf-8")
    console.print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): {', '.join(built.layers)}")


@app.command("bulletin")
def bulletin_command(
    week: Annotated[str, typer.Option(help="ISO week, e.g. 2026-W47")],
    out: Annotated[Path, typer.Option(help="HTML file to write (charts and map inside)")],
) -> None:
    """Write the weekly bulletin (周通报) of `week` to a self-contained HTML file."""
    from geoapi.errors import GeoApiError
    from geoapi.stats import bulletin

    settings = Settings()
    try:
        with _engine().connect() as connection, console.status(f"building the {week} bulletin"):
            html = bulletin.build(connection, week, settings)
    except GeoApiError as exc:
        err.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(2) from exc
    out.write_text(html, "utf-8")
    console.print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


@routes_app.command("plan")
def routes_plan_command(
    team: Annotated[list[str], typer.Option(help="Team code (repeat for several teams)")],
    day: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Day to plan")],
    out: Annotated[Path, typer.Option(help="Route sheet to write (HTML; one per team: -T01…)")],
    mode: Annotated[str, typer.Option(help="walk, ebike or car")] = "ebike",
    shift_start: Annotated[str, typer.Option(help="HH:MM, local time")] = "08:30",
    shift_end: Annotated[str, typer.Option(help="HH:MM, local time")] = "17:30",
    max_stops: Annotated[int, typer.Option(help="Stops per team at most")] = 30,
) -> None:
    """Plan and store the day of one or more teams and write their printable route sheets."""
    import json

    from pydantic import ValidationError

    from geoapi.auth.principal import Principal
    from geoapi.errors import GeoApiError
    from geoapi.inspections.checklists import load_checklists
    from geoapi.patrol.plan import plan_day
    from geoapi.patrol.schemas import PlanRequest
    from geoapi.patrol.sheet import route_sheet
    from geoapi.patrol.stored import route_document, route_legs

    settings = Settings()
    checklists = load_checklists(settings.checklists_dir)
    try:
        body = PlanRequest(
            teams=team,
            date=day.date(),
            mode=mode,
            shift_start=shift_start,
            shift_end=shift_end,
            max_stops=max_stops,
        )
        with _engine().begin() as connection, console.status("planning"):
            ids, unassigned = plan_day(
                connection,
                body,
                Principal("cli", "admin"),
                checklists,
                settings.zone,
                settings.route_service_minutes,
                settings.route_detour_factor,
            )
            sheets = [
                route_sheet(
                    route_document(connection, i, settings.timezone),
                    json.loads(route_legs(connection, i)),
                    checklists,
                    settings.zone,
                    settings.photos_dir,
                )
                for i in ids
            ]
    except ValidationError as exc:
        err.print(f"[red]{exc.errors()[0]['msg']}[/]")
        raise typer.Exit(2) from exc
    except GeoApiError as exc:
        err.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(2) from exc
    for code, route_id, html in zip(team, ids, sheets, strict=True):
        path = out if len(ids) == 1 else out.with_name(f"{out.stem}-{code}{out.suffix}")
        path.write_text(html, "utf-8")
        console.print(f"route {route_id} of {code}: wrote {path}")
    if unassigned:
        console.print(f"{len(unassigned)} stop(s) fit no shift (see the sheet's last section)")


@app.command("escalate")
def escalate_command() -> None:
    """Issue reminder/supervision cards for late problems (once per interval; run from cron)."""
    from geoapi.auth.principal import SYSTEM
    from geoapi.notices import service

    with _engine().begin() as connection:
        cards = service.escalate(connection, Settings(), SYSTEM, datetime.now(UTC))
    levels = [c.level for c in cards]
    console.print(
        f"{levels.count('reminder')} reminder and {levels.count('supervision')} supervision cards"
    )


@open311_app.command("webhook")
def open311_webhook(
    username: Annotated[str, typer.Argument(help="The app's user (role public)")],
    url: Annotated[str | None, typer.Argument(help="Where to post status changes")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Stop posting to the app")] = False,
) -> None:
    """Post each status change of the app's reports to URL, signed with a new secret."""
    from geoapi.errors import GeoApiError
    from geoapi.open311 import webhooks

    if (url is None) == (not remove):
        err.print("[red]give a URL, or --remove[/]")
        raise typer.Exit(2)
    try:
        with _engine().begin() as connection:
            if remove:
                webhooks.remove(connection, username)
                console.print(f"{username}: webhook removed")
                return
            assert url is not None
            secret = webhooks.register(connection, username, url)
    except GeoApiError as exc:
        err.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(2) from exc
    console.print(f"{username}: posting status changes to {url}")
    console.print(f"signing secret (X-Geoapi-Signature: sha256=HMAC of the body): {secret}")


@open311_app.command("deliver")
def open311_deliver(
    every: Annotated[
        float | None, typer.Option(help="Keep running, delivering every this many seconds")
    ] = None,
) -> None:
    """Post the queued status changes to the apps' webhooks (once, or every N seconds)."""
    from time import sleep

    from geoapi.open311 import webhooks

    engine, settings = _engine(), Settings()
    while True:
        done = webhooks.deliver(
            engine.begin, settings, lambda: datetime.now(UTC), webhooks.http_post
        )
        for error in done.errors:
            err.print(f"[yellow]{error}[/]")
        console.print(
            f"{done.delivered} delivered, {done.retrying} to retry, {done.failed} given up"
        )
        if every is None:
            return
        sleep(every)


@qgis_app.command("project")
def qgis_project(
    out: Annotated[Path, typer.Option(help="The .qgs file to write")] = Path("geoapi.qgs"),
    url: Annotated[
        str, typer.Option(help="The service as QGIS reaches it")
    ] = "http://127.0.0.1:8000",
    authcfg: Annotated[
        str | None,
        typer.Option(help="Id of the QGIS authentication configuration that sends the key"),
    ] = "geoapi1",
) -> None:
    """A QGIS project with every collection of the service, styled as the map page."""
    from geoapi.catalog import qgis
    from geoapi.catalog.load import load_layers
    from geoapi.catalog.registry import LayerRegistry

    settings = Settings()
    engine = _engine()
    layers = LayerRegistry(load_layers(settings.layers_dir)).bind(engine)
    with engine.connect() as connection:
        project = qgis.project(connection, layers, url, authcfg or None)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(project)
    console.print(f"wrote {out}: {len(layers)} layers of {url}")
