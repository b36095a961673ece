"""`/routes/solve`: a visiting order for any list of positions."""

import numpy as np
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from geoapi.auth.dependency import PrincipalDep
from geoapi.db.engine import ReaderDep
from geoapi.patrol.distances import haversine_matrix
from geoapi.patrol.matrix import travel_matrix
from geoapi.patrol.schemas import SolveAnswer, SolveRequest
from geoapi.patrol.solver import order_stops, tour_length

router = APIRouter(prefix="/routes", tags=["Route lists (巡查路线)"])


@router.post("/solve", operation_id="solveRoute")
async def solve_route(
    request: Request, body: SolveRequest, principal: PrincipalDep, read: ReaderDep
) -> SolveAnswer:
    """The shortest visiting order found within `time_limit_s` (LKH-3; 2-opt when even its
    preparation would not fit). `metric=network` measures walking distance on the loaded road
    network (`network: roads`), or straight lines times the detour factor when there is none
    (`network: straight_line`)."""
    principal.require("read")
    if body.metric == "network":
        detour = request.app.state.settings.route_detour_factor
        matrix = await read(lambda c: travel_matrix(c, body.points, "walk", "length", detour))
        metres, network = matrix.costs, matrix.network
    else:
        metres, network = haversine_matrix(np.asarray(body.points, dtype=float)), "haversine"
    order = await run_in_threadpool(
        order_stops, metres, body.start_index, body.return_to_start, body.time_limit_s
    )
    length = tour_length(metres, order, body.return_to_start)
    return SolveAnswer(order=order, length_m=round(length, 1), network=network)
