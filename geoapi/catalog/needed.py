"""The layers the code itself reads, and the properties it uses of each: checked when the
service starts, so renaming or trimming a `layers/*.yaml` the code depends on stops start-up
with a message naming it, instead of a 500 at the first request."""

from dataclasses import dataclass

from geoapi.catalog.load import CatalogError
from geoapi.catalog.model import LayerDef
from geoapi.vocabulary import AREA_ID_COLUMNS


@dataclass(frozen=True)
class NeededLayer:
    """A layer id, who needs it, and the properties they read or filter on."""

    id: str
    used_by: str
    properties: tuple[str, ...]


ISSUES = NeededLayer(
    "issues",
    "GET /issues",
    ("type", "severity", "source", "status", "unit_code", "point_id", "deadline", "reported_at")
    + AREA_ID_COLUMNS,
)
POINTS = NeededLayer("points", "GET /points/{code}, /map", ("category", "status"))
OPEN_ISSUES = NeededLayer("open_issues", "/map (heat map weight)", ("status", "severity"))
OVERDUE_ISSUES = NeededLayer("overdue_issues", "/map (overdue layer)", ("deadline",))
NEEDED = (ISSUES, POINTS, OPEN_ISSUES, OVERDUE_ISSUES)


def check_needed(definitions: dict[str, LayerDef]) -> None:
    """CatalogError naming every needed layer that is missing or lacks a property."""
    problems = []
    for needed in NEEDED:
        layer = definitions.get(needed.id)
        if layer is None:
            problems.append(f"layer {needed.id!r} is missing (used by {needed.used_by})")
            continue
        lacking = [p for p in needed.properties if p not in layer.properties]
        if lacking:
            problems.append(
                f"layer {needed.id!r} lacks properties {', '.join(lacking)} "
                f"(used by {needed.used_by})"
            )
    if problems:
        raise CatalogError("; ".join(problems))
