"""/map and /aggregates at the HTML and data level (the browser test is test_map_browser.py)."""

import json
import re

import numpy as np
import pytest
from sqlalchemy import text

from geoapi.auth import lookup
from geoapi.chinacoords import wgs84_to_gcj02
from geoapi.issues.states import open_sql, overdue_sql
from geoapi.map import assets
from tests.conftest import app_on
from tests.integration.test_roles import as_


@pytest.fixture
def map_client(settings, session, admin_key):
    from fastapi.testclient import TestClient

    app = app_on(settings.model_copy(update={"map_basemap": "blank"}), session)
    with TestClient(app, headers=as_(admin_key)) as client:
        yield client


def shown(label: str, html: str) -> bool:
    """The label appears as text, or as the layer control's JSON-escaped name."""
    return label in html or json.dumps(label) in html


def remote_assets(html: str) -> set[str]:
    return set(re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', html))


def test_the_map_has_every_layer_and_only_local_assets(map_client, city, connection):
    response = map_client.get("/map")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    open_count = connection.scalar(
        text(
            "SELECT count(*) FROM issues WHERE status IN "
            "('reported', 'dispatched', 'rectifying', 'rectified')"
        )
    )
    assert shown(f"热力图 未结问题 open problems ({open_count:,})", html)
    assert shown("街道 streets 分级 choropleth", html) and shown("网格 grids 分级 choropleth", html)
    assert shown("每周新发 reported per week", html)
    assert re.search(r'"\\u8d85\\u671f\\u95ee\\u9898 overdue \(\d+\)"', html)  # 超期问题
    markets = connection.scalar(text("SELECT count(*) FROM points WHERE category = 'market'"))
    assert shown(f"集贸市场/农贸市场 ({markets:,})", html)  # a layer per category
    assert "筛选 filter: all" in html and "数据截至 data as of" in html
    assert remote_assets(html) == set()
    for local in assets.CDN_TO_LOCAL.values():
        if local in html:
            assert map_client.get(local).status_code == 200, local


def test_filters_narrow_the_map_and_show_in_the_title(map_client, city, connection):
    street = connection.execute(
        text("SELECT code, name FROM areas WHERE level = 'street' ORDER BY code LIMIT 1")
    ).one()
    html = map_client.get(
        "/map",
        params={
            "area": street.code,
            "category": "market",
            "type": "street_vending",
            "status": "dispatched",
        },
    ).text
    assert street.name in html and "category=market" in html and "type=street_vending" in html
    wanted = connection.scalar(
        text(
            "SELECT count(*) FROM issues i JOIN areas a ON a.id = i.street_id "
            "JOIN points p ON p.id = i.point_id AND p.category = 'market' "
            "WHERE a.code = :s AND i.type = 'street_vending' AND i.status = 'dispatched'"
        ),
        {"s": street.code},
    )
    assert shown(f"热力图 未结问题 open problems ({wanted:,})", html)
    assert not shown("背街小巷", html.split("map-title")[0])  # only the market layer


def test_a_category_filter_means_the_same_on_every_layer(map_client, city, connection):
    category = connection.scalar(  # the category with the most overdue problems
        text(
            "SELECT p.category FROM issues i JOIN points p ON p.id = i.point_id "
            f"WHERE {overdue_sql('i')} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
    )
    html = map_client.get("/map", params={"category": category}).text
    at = "FROM issues i JOIN points p ON p.id = i.point_id AND p.category = :c WHERE"
    values = {"c": category}
    open_ = connection.scalar(text(f"SELECT count(*) {at} {open_sql('i')}"), values)
    overdue = connection.scalar(text(f"SELECT count(*) {at} {overdue_sql('i')}"), values)
    everywhere = connection.scalar(text(f"SELECT count(*) FROM issues i WHERE {open_sql('i')}"))
    assert 0 < overdue <= open_ < everywhere
    assert shown(f"热力图 未结问题 open problems ({open_:,})", html)
    assert shown(f"超期问题 overdue ({overdue:,})", html)


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"area": "NOPE"}, "no area with code 'NOPE'"),
        ({"category": "zoo"}, "category: unknown ['zoo']"),
        ({"status": "done"}, "status: unknown ['done']"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-10", "until": "2026-11-01"}, "is after until"),
        ({"basemap": "google"}, "basemap: 'google' not offered"),
    ],
)
def test_bad_filters_are_400_not_a_broken_page(map_client, city, params, needle):
    response = map_client.get("/map", params=params)
    assert response.status_code == 400 and needle in response.json()["detail"]


