"""The state machine of a problem (DESIGN §3) as a table: pure, no database, no HTTP."""

from dataclasses import dataclass

OPEN = ("reported", "dispatched", "rectifying", "rectified")


@dataclass(frozen=True)
class Move:
    """An action, the states it may start from, and the state it leads to."""

    action: str
    sources: tuple[str, ...]
    target: str | None  # None: the state stays (a new deadline, not a new step)


MOVES = {
    move.action: move
    for move in (
        Move("dispatch", ("reported",), "dispatched"),  # 整改通知: unit and deadline set
        Move("start", ("dispatched",), "rectifying"),
        Move("defer", ("dispatched", "rectifying"), None),  # approved extension: 延期
        Move("rectify", ("dispatched", "rectifying"), "rectified"),  # unit reports the fix
        Move("close", ("rectified",), "closed"),  # verified: 销号
        Move("reopen", ("rectified",), "dispatched"),  # failed verification: rework 返工
        Move("reject", ("reported",), "rejected"),  # not a real problem
        Move("merge", OPEN, "merged"),  # a duplicate of another problem
    )
}


class IllegalMove(Exception):
    """The action is not allowed from the current state."""

    def __init__(self, current: str, action: str) -> None:
        self.current = current
        self.action = action
        self.allowed = allowed_actions(current)
        allowed = ", ".join(self.allowed) or "none (the problem is finished)"
        super().__init__(f"cannot {action} a problem that is {current}; allowed: {allowed}")


def allowed_actions(status: str) -> list[str]:
    """Actions possible from `status`, in the loop's order."""
    return [m.action for m in MOVES.values() if status in m.sources]


def next_status(status: str, action: str) -> str:
    """The state after `action`, or IllegalMove."""
    move = MOVES.get(action)
    if move is None or status not in move.sources:
        raise IllegalMove(status, action)
    return move.target or status
