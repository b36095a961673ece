"""Travel costs between stops: on the road network (pgRouting) when one is loaded, else along
great circles times the detour factor; which one is always said (`network`)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sqlalchemy import Connection

from geoapi.patrol import queries
from geoapi.patrol.distances import haversine_matrix
from geoapi.patrol.network import OFF_NETWORK_KMH, metres_per_second

Network = Literal["roads", "straight_line"]
Weight = Literal["length", "time"]
SEARCH_MARGIN_DEG = 0.01  # roads up to ~1 km beyond the stops' box may carry a shortest path


@dataclass(frozen=True)
class TravelMatrix:
    """Costs (metres or seconds) from each stop (row) to each stop (column)."""

    costs: np.ndarray
    positions: list[tuple[float, float]]
    network: Network
    snaps: list[queries.Snap] | None  # each stop's junction, on the road network
    edges: str | None  # the pgRouting edge query the costs came from
    unreachable_pairs: int = 0  # pairs with no road path, measured as straight lines instead


def travel_matrix(
    connection: Connection,
    lonlat: Sequence[tuple[float, float]],
    mode: str,
    weight: Weight,
    detour_factor: float,
) -> TravelMatrix:
    """The cheapest travel between every pair of positions for `mode`."""
    positions = np.asarray(lonlat, dtype=float)
    straight = _straight(haversine_matrix(positions) * detour_factor, mode, weight)
    if not queries.has_roads(connection):
        return TravelMatrix(straight, list(lonlat), "straight_line", None, None)
    snaps = queries.snap(connection, lonlat, mode)
    bbox = (
        positions[:, 0].min() - SEARCH_MARGIN_DEG,
        positions[:, 1].min() - SEARCH_MARGIN_DEG,
        positions[:, 0].max() + SEARCH_MARGIN_DEG,
        positions[:, 1].max() + SEARCH_MARGIN_DEG,
    )
    edges = queries.edges_sql(mode, weight, bbox)
    nodes = sorted({s.node for s in snaps})
    between = queries.cost_matrix(connection, nodes, edges) if len(nodes) > 1 else {}
    position = {node: k for k, node in enumerate(nodes)}
    road = np.full((len(nodes), len(nodes)), np.nan)
    np.fill_diagonal(road, 0.0)
    for (a, b), cost in between.items():
        road[position[a], position[b]] = cost
    index = np.array([position[s.node] for s in snaps])
    access = _straight(np.array([s.metres for s in snaps]), mode, weight)
    on_roads = access[:, None] + road[np.ix_(index, index)] + access[None, :]
    missing = np.isnan(on_roads)
    costs = np.where(missing, straight, on_roads)
    np.fill_diagonal(costs, 0)
    unreachable = int(missing.sum())
    return TravelMatrix(costs, list(lonlat), "roads", snaps, edges, unreachable)


def _straight(metres: np.ndarray, mode: str, weight: Weight) -> np.ndarray:
    """Metres as they are, or as seconds at the mode's speed off the network."""
    if weight == "length":
        return metres
    return metres / metres_per_second(OFF_NETWORK_KMH[mode])