def test_amap_shifts_overlays_to_gcj02(map_client, settings, session, city):
    plain = map_client.get("/map").text
    shifted = map_client.get("/map", params={"basemap": "amap"}).text
    assert "autonavi.com" in shifted and "高德地图" in shifted.split("map-title")[1]
    lat_lon = re.compile(r"heatLayer\(\s*\[\[([\d.]+), ([\d.]+)")
    first_plain = [float(v) for v in lat_lon.search(plain).groups()]
    first_shifted = [float(v) for v in lat_lon.search(shifted).groups()]
    lon, lat = wgs84_to_gcj02(np.array([first_plain[1]]), np.array([first_plain[0]]))
    assert first_shifted == pytest.approx([lat[0], lon[0]], abs=2e-5)
    assert abs(first_shifted[1] - first_plain[1]) > 0.001  # moved by hundreds of metres


def test_an_intranet_basemap_without_an_attribution_draws(settings, session, admin_key, city):
    """`map_tile_url` alone (no attribution set) offers the intranet basemap."""
    from fastapi.testclient import TestClient

    intranet = {"map_tile_url": "http://tiles.intranet/{z}/{x}/{y}.png", "map_basemap": "custom"}
    with TestClient(
        app_on(settings.model_copy(update=intranet), session), headers=as_(admin_key)
    ) as client:
        page = client.get("/map")
    assert page.status_code == 200 and "http://tiles.intranet/{z}/{x}/{y}.png" in page.text


def test_the_map_needs_a_key_unless_published(anonymous, settings, session, city):
    from fastapi.testclient import TestClient

    assert anonymous.get("/map").status_code == 401
    app = app_on(settings.model_copy(update={"map_public": True, "map_basemap": "blank"}), session)
    with TestClient(app) as wall:
        assert wall.get("/map").status_code == 200


def test_above_the_thresholds_the_map_aggregates(settings, session, admin_key, city):
    from fastapi.testclient import TestClient

    small = {"map_basemap": "blank", "map_marker_limit": 10, "map_heat_limit": 10}
    with TestClient(
        app_on(settings.model_copy(update=small), session), headers=as_(admin_key)
    ) as client:
        html = client.get("/map").text
    assert "\\u805a\\u5408 aggregated" in html  # 聚合


def test_aggregate_cells_count_every_open_problem_once(map_client, city, connection):
    response = map_client.get("/aggregates/open-issues", params={"cell": "hex", "size": 400})
    assert response.status_code == 200
    cells = response.json()["features"]
    open_count = connection.scalar(
        text(
            "SELECT count(*) FROM issues WHERE status IN "
            "('reported', 'dispatched', 'rectifying', 'rectified')"
        )
    )
    assert sum(c["properties"]["count"] for c in cells) == open_count
    assert all(
        c["geometry"]["type"] == "Polygon" and len(c["geometry"]["coordinates"][0]) == 7
        for c in cells
    )
    by_status = map_client.get(
        "/aggregates/open-issues", params={"cell": "square", "size": 1000, "by": "status"}
    ).json()
    statuses = {c["properties"]["status"] for c in by_status["features"]}
    assert statuses <= {"reported", "dispatched", "rectifying", "rectified"}
    assert sum(c["properties"]["count"] for c in by_status["features"]) == open_count
    assert map_client.get("/aggregates/open-issues", params={"size": 1}).status_code == 400


