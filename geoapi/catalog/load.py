"""Read and validate every `layers/*.yaml`; a bad file stops start-up with file, field, problem."""

from pathlib import Path

from geoapi.catalog.model import LayerDef
from geoapi.yamlfiles import DataFileError, load_model


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
        return load_model(path, LayerDef)
    except DataFileError as exc:
        raise CatalogError(str(exc)) from exc
