"""The schema of one `layers/*.yaml` file: frozen, strict, checked at start-up."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from geoapi.issues import states

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class Strict(BaseModel):
    """Frozen, and unknown keys are errors (a typo must not pass silently)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Strict):
    """Where a layer's rows come from: a table or view, plus a fixed SQL filter."""

    table: Annotated[str, Field(pattern=r"^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$")]
    # Trusted SQL from the repository, never from a request; `{open}`, `{overdue}`… name the
    # rules of a problem's states (geoapi.issues.states.LAYER_RULES), spelled out here.
    filter: str | None = None
    id_column: Identifier = "id"
    geometry_column: Identifier = "geom"
    datetime_column: Identifier | None = None
    srid: int = 4326

    @field_validator("filter")
    @classmethod
    def _spell_out_rules(cls, sql: str | None) -> str | None:
        if sql is None:
            return None
        try:
            return sql.format_map(states.LAYER_RULES)
        except (KeyError, IndexError, ValueError) as exc:
            known = ", ".join(f"{{{name}}}" for name in states.LAYER_RULES)
            raise ValueError(f"filter: unknown rule {exc}; known: {known}") from exc


class Style(Strict):
    """Default map style: colour features by a property, with a palette per value
    (`palette: problem_states`: the colours of a problem's states, from their module)."""

    color_by: Identifier | None = None
    palette: dict[str, Color] = {}
    default_color: Color = "#3388ff"

    @field_validator("palette", mode="before")
    @classmethod
    def _named_palette(cls, value: object) -> object:
        if value == "problem_states":
            return {str(status): colour for status, colour in states.COLOURS.items()}
        return value


class Heatmap(Strict):
    """Heat-map weight: a SQL expression over the layer's columns (trusted, from the repo)."""

    weight: str = "1"
    radius: Annotated[int, Field(ge=1, le=100)] = 18
    meaning: str = ""  # what the weight means, under the heat scale in the map's legend


class LayerDef(Strict):
    """One published layer: an OGC API collection, its vector tiles, and a map layer."""

    id: Identifier
    title: str
    description: str = ""
    source: Source
    properties: Annotated[list[Identifier], Field(min_length=1)]
    queryables: list[Identifier] | None = None  # default: every property
    default_sort: list[str] = []
    style: Style = Style()
    popup: list[Identifier] = []
    tile_properties: list[Identifier] | None = None  # default: colour property + popup fields
    heatmap: Heatmap | None = None
    min_zoom: Annotated[int, Field(ge=0, le=24)] = 0
    max_zoom: Annotated[int, Field(ge=0, le=24)] = 22
    map: Literal["markers", "heatmap", "polygons", "none"] = "markers"
    legend: str | None = None  # the layer's name on the map (Chinese first); default: title
    aggregate_above: Annotated[int, Field(ge=1)] | None = None  # more: cells (default: setting)
    public: bool = False  # readable without an API key (settings may override)

    @model_validator(mode="after")
    def _consistent(self) -> "LayerDef":
        named = set(self.queryables or []) | set(self.popup) | set(self.tile_properties or [])
        named |= {s.lstrip("+-") for s in self.default_sort}
        named |= {self.style.color_by} if self.style.color_by else set()
        unknown = named - set(self.properties)
        if unknown:
            raise ValueError(f"not among the layer's properties: {', '.join(sorted(unknown))}")
        if self.min_zoom > self.max_zoom:
            raise ValueError(f"min_zoom {self.min_zoom} is above max_zoom {self.max_zoom}")
        return self

    @property
    def map_name(self) -> str:
        """What the map's layer list and legend call the layer."""
        return self.legend or self.title

    def marker_limit(self, default: int) -> int:
        """Above this many features in view the map draws cells instead of markers."""
        return self.aggregate_above or default

    @property
    def tile_property_names(self) -> list[str]:
        """Properties carried in vector tiles: what a map draws and pops up, kept small."""
        if self.tile_properties is not None:
            return list(self.tile_properties)
        wanted = [self.style.color_by, *self.popup] if self.style.color_by else self.popup
        return list(dict.fromkeys(wanted)) or list(self.properties)

    @property
    def queryable_names(self) -> list[str]:
        """Properties a request may filter and sort on."""
        return list(self.queryables if self.queryables is not None else self.properties)