@pytest.mark.parametrize(("cell", "grid"), [("hex", "ST_HexagonGrid"), ("square", "ST_SquareGrid")])
def test_each_problem_is_counted_in_the_cell_postgis_grids_put_it_in(
    map_client, city, connection, cell, grid
):
    """The cells are worked out by arithmetic; PostGIS's own grid, joined, must agree."""
    features = map_client.get("/aggregates/open-issues", params={"cell": cell, "size": 300}).json()[
        "features"
    ]
    counted = {
        (f["properties"]["i"], f["properties"]["j"]): f["properties"]["count"] for f in features
    }
    expected = connection.execute(
        text(
            f"""
            WITH o AS (SELECT id, ST_Transform(geom, 3857) AS m FROM issues
                        WHERE status IN ('reported', 'dispatched', 'rectifying', 'rectified')),
                 e AS (SELECT ST_SetSRID(ST_Extent(m)::geometry, 3857) AS b FROM o),
                 g AS (SELECT c.* FROM e, {grid}(300, e.b) c)
            SELECT i, j, count(*) FROM (SELECT DISTINCT ON (o.id) g.i, g.j FROM o
                                          JOIN g ON ST_Intersects(g.geom, o.m)
                                         ORDER BY o.id, g.i, g.j) t GROUP BY 1, 2
            """
        )
    ).all()
    assert counted == {(i, j): n for i, j, n in expected}
    assert len(counted) > 10


def test_the_page_has_a_title_a_metric_scale_and_local_time(map_client, city):
    html = map_client.get("/map").text
    assert "<title>创城问题地图 · " in html
    assert "L.control.scale({imperial: false})" in html and "L.control.scale()" not in html
    title = html.split('id="map-title"')[1].split("</div>")[0]
    assert "数据截至 data as of" in title and "UTC" not in title


def test_overdue_clusters_wear_the_layers_red_not_the_default_green(map_client, city):
    html = map_client.get("/map").text
    assert "overdue-cluster" in html and "background:#b71c1c" in html


def test_the_map_opens_on_the_area_asked_for_or_the_inspectors_own(map_client, city, connection):
    street = connection.execute(
        text(
            "SELECT code, name, ST_YMin(geom) AS s, ST_XMin(geom) AS w, ST_YMax(geom) AS n, "
            "ST_XMax(geom) AS e FROM areas WHERE level = 'street' ORDER BY code DESC LIMIT 1"
        )
    ).one()
    fitted = re.compile(r"fitBounds\(\s*\[\[([\d.]+),\s*([\d.]+)\],\s*\[([\d.]+),\s*([\d.]+)\]\]")

    def opens_on(html: str) -> list[float]:
        return [float(v) for v in fitted.search(html).groups()]

    asked = map_client.get("/map", params={"area": street.code}).text
    assert opens_on(asked) == pytest.approx([street.s, street.w, street.n, street.e], abs=1e-6)
    key = lookup.add_user(connection, "grid-9", "inspector", area_code=street.code)
    own = map_client.get("/map", headers=as_(key)).text
    assert opens_on(own) == opens_on(asked)
    assert f"创城问题地图 · {street.name}（本人范围 your area）" in own
    whole = map_client.get("/map").text
    assert opens_on(whole) != opens_on(asked) and "全域" in whole


def test_overdue_popups_name_the_type_and_the_unit_in_chinese(map_client, city, connection):
    issue_id, type_code, type_name, unit_code, unit_name = connection.execute(
        text(
            "SELECT i.id, t.code, t.name_zh, u.code, u.name FROM issues i "
            "JOIN issue_types t ON t.code = i.type JOIN units u ON u.code = i.unit_code "
            f"WHERE {overdue_sql('i')} ORDER BY i.deadline LIMIT 1"
        )
    ).one()
    html = map_client.get("/map").text
    at = html.index(str(issue_id))
    row = html[at : html.index("]", at)]  # the rest of this problem's row
    escaped = [json.dumps(v)[1:-1] for v in (type_name, unit_name)]
    assert all(name in row for name in escaped) or all(n in row for n in (type_name, unit_name))
    assert f'"{type_code}"' not in row and f'"{unit_code}"' not in row


