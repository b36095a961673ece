import pytest

from geoapi.issues.lifecycle import MOVES, IllegalMove, allowed_actions, next_status
from geoapi.vocabulary import ISSUE_STATUSES

LOOP = [
    ("dispatch", "dispatched"),
    ("start", "rectifying"),
    ("rectify", "rectified"),
    ("reopen", "dispatched"),
    ("rectify", "rectified"),
    ("close", "closed"),
]


def test_the_loop_with_rework_ends_closed():
    status = "reported"
    for action, expected in LOOP:
        status = next_status(status, action)
        assert status == expected


@pytest.mark.parametrize("status", ISSUE_STATUSES)
@pytest.mark.parametrize("action", [*MOVES, "fly"])
def test_every_forbidden_move_is_refused_with_the_allowed_ones(status, action):
    move = MOVES.get(action)
    if move and status in move.sources:
        assert next_status(status, action) == (move.target or status)  # defer: stays
        return
    with pytest.raises(IllegalMove) as caught:
        next_status(status, action)
    assert caught.value.allowed == allowed_actions(status)
    assert status in str(caught.value)


@pytest.mark.parametrize("status", ["closed", "rejected", "merged"])
def test_finished_problems_allow_nothing(status):
    assert allowed_actions(status) == []


def test_targets_are_known_states():
    assert {m.target for m in MOVES.values()} - {None} <= set(ISSUE_STATUSES)


def test_defer_keeps_the_state():
    assert next_status("dispatched", "defer") == "dispatched"
    assert next_status("rectifying", "defer") == "rectifying"
    with pytest.raises(IllegalMove):
        next_status("rectified", "defer")
