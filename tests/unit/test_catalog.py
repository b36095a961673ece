from pathlib import Path

import pytest

from geoapi.app import create_app
from geoapi.catalog.load import CatalogError, load_layers
from geoapi.settings import Settings

LAYERS = Path(__file__).parents[2] / "layers"
MINIMAL = "id: {id}\ntitle: T\nsource: {{table: points}}\nproperties: [code, name]\n"


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, "utf-8")


def test_shipped_layers_load():
    layers = load_layers(LAYERS)
    assert {
        "points",
        "issues",
        "open_issues",
        "overdue_issues",
        "areas",
        "compliance_by_street",
    } <= set(layers)
    assert layers["open_issues"].heatmap is not None


def test_adding_a_layer_is_adding_a_file(tmp_path):
    write(tmp_path, "a.yaml", MINIMAL.format(id="markets"))
    assert list(load_layers(tmp_path)) == ["markets"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id: Bad-Id\ntitle: T\nsource: {table: points}\nproperties: [code]\n",
            "id: String should match",
        ),
        (MINIMAL.format(id="x") + "colour: red\n", "colour: Extra inputs are not permitted"),
        (
            MINIMAL.format(id="x") + "popup: [address]\n",
            "not among the layer's properties: address",
        ),
        (MINIMAL.format(id="x") + "min_zoom: 15\nmax_zoom: 10\n", "min_zoom 15 is above max_zoom"),
        ("id: x\ntitle: T\nproperties: [code]\n", "source: Field required"),
        ("id: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_files_name_file_field_and_problem(tmp_path, text, message):
    write(tmp_path, "broken.yaml", text)
    with pytest.raises(CatalogError) as caught:
        load_layers(tmp_path)
    assert "broken.yaml" in str(caught.value)
    assert message in str(caught.value)


def test_duplicate_ids_are_refused(tmp_path):
    write(tmp_path, "a.yaml", MINIMAL.format(id="same"))
    write(tmp_path, "b.yaml", MINIMAL.format(id="same"))
    with pytest.raises(CatalogError, match="b.yaml: id 'same' is already used by .*a.yaml"):
        load_layers(tmp_path)


def test_empty_or_missing_directory_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="no layers"):
        load_layers(tmp_path)
    with pytest.raises(CatalogError, match="does not exist"):
        load_layers(tmp_path / "nope")


def shipped_copy(tmp_path: Path) -> Path:
    for path in LAYERS.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text("utf-8"), "utf-8")
    return tmp_path


def test_the_service_refuses_to_start_without_a_layer_it_reads(tmp_path):
    layers = shipped_copy(tmp_path)
    (layers / "open_issues.yaml").rename(layers / "open_problems.yaml.bak")
    with pytest.raises(CatalogError, match=r"layer 'open_issues' is missing \(used by /map"):
        create_app(Settings(layers_dir=layers))


def test_the_service_refuses_to_start_when_a_layer_it_reads_lacks_a_property(tmp_path):
    layers = shipped_copy(tmp_path)
    path = layers / "issues.yaml"
    path.write_text(path.read_text("utf-8").replace("unit_code, ", ""), "utf-8")
    with pytest.raises(CatalogError, match="layer 'issues' lacks properties unit_code"):
        create_app(Settings(layers_dir=layers))


def test_a_layer_filter_names_only_known_rules(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: bad\ntitle: Bad\nsource: {table: issues, filter: '{closed_ones}'}\n"
        "properties: [status]\n",
        "utf-8",
    )
    with pytest.raises(CatalogError, match=r"unknown rule 'closed_ones'; known: \{open\}"):
        load_layers(tmp_path)
