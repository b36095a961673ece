"""QGIS styles served per collection, from the catalog's palettes and the reference tables."""

from xml.etree import ElementTree

from sqlalchemy import text


def style(client, collection: str, **params) -> ElementTree.Element:
    response = client.get(f"/collections/{collection}/styles/qgis", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["content-disposition"].endswith('.qml"')
    root = ElementTree.fromstring(response.content)
    assert root.tag == "qgis"
    return root.find("renderer-v2")


def colours(renderer: ElementTree.Element) -> dict[str, str]:
    """Category value → the fill colour of its symbol, as #rrggbb."""
    symbols = {s.get("name"): s for s in renderer.iter("symbol")}
    found = {}
    for category in renderer.iter("category"):
        option = next(
            o for o in symbols[category.get("symbol")].iter("Option") if o.get("name") == "color"
        )
        r, g, b, _ = (int(x) for x in option.get("value").split(","))
        found[category.get("value")] = f"#{r:02x}{g:02x}{b:02x}"
    return found


def test_points_are_styled_by_status_with_the_map_pages_colours(client, city):
    renderer = style(client, "points")
    assert (renderer.get("type"), renderer.get("attr")) == ("categorizedSymbol", "status")
    assert colours(renderer) == {
        "compliant": "#2e7d32",
        "non_compliant": "#c62828",
        "unchecked": "#9e9e9e",
    }
    labels = {c.get("value"): c.get("label") for c in renderer.iter("category")}
    assert labels["compliant"] == "达标 compliant"
    assert {s.get("type") for s in renderer.iter("symbol")} == {"marker"}


def test_problems_by_type_list_every_type_by_name(client, connection, city):
    renderer = style(client, "issues", by="type")
    types = dict(connection.execute(text("SELECT code, name_zh FROM issue_types")).all())
    labels = {c.get("value"): c.get("label") for c in renderer.iter("category")}
    assert labels == {code: f"{name} {code}" for code, name in types.items()}
    assert len(set(colours(renderer).values())) == len(types)  # each its own colour


def test_streets_by_closure_rate_in_five_classes_over_the_data(client, connection, city):
    renderer = style(client, "compliance_by_street", by="closure_rate")
    assert (renderer.get("type"), renderer.get("attr")) == ("graduatedSymbol", "closure_rate")
    ranges = [(float(r.get("lower")), float(r.get("upper"))) for r in renderer.iter("range")]
    low, high = connection.execute(
        text("SELECT min(closure_rate), max(closure_rate) FROM street_compliance")
    ).one()
    assert len(ranges) == 5 and ranges[0][0] == round(low, 4) and ranges[-1][1] == round(high, 4)
    assert {s.get("type") for s in renderer.iter("symbol")} == {"fill"}


def test_a_style_by_an_unknown_property_is_400(client, city):
    response = client.get("/collections/points/styles/qgis", params={"by": "height"})
    assert response.status_code == 400 and "not a property of 'points'" in response.text