def small_limit_client(settings, session, admin_key, limit: int):
    """The map app with a marker limit of `limit` (the test city is small)."""
    from fastapi.testclient import TestClient

    small = {"map_basemap": "blank", "map_marker_limit": limit}
    return TestClient(app_on(settings.model_copy(update=small), session), headers=as_(admin_key))


def test_the_first_view_carries_only_the_layers_it_shows(map_client, city, connection):
    html = map_client.get("/map").text
    market, parking = (
        connection.scalar(text("SELECT code FROM points WHERE category = :c LIMIT 1"), {"c": c})
        for c in ("market", "parking")
    )
    parkings = connection.scalar(text("SELECT count(*) FROM points WHERE category = 'parking'"))
    assert market in html  # markets are shown on the first view: their rows are in the page
    assert parking not in html  # parking waits until switched on …
    assert shown(f"停车泊位 ({parkings:,})", html) or "停车" in html  # … its count is there
    assert "/map/categories/parking/points?" in html  # … and where to fetch it from


def test_a_category_layer_answers_for_the_filters_and_the_view(
    settings, session, admin_key, city, connection
):
    street = connection.scalar(
        text(
            "SELECT a.code FROM points p JOIN areas a ON a.id = p.street_id "
            "WHERE p.category = 'parking' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
    )
    wanted = connection.scalar(
        text(
            "SELECT count(*) FROM points p JOIN areas a ON a.id = p.street_id "
            "WHERE a.code = :s AND p.category = 'parking'"
        ),
        {"s": street},
    )
    with small_limit_client(settings, session, admin_key, 20) as client:
        whole = client.get("/map/categories/parking/points", params={"area": street}).json()
        assert whole["aggregated"] and whole["total"] == wanted > 20
        assert sum(row[2] for row in whole["rows"]) == wanted  # every point in one cell
        # Zoomed in on one point: the view holds few points, so they come as points.
        lon, lat = connection.execute(
            text("SELECT ST_X(geom), ST_Y(geom) FROM points WHERE category = 'parking' LIMIT 1")
        ).one()
        box = f"{lon - 0.0005},{lat - 0.0005},{lon + 0.0005},{lat + 0.0005}"
        near = client.get("/map/categories/parking/points", params={"bbox": box, "zoom": 18}).json()
        inside = connection.scalar(
            text(
                "SELECT count(*) FROM points WHERE category = 'parking' "
                "AND geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
            ),
            dict(zip("wsen", map(float, box.split(",")), strict=True)),
        )
        assert not near["aggregated"] and near["total"] == len(near["rows"]) == inside >= 1
        assert all(
            lon - 0.0005 <= row[1] <= lon + 0.0005 and lat - 0.0005 <= row[0] <= lat + 0.0005
            for row in near["rows"]
        )
        assert client.get("/map/categories/zoo/points").status_code == 404
        assert client.get("/map/categories/parking/points", params={"zoom": 40}).status_code == 400


def test_the_weekly_layer_counts_each_report_of_its_weeks_once(map_client, city, connection):
    weekly = map_client.get("/map/weekly").json()
    assert weekly["weeks"] == sorted(weekly["weeks"]) and len(weekly["weeks"]) >= 2
    newest = weekly["weeks"][-1]
    counted = sum(row[2] for row in weekly["frames"][-1])
    reported = connection.scalar(
        text(
            "SELECT count(*) FROM issues WHERE to_char(reported_at AT TIME ZONE 'Asia/Shanghai', "
            "'IYYY-\"W\"IW') = :w"
        ),
        {"w": newest},
    )
    assert counted == reported > 0


def test_a_map_file_carries_every_layer(settings, connection, city):
    from geoapi.auth.principal import SYSTEM
    from geoapi.catalog.load import load_layers
    from geoapi.catalog.registry import LayerRegistry
    from geoapi.map import basemaps, page
    from geoapi.map.filters import MapFilters

    layers = LayerRegistry(load_layers(settings.layers_dir)).bind(connection.engine)
    chosen = basemaps.choose(settings.model_copy(update={"map_basemap": "blank"}), None)
    built = page.build(connection, layers, MapFilters(), SYSTEM, chosen, settings).html
    parking = connection.scalar(text("SELECT code FROM points WHERE category = 'parking' LIMIT 1"))
    assert parking in built and "/map/categories/" not in built and '"weeks"' in built


def legend_ends(html: str, title: str) -> str:
    """The upper end written under the legend's scale titled `title`."""
    literal = re.search(r"'<summary>图例 legend</summary>' \+ (\".*?[^\\]\");", html).group(1)
    after = json.loads(literal).split(f"<b>{title}</b>")[1]
    return re.search(r'class="ends"><span>0</span><span>([\d.]+)</span>', after).group(1)


@pytest.mark.parametrize("params", [{}, {"category": "market"}, {"type": "street_vending"}])
def test_each_choropleth_legend_spans_its_datas_range(map_client, city, connection, params):
    """The scale ends at the largest rate drawn: open problems (of the filter) per 100 points
    (of the filter's categories), counted here independently."""
    html = map_client.get("/map", params=params).text
    for level, title in (
        ("street", "街道 streets 分级 choropleth"),
        ("grid", "网格 grids 分级 choropleth"),
    ):
        largest = connection.scalar(
            text(
                f"""
                SELECT coalesce(max(round(100.0 * coalesce(o.n, 0) / p.n, 1)), 0)
                  FROM (SELECT {level}_id AS id, count(*) AS n FROM points
                         WHERE CAST(:category AS text) IS NULL OR category = :category
                         GROUP BY 1) p
                  LEFT JOIN (SELECT i.{level}_id AS id, count(*) AS n FROM issues i
                               LEFT JOIN points q ON q.id = i.point_id
                              WHERE {open_sql("i")}
                                AND (CAST(:category AS text) IS NULL OR q.category = :category)
                                AND (CAST(:type AS text) IS NULL OR i.type = :type)
                              GROUP BY 1) o ON o.id = p.id
                 WHERE p.id IS NOT NULL
                """
            ),
            {"category": params.get("category"), "type": params.get("type")},
        )
        assert float(legend_ends(html, title)) == float(largest), (level, params)


def test_a_name_that_looks_like_a_template_is_printed_not_run(map_client, city, connection):
    street = connection.scalar(text("SELECT code FROM areas WHERE level = 'street' LIMIT 1"))
    connection.execute(
        text("UPDATE areas SET name = '{{ 6 * 7 }}街道' WHERE code = :c"), {"c": street}
    )
    connection.execute(  # its communities are labelled on the map by a Leaflet icon's script
        text(
            "UPDATE areas SET name = '{{ 6 * 7 }}社区' WHERE level = 'community' "
            "AND parent_id = (SELECT id FROM areas WHERE code = :c)"
        ),
        {"c": street},
    )
    html = map_client.get("/map", params={"area": street}).text
    assert "<title>创城问题地图 · {{ 6 * 7 }}街道</title>" in html
    label = json.dumps("{{ 6 * 7 }}社区")[1:-1]  # in the icon's script, as JSON
    assert label in html
    assert "42街道" not in html and json.dumps("42社区")[1:-1] not in html


def test_the_wall_print_lays_out_the_sheet_and_ranks_the_streets(map_client, city, connection):
    html = map_client.get("/map", params={"print": "a1"}).text
    assert "@page { size: 841mm 594mm; margin: 0; }" in html
    ranked = connection.scalars(
        text(
            f"SELECT a.name FROM areas a JOIN issues i ON i.street_id = a.id "
            f"WHERE a.level = 'street' AND {open_sql('i')} GROUP BY a.id, a.name "
            "ORDER BY count(*) DESC, a.name LIMIT 3"
        )
    ).all()
    table = html.split('id="poster-side"')[1]
    assert [table.index(f"<td>{name}</td>") for name in ranked] == sorted(
        table.index(f"<td>{name}</td>") for name in ranked
    )
    bad = map_client.get("/map", params={"print": "b5"})
    assert bad.status_code == 400 and "a4, a3, a2, a1" in bad.text


FILTER_CASES = [
    {"unit": "urban_mgmt"},
    {"unit": "urban_mgmt,sanitation", "category": "market,back_alley"},
    {"problems": "found", "since": "2026-11-09", "until": "2026-11-16"},
    {"problems": "found", "type": "garbage", "source": "citizen"},
    {"status": "dispatched", "unit": "traffic_police"},
]


@pytest.mark.parametrize("params", FILTER_CASES)
def test_every_layer_count_matches_sql_under_each_filter(map_client, city, connection, params):
    """The heat map, the overdue layer and each category's layer count what SQL counts for
    the same filters, written here independently of the map's own statements."""
    html = map_client.get("/map", params=params).text
    units = params.get("unit", "").split(",") if "unit" in params else None
    categories = params["category"].split(",") if "category" in params else None
    problem = ["TRUE"]
    values: dict = {"units": units, "categories": categories}
    if units:
        problem.append("i.unit_code = ANY(:units)")
    if categories:
        problem.append("p.category = ANY(:categories)")
    for name in ("type", "source", "status"):
        if name in params:
            problem.append(f"i.{name} = :{name}")
            values[name] = params[name]
    if "since" in params:
        problem.append("i.reported_at >= CAST(:since AS timestamptz)")
        problem.append("i.reported_at < CAST(:until AS timestamptz) + interval '1 day'")
        values |= {"since": params["since"] + "T00:00:00+08:00"}  # whole local days
        values |= {"until": params["until"] + "T00:00:00+08:00"}
    at = "FROM issues i LEFT JOIN points p ON p.id = i.point_id WHERE " + " AND ".join(problem)
    reported = params.get("problems") == "found"
    heat = connection.scalar(
        text(f"SELECT count(*) {at}" + ("" if reported else f" AND {open_sql('i')}")), values
    )
    overdue = connection.scalar(text(f"SELECT count(*) {at} AND {overdue_sql('i')}"), values)
    label = "上报问题 problems reported" if reported else "未结问题 open problems"
    assert shown(f"热力图 {label} ({heat:,})", html), heat
    assert shown(f"超期问题 overdue ({overdue:,})", html), overdue
    markets = connection.scalar(
        text(
            "SELECT count(*) FROM points WHERE category = 'market' "
            "AND (CAST(:units AS text[]) IS NULL OR unit_code = ANY(:units))"
        ),
        {"units": units},
    )
    if not categories or "market" in categories:
        assert shown(f"集贸市场/农贸市场 ({markets:,})", html)
    if categories:
        assert "停车位" not in html.split("map-title")[0]  # only the categories asked for
    title = html.split('id="map-title"')[1].split("</div>")[0]
    assert all(f"{name}=" in title for name in params if name not in ("since", "until"))


def test_an_unknown_unit_is_a_400(map_client, city):
    response = map_client.get("/map", params={"unit": "nobody"})
    assert response.status_code == 400 and "unit: unknown ['nobody']" in response.text


def catalog_urls(html: str) -> dict[str, str]:
    """The collection each catalog overlay fetches, by layer id, as the page asks for it."""
    found = re.findall(r'"url": "(/collections/(\w+)/items\?[^"]*)"', html)
    return {layer: url.encode().decode("unicode_escape") for url, layer in found}


def test_catalog_layers_join_the_map_with_the_pages_filters(map_client, city, connection):
    whole = map_client.get("/map").text
    assert set(catalog_urls(whole)) == {"areas", "compliance_by_street", "issues"}
    assert shown("Problems (问题), every state (≥10 级 zoom)", whole)
    street_id, street, kind = connection.execute(
        text(
            "SELECT a.id, a.code, i.type FROM issues i JOIN areas a ON a.id = i.street_id "
            "GROUP BY 1, 2, 3 ORDER BY count(*) DESC, 2, 3 LIMIT 1"
        )
    ).one()
    narrowed = map_client.get("/map", params={"area": street, "type": kind}).text
    # Areas and the street table have no street_id to filter on: they stay off the page.
    assert set(catalog_urls(narrowed)) == {"issues"}
    features = map_client.get(catalog_urls(narrowed)["issues"]).json()["features"]
    wanted = connection.scalar(
        text("SELECT count(*) FROM issues WHERE street_id = :s AND type = :t"),
        {"s": street_id, "t": kind},
    )
    assert len(features) == wanted > 0
    assert {(f["properties"]["street_id"], f["properties"]["type"]) for f in features} == {
        (street_id, kind)
    }


TOILETS_TO_FIX = """
id: toilets_to_fix
title: 待整改公厕 Toilets to fix
source:
  table: points
  filter: "category = 'public_toilet' AND status = 'non_compliant'"
properties: [code, name, status, street_id]
style: {color_by: status, palette: {non_compliant: "#c62828"}}
popup: [name, status]
map: markers
"""


def test_a_yaml_file_adds_a_layer_to_the_map(settings, session, admin_key, city, tmp_path):
    from fastapi.testclient import TestClient

    from tests.conftest import LAYERS

    for source in LAYERS.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text("utf-8"), "utf-8")
    (tmp_path / "toilets_to_fix.yaml").write_text(TOILETS_TO_FIX, "utf-8")
    extra = {"map_basemap": "blank", "layers_dir": tmp_path}
    app = app_on(settings.model_copy(update=extra), session)
    with TestClient(app, headers=as_(admin_key)) as client:
        html = client.get("/map").text
        url = catalog_urls(html)["toilets_to_fix"]
        features = client.get(url).json()["features"]
    assert shown("待整改公厕 Toilets to fix", html)
    assert features and {f["properties"]["status"] for f in features} == {"non_compliant"}


