"""`geoapi units|teams|categories|types list|put`: the reference rows from the command line,
through the same checks as the API."""

from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from geoapi.db.engine import make_engine
from geoapi.errors import GeoApiError
from geoapi.reference import service
from geoapi.reference.schemas import CategoryBody, IssueTypeBody, TeamBody, UnitBody
from geoapi.settings import Settings

console = Console()
err = Console(stderr=True)
units_app = typer.Typer(help="Responsible units (责任单位).", no_args_is_help=True)
teams_app = typer.Typer(
    help="Inspection teams (督导组), their areas and bases.", no_args_is_help=True
)
categories_app = typer.Typer(
    help="Point categories and the problems found at them.", no_args_is_help=True
)
types_app = typer.Typer(
    help="Problem types: periods, default units, categories.", no_args_is_help=True
)
APPS = {"units": units_app, "teams": teams_app, "categories": categories_app, "types": types_app}


def _show(kind: str) -> None:
    with make_engine(Settings()).connect() as connection:
        rows = service.list_rows(connection, kind)
    columns = list(rows[0]) if rows else ["code"]
    table = Table(*columns)
    for row in rows:
        table.add_row(*(_cell(row[c]) for c in columns))
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _put(kind: str, code: str, model: type[BaseModel], values: dict[str, Any]) -> None:
    try:
        body = model(**values)
        with make_engine(Settings()).begin() as connection:
            row, created = service.put_row(connection, kind, code, body)
    except ValidationError as exc:
        first = exc.errors()[0]
        err.print(f"[red]{'.'.join(map(str, first['loc']))}: {first['msg']}[/]")
        raise typer.Exit(2) from exc
    except GeoApiError as exc:
        err.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(2) from exc
    console.print(f"{service.SINGULAR[kind]} [bold]{code}[/] {'created' if created else 'updated'}")


@units_app.command("list")
def units_list() -> None:
    """Every unit, by code."""
    _show("units")


@units_app.command("put")
def units_put(
    code: Annotated[str, typer.Argument(help="e.g. market_reg")],
    name: Annotated[str, typer.Option(help="e.g. 区市场监督管理局")],
) -> None:
    """Create a unit or rename it."""
    _put("units", code, UnitBody, {"name": name})


@teams_app.command("list")
def teams_list() -> None:
    """Every team with its area and base."""
    _show("teams")


@teams_app.command("put")
def teams_put(
    code: Annotated[str, typer.Argument(help="e.g. T10")],
    name: Annotated[str, typer.Option(help="e.g. 东风街道督导组")],
    area: Annotated[str | None, typer.Option(help="Area code it covers (any level)")] = None,
    base: Annotated[str | None, typer.Option(help="lon,lat where its routes start")] = None,
) -> None:
    """Create a team or change it."""
    where = tuple(float(v) for v in base.split(",")) if base else None
    _put("teams", code, TeamBody, {"name": name, "area": area, "base": where})


@categories_app.command("list")
def categories_list() -> None:
    """Every point category and the problem types found at it."""
    _show("categories")


@categories_app.command("put")
def categories_put(
    code: Annotated[str, typer.Argument(help="e.g. night_market")],
    name_zh: Annotated[str, typer.Option(help="e.g. 夜市")],
    name_en: Annotated[str, typer.Option(help="e.g. Night market")],
    issue_type: Annotated[
        list[str] | None, typer.Option("--type", help="A problem type found there (repeat)")
    ] = None,
) -> None:
    """Create a category or change it (its types replace the ones linked before)."""
    values = {"name_zh": name_zh, "name_en": name_en, "issue_types": issue_type or []}
    _put("categories", code, CategoryBody, values)


@types_app.command("list")
def types_list() -> None:
    """Every problem type with its period, default unit and categories."""
    _show("issue_types")


@types_app.command("put")
def types_put(
    code: Annotated[str, typer.Argument(help="e.g. noise")],
    name_zh: Annotated[str, typer.Option(help="e.g. 噪声扰民")],
    name_en: Annotated[str, typer.Option(help="e.g. Noise")],
    days: Annotated[int, typer.Option(help="Days to rectify by default")],
    default_unit: Annotated[
        str | None, typer.Option(help="Unit dispatched to when the point has none")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option(help="A category where it is found (repeat)")
    ] = None,
    after_photo: Annotated[
        bool, typer.Option(help="Rectifying needs an after photo or video")
    ] = True,
) -> None:
    """Create a problem type or change it (its categories replace the ones linked before)."""
    values = {
        "name_zh": name_zh,
        "name_en": name_en,
        "default_deadline_days": days,
        "default_unit": default_unit,
        "categories": category or [],
        "after_photo_required": after_photo,
    }
    _put("issue_types", code, IssueTypeBody, values)
