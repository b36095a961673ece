"""`/routes/solve`: a visiting order for any list of positions."""

import numpy as np
from fastapi import APIRouter, Request

from geoapi.auth.dependency import PrincipalDep
from geoapi.patrol.distances import haversine_matrix
from geoapi.patrol.schemas import SolveAnswer, SolveRequest
from geoapi.patrol.solver import order_stops, tour_length

router = APIRouter(prefix="/routes", tags=["Route lists (巡查路线)"])


@router.post("/solve", operation_id="solveRoute")
def solve_route(request: Request, body: SolveRequest, principal: PrincipalDep) -> SolveAnswer:
    """The shortest visiting order found within `time_limit_s` (LKH-3, or 2-opt for many
    points). No road network is loaded yet: `metric=network` measures straight lines times
    the detour factor and says so (`network: straight_line`)."""
    principal.require("read")
    metres = haversine_matrix(np.asarray(body.points, dtype=float))
    network = "haversine"
    if body.metric == "network":
        metres = metres * request.app.state.settings.route_detour_factor
        network = "straight_line"
    order = order_stops(metres, body.start_index, body.return_to_start, body.time_limit_s)
    length = tour_length(metres, order, body.return_to_start)
    return SolveAnswer(order=order, length_m=round(length, 1), network=network)
