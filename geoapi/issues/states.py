"""The states of a problem (DESIGN §3): each with its kind, its Chinese name and colour, the
moves between them, and the SQL that tests them. The one home of "open", "with the unit",
"awaiting verification", "overdue" and "ended": queries, layer filters, figures, notices and
Open311 derive from here, and `tests/unit/test_states.py` fails if another file names a
state. Pure: no database, no HTTP."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_


class Status(StrEnum):
    """Where a problem stands in the closed loop."""

    REPORTED = "reported"  # found, waiting to be dispatched
    DISPATCHED = "dispatched"  # 整改通知: a unit and a deadline
    RECTIFYING = "rectifying"  # the unit is at it
    RECTIFIED = "rectified"  # the unit reports it fixed: waiting for verification
    CLOSED = "closed"  # verified: 销号
    REJECTED = "rejected"  # not a real problem
    MERGED = "merged"  # a duplicate of another problem


STATUSES = tuple(Status)
# Kinds: a problem is open until it ends; while open, the unit holds it (the deadline runs)
# or the campaign office does (to dispatch, or to verify).
OPEN = (Status.REPORTED, Status.DISPATCHED, Status.RECTIFYING, Status.RECTIFIED)
WITH_UNIT = (Status.DISPATCHED, Status.RECTIFYING)  # notices list these; late = overdue
AWAITING_VERIFICATION = (Status.RECTIFIED,)  # 核查销号: an inspector's visit closes or reopens
ENDED = (Status.CLOSED, Status.REJECTED, Status.MERGED)
DROPPED = (Status.REJECTED, Status.MERGED)  # ended without being rectified
ASSIGNED = (Status.DISPATCHED, Status.RECTIFYING, Status.RECTIFIED, Status.CLOSED)  # has a unit

NAMES_ZH = {
    Status.REPORTED: "待交办",
    Status.DISPATCHED: "已交办",
    Status.RECTIFYING: "整改中",
    Status.RECTIFIED: "已整改待核查",
    Status.CLOSED: "已销号",
    Status.REJECTED: "已驳回",
    Status.MERGED: "已合并",
}
COLOURS = {
    Status.REPORTED: "#f9a825",
    Status.DISPATCHED: "#ef6c00",
    Status.RECTIFYING: "#1565c0",
    Status.RECTIFIED: "#6a1b9a",
    Status.CLOSED: "#2e7d32",
    Status.REJECTED: "#757575",
    Status.MERGED: "#757575",
}


def in_sql(column: str, statuses: tuple[Status, ...]) -> str:
    """`column IN (…)` over `statuses` (constants from here, never user input)."""
    return f"{column} IN ({', '.join(repr(str(s)) for s in statuses)})"


def _prefix(alias: str) -> str:
    return f"{alias}." if alias else ""


def open_sql(alias: str = "") -> str:
    """The problem (table alias `alias`) is open."""
    return in_sql(f"{_prefix(alias)}status", OPEN)


def overdue_sql(alias: str = "", at: str = "now()") -> str:
    """The unit holds the problem past its deadline at `at` (a bound name such as `:now`)."""
    p = _prefix(alias)
    return f"{in_sql(f'{p}status', WITH_UNIT)} AND {p}deadline < {at}"


def is_overdue(
    status: ColumnElement[Any], deadline: ColumnElement[Any], at: ColumnElement[Any]
) -> ColumnElement[bool]:
    """The same rule as `overdue_sql`, as an expression over the given columns."""
    return and_(status.in_([str(s) for s in WITH_UNIT]), deadline < at)


# Named rules a layer's YAML filter may use: `filter: "{open}"`, over the layer's own columns.
LAYER_RULES = {
    "open": open_sql(),
    "overdue": overdue_sql(),
    "with_unit": in_sql("status", WITH_UNIT),
    "awaiting_verification": in_sql("status", AWAITING_VERIFICATION),
    "ended": in_sql("status", ENDED),
}


@dataclass(frozen=True)
class Move:
    """An action, the states it may start from, and the state it leads to."""

    action: str
    sources: tuple[Status, ...]
    target: Status | None  # None: the state stays (a new deadline, not a new step)


MOVES = {
    move.action: move
    for move in (
        Move("dispatch", (Status.REPORTED,), Status.DISPATCHED),  # 整改通知: unit and deadline
        Move("start", (Status.DISPATCHED,), Status.RECTIFYING),
        Move("defer", WITH_UNIT, None),  # approved extension: 延期
        Move("reschedule", WITH_UNIT, None),  # the office corrects a deadline: 调整期限
        Move("rectify", WITH_UNIT, Status.RECTIFIED),  # the unit reports the fix
        Move("close", AWAITING_VERIFICATION, Status.CLOSED),  # verified: 销号
        Move("reopen", AWAITING_VERIFICATION, Status.DISPATCHED),  # failed: rework 返工
        Move("reject", (Status.REPORTED,), Status.REJECTED),  # not a real problem
        Move("merge", OPEN, Status.MERGED),  # a duplicate of another problem
    )
}
# What a problem's history says each step was, in the office's words.
ACTION_NAMES = {
    "report": "上报",
    "dispatch": "交办",
    "start": "开始整改",
    "defer": "延期",
    "reschedule": "调整期限",
    "rectify": "整改完成",
    "close": "核查销号",
    "reopen": "返工",
    "reject": "驳回",
    "merge": "合并",
    "photo": "上传照片",
    "reminder": "提醒卡",
    "supervision": "督办卡",
}
# A verification visit ends a wait for verification one way or the other.
VERIFIED = tuple(t for m in ("close", "reopen") if (t := MOVES[m].target) is not None)


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


def next_status(status: str, action: str) -> Status:
    """The state after `action`, or IllegalMove."""
    move = MOVES.get(action)
    if move is None or status not in move.sources:
        raise IllegalMove(status, action)
    return move.target or Status(status)
