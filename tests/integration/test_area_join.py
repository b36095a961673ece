from sqlalchemy import Connection, text

from tests.factories import make_area_tree, make_issue, make_point


def area_ids(connection: Connection, table: str, key) -> tuple:
    return connection.execute(
        text(f"SELECT district_id, street_id, community_id, grid_id FROM {table} WHERE id = :k"),
        {"k": key},
    ).one()


def test_point_gets_every_level_on_insert(connection: Connection):
    ids = make_area_tree(connection)
    point = make_point(connection, lon=100.1, lat=30.1)
    assert area_ids(connection, "points", point) == (
        ids["district"],
        ids["A"],
        ids["A1"],
        ids["A1g"],
    )


def test_moving_a_point_moves_its_areas(connection: Connection):
    ids = make_area_tree(connection)
    point = make_point(connection, lon=100.1, lat=30.1)
    connection.execute(
        text("UPDATE points SET geom = ST_SetSRID(ST_MakePoint(101.5, 30.5), 4326) WHERE id = :p"),
        {"p": point},
    )
    assert area_ids(connection, "points", point) == (ids["district"], ids["B"], None, None)


def test_issue_gets_areas_and_outside_points_get_none(connection: Connection):
    ids = make_area_tree(connection)
    issue = make_issue(connection, lon=101.2, lat=30.2)
    assert area_ids(connection, "issues", issue) == (ids["district"], ids["B"], None, None)
    outside = make_point(connection, "FAR", lon=90.0, lat=30.0)
    assert area_ids(connection, "points", outside) == (None, None, None, None)
