"""Read and validate every `layers/*.yaml`; a bad file stops start-up with file, field, problem."""

from pathlib import Path

import yaml
from pydantic import ValidationError

from geoapi.catalog.model import LayerDef


class CatalogError(Exception):
    """The layer catalog cannot be used; the message names file, field and problem."""


def load_layers(directory: Path) -> dict[str, LayerDef]:
    """All layer definitions of `directory`, by id, in file-name order."""
    if not directory.is_dir():
        raise CatalogError(f"layers directory {directory} does not exist")
    layers: dict[str, LayerDef] = {}
    origin: dict[str, Path] = {}
    for path in sorted(directory.glob("*.yaml")):
        layer = _load_one(path)
        if layer.id in layers:
            raise CatalogError(f"{path}: id {layer.id!r} is already used by {origin[layer.id]}")
        layers[layer.id], origin[layer.id] = layer, path
    if not layers:
        raise CatalogError(f"no layers (*.yaml) in {directory}")
    return layers


def _load_one(path: Path) -> LayerDef:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return LayerDef.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()
        )
        raise CatalogError(f"{path}: {problems}") from exc
