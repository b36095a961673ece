"""Reading data files of the repository (layers, checklists) into validated models."""

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class DataFileError(Exception):
    """A data file cannot be used; the message names file, field and problem."""


def load_model(path: Path, model: type[M]) -> M:
    """`path` parsed as YAML and validated as `model`, or DataFileError saying what is wrong."""
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise DataFileError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()
        )
        raise DataFileError(f"{path}: {problems}") from exc
