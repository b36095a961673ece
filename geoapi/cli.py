"""Command line: `geoapi db|demo|import|export|serve`. Each command calls a feature's service."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from geoapi.db import migrate
from geoapi.db.engine import make_engine
from geoapi.settings import Settings

app = typer.Typer(
    help="geoapi: inspection points and problems for civilized-city campaigns.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema migrations (Alembic).", no_args_is_help=True)
demo_app = typer.Typer(help="The deterministic demo city.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")

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


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Migrate the database down (default: one revision; `base` removes every table)."""
    engine = _engine()
    migrate.downgrade(engine, revision)
    console.print(f"database at revision [bold]{migrate.current(engine) or 'base'}[/]")


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

    end_day = as_of.date() if as_of else date.today()
    end = datetime.combine(end_day, time(20, 0), CHINA_STANDARD_TIME).astimezone(UTC)
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
            plan = load.plan(generate(scale, seed, end))
        if replace:
            load.clear(connection)
        with progress() as bar:
            task = bar.add_task("loading", total=plan.total_rows)
            counts = load.load(connection, plan, lambda n: bar.advance(task, n))
    _print_counts(counts)


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
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        "geoapi.app:create_app",
        factory=True,
        reload=reload,
        host=host or settings.host,
        port=port or settings.port,
    )