def test_the_pages_own_layers_are_as_their_yaml_says(
    settings, session, admin_key, city, connection, tmp_path
):
    from fastapi.testclient import TestClient

    from tests.conftest import LAYERS

    edits = {
        "points.yaml": "aggregate_above: 20\n",
        "overdue_issues.yaml": "",
        "open_issues.yaml": "",
    }
    for source in LAYERS.glob("*.yaml"):
        text_ = source.read_text("utf-8") + edits.get(source.name, "")
        if source.name == "overdue_issues.yaml":
            text_ = text_.replace("map: markers", "map: none")
        if source.name == "open_issues.yaml":
            text_ = text_.replace("legend: 热力图", "legend: 问题热度 heat")
        (tmp_path / source.name).write_text(text_, "utf-8")
    extra = {"map_basemap": "blank", "layers_dir": tmp_path}
    app = app_on(settings.model_copy(update=extra), session)
    with TestClient(app, headers=as_(admin_key)) as client:
        html = client.get("/map").text
        parking = client.get("/map/categories/parking/points", params={"zoom": 12}).json()
    counts = dict(
        connection.execute(
            text(
                "SELECT c.name_zh, count(*) FROM points p JOIN categories c "
                "ON c.code = p.category GROUP BY 1"
            )
        ).all()
    )
    for name, count in counts.items():
        assert shown(f"{name} ({count:,}{' · 聚合 aggregated' if count > 20 else ''})", html)
    assert any(count > 20 for count in counts.values())
    assert any(count <= 20 for count in counts.values())
    assert parking["aggregated"] and parking["total"] > 20
    assert "超期问题 overdue" not in html  # map: none leaves it off
    assert shown("问题热度 heat 未结问题 open problems", html)
    assert "热力图 未结问题" not in html
