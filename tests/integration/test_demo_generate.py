from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
import shapely

from geoapi.demo.generate import generate
from geoapi.demo.points import PLANS, point_rows
from geoapi.issues.states import OPEN, Status
from geoapi.reference.model import Reference, TypeRef
from geoapi.vocabulary import ISSUE_SOURCES

AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)
NEXT = {
    "report": "reported",
    "dispatch": "dispatched",
    "start": "rectifying",
    "rectify": "rectified",
    "close": "closed",
    "reopen": "dispatched",
    "reject": "rejected",
}


@pytest.fixture(scope="module")
def city(reference):
    return generate(0.2, 11, AS_OF, reference)


def test_same_seed_gives_the_same_city(city, reference):
    again = generate(0.2, 11, AS_OF, reference)
    for name in ("points", "issues", "events", "inspections"):
        pd.testing.assert_frame_equal(getattr(city, name), getattr(again, name))
    assert [a.geom.wkb for a in city.areas] == [a.geom.wkb for a in again.areas]


def test_another_seed_gives_another_city(city, reference):
    other = generate(0.2, 12, AS_OF, reference)
    assert not city.points["lon"].iloc[:10].equals(other.points["lon"].iloc[:10])


def test_scale_multiplies_points_and_issues(city):
    assert len(city.points) == pytest.approx(2000, rel=0.01)
    assert len(city.issues) == 600


def test_area_hierarchy_tiles_the_district(city):
    levels = pd.Series([a.level for a in city.areas]).value_counts()
    assert levels.to_dict() == {"grid": 216, "community": 54, "street": 9, "district": 1}
    district = city.areas[0].geom
    grids = shapely.union_all([a.geom for a in city.areas if a.level == "grid"])
    assert abs(grids.area - district.area) / district.area < 1e-6
    ids = {a.id: a for a in city.areas}
    for area in city.areas[1:]:
        assert ids[area.parent_id].geom.buffer(1e-9).contains(area.geom)


def test_every_point_and_issue_is_inside_the_district(city):
    district = city.areas[0].geom
    assert shapely.covers(district, point_rows(city.points)["geom"].to_numpy()).all()
    assert shapely.covers(district, city.issues["geom"].to_numpy()).all()


def test_every_category_type_source_and_state_occurs(reference):
    big = generate(1, 3, AS_OF, reference)
    assert big.points["category"].nunique() == 10
    assert big.issues["type"].nunique() == 12
    assert set(big.issues["source"]) == set(ISSUE_SOURCES)
    assert set(big.issues["status"]) == set(Status) - {Status.MERGED}


def test_issue_timestamps_are_consistent(city):
    issues = city.issues
    assert (issues["deadline"].isna() | (issues["deadline"] > issues["reported_at"])).all()
    for column in ("dispatched_at", "rectified_at", "closed_at"):
        assert (issues[column].isna() | (issues[column] >= issues["reported_at"])).all()
    closed = issues["status"].eq("closed")
    assert closed.eq(issues["closed_at"].notna()).all()
    assert (issues["reported_at"] <= AS_OF).all()
    dispatched = issues["status"].isin(["dispatched", "rectifying", "rectified", "closed"])
    assert issues.loc[dispatched, ["unit_code", "deadline"]].notna().all().all()


def test_event_histories_chain_to_the_final_state(city):
    events = city.events.sort_values(["issue_id", "at"], kind="stable")
    for _issue_id, history in events.groupby("issue_id", sort=False):
        states = [None, *history["to_status"]]
        assert list(history["from_status"].replace({np.nan: None})) == states[:-1]
        assert [NEXT[a] for a in history["action"]] == list(history["to_status"])
        assert history["at"].is_monotonic_increasing
    final = events.groupby("issue_id")["to_status"].last()
    issues = city.issues.set_index("id")
    assert final.reindex(issues.index).eq(issues["status"]).all()
    assert events.groupby("issue_id").size().reindex(issues.index).eq(issues["version"]).all()


def test_points_with_open_issues_are_non_compliant(city):
    open_points = city.issues.loc[city.issues["status"].isin(OPEN), "point_id"]
    status = city.points.set_index("id")["status"]
    assert status.loc[open_points.dropna().unique()].eq("non_compliant").all()
    assert set(status) == {"unchecked", "compliant", "non_compliant"}


def test_alleys_are_lines_and_compounds_polygons(city):
    points = city.points
    alleys = points[points["category"] == "back_alley"]
    compounds = points[points["category"] == "old_compound"]
    assert set(shapely.get_type_id(alleys["footprint"].to_numpy())) == {1}
    assert set(shapely.get_type_id(compounds["footprint"].to_numpy())) == {3}
    assert shapely.is_valid(compounds["footprint"].to_numpy()).all()
    spelt = point_rows(alleys)["geom"].to_numpy()
    assert shapely.intersects(alleys["footprint"].to_numpy(), spelt).all()


def test_a_type_added_as_data_appears_in_the_demo_with_a_unit(reference):
    added = TypeRef("noise", "噪声扰民", 3, default_unit=None)  # no unit of the demo's own
    types = reference.issue_types | {"noise": added}
    found_at = reference.found_at | {"market": ("noise",)}
    city = generate(0.2, 11, AS_OF, Reference(types, found_at))
    noise = city.issues[city.issues["type"] == "noise"]
    dispatched = noise[noise["dispatched_at"].notna()]
    assert len(dispatched) > 0 and dispatched["unit_code"].notna().all()


def test_points_spelt_out_have_one_code_each_and_their_category_in_name_and_code(city):
    rows = point_rows(city.points)
    assert rows["code"].is_unique and rows["id"].is_unique
    assert {"lon", "lat", "street", "seq", "word", "house"}.isdisjoint(rows.columns)
    for plan in PLANS:
        of_plan = rows[rows["category"] == plan.code]
        assert of_plan["code"].str.startswith(f"{plan.prefix}-").all()
        assert of_plan["name"].str.endswith(plan.suffix).all()
    assert rows["address"].str.contains("街道").all()
    assert shapely.get_x(rows["geom"].to_numpy()) == pytest.approx(city.points["lon"].to_numpy())
