import ast
import re
from pathlib import Path

import pytest

from geoapi.issues.states import (
    AWAITING_VERIFICATION,
    COLOURS,
    DROPPED,
    ENDED,
    MOVES,
    NAMES_ZH,
    OPEN,
    WITH_UNIT,
    IllegalMove,
    Status,
    allowed_actions,
    next_status,
)

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


@pytest.mark.parametrize("status", list(Status))
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
    assert {m.target for m in MOVES.values()} - {None} <= set(list(Status))


def test_defer_keeps_the_state():
    assert next_status("dispatched", "defer") == "dispatched"
    assert next_status("rectifying", "defer") == "rectifying"
    with pytest.raises(IllegalMove):
        next_status("rectified", "defer")


# --- one home: no other file names a state -----------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "geoapi" / "issues" / "states.py"
FROZEN = ROOT / "geoapi" / "db" / "migrations"  # history: what each revision did, as it did it
NAMES = "|".join(Status)
QUOTED = re.compile(rf"'({NAMES})'")  # a state in SQL
YAML_KEY = re.compile(rf"[{{\s]({NAMES})\s*:")  # a state as a YAML mapping key


def states_named_in_python(path: Path) -> list[str]:
    """States written into SQL text, or compared with, in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if QUOTED.search(node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} SQL {node.value[:50]!r}")
        elif isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                if isinstance(side, ast.Constant) and side.value in set(Status):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} compares {side.value!r}")
    return found


def test_no_module_query_or_layer_names_a_state_outside_its_home():
    modules = [p for p in (ROOT / "geoapi").rglob("*.py") if p != HOME and FROZEN not in p.parents]
    found = [hit for path in modules for hit in states_named_in_python(path)]
    for path in (ROOT / "layers").glob("*.yaml"):
        text = path.read_text("utf-8")
        found += [f"{path.relative_to(ROOT)}: {m.group(0)!r}" for m in QUOTED.finditer(text)]
        found += [f"{path.relative_to(ROOT)}: {m.group(0)!r}" for m in YAML_KEY.finditer(text)]
    assert found == [], "use geoapi.issues.states:\n" + "\n".join(found)


def test_the_guard_sees_a_state_in_sql_and_in_a_comparison(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text(
        "SQL = \"SELECT * FROM issues WHERE status = 'closed'\"\n"
        'def f(row):\n    return row["status"] == "rectified"\n'
    )
    original = globals()["ROOT"]
    globals()["ROOT"] = tmp_path
    try:
        hits = states_named_in_python(module)
    finally:
        globals()["ROOT"] = original
    assert [h.split(" ", 1)[1] for h in hits] in (
        ["SQL \"SELECT * FROM issues WHERE status = 'closed'\"", "compares 'rectified'"],
        ["compares 'rectified'", "SQL \"SELECT * FROM issues WHERE status = 'closed'\""],
    )


def test_kinds_partition_the_states():
    assert set(OPEN) | set(ENDED) == set(Status) and not set(OPEN) & set(ENDED)
    assert set(WITH_UNIT) | set(AWAITING_VERIFICATION) < set(OPEN)
    assert set(DROPPED) < set(ENDED)
    assert set(NAMES_ZH) == set(COLOURS) == set(Status)
