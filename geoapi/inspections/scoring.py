"""Score rate (得分率) of a visit from its per-criterion results: pure arithmetic, no I/O."""

from dataclasses import dataclass
from typing import Literal

from geoapi.inspections.checklists import Checklist, Criterion

Result = Literal["pass", "fail", "na"]  # na: not applicable here, left out of the total


@dataclass(frozen=True)
class Answer:
    """The inspector's verdict on one criterion; `partial` is credit given despite a fail."""

    criterion: str
    result: Result
    partial: float | None = None


@dataclass(frozen=True)
class Score:
    """Points earned of the points possible, the rate, and whether the visit passed."""

    earned: float
    possible: float
    rate: float
    passed: bool
    failed: tuple[Criterion, ...]
    vetoed_by: tuple[str, ...]  # critical criteria that failed


class ScoringError(ValueError):
    """The answers do not fit the checklist; `reasons` lists every one."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


def score(checklist: Checklist, answers: list[Answer]) -> Score:
    """Every criterion answered once; pass earns the weight, fail its partial credit (0)."""
    _check(checklist, answers)
    by_id = {a.criterion: a for a in answers}
    earned = possible = 0.0
    failed: list[Criterion] = []
    for criterion in checklist.criteria:
        answer = by_id[criterion.id]
        if answer.result == "na":
            continue
        possible += criterion.weight
        if answer.result == "pass":
            earned += criterion.weight
        else:
            earned += answer.partial or 0.0
            failed.append(criterion)
    rate = round(earned / possible, 4)
    vetoed = tuple(c.id for c in failed if c.critical)
    passed = rate >= checklist.pass_rate and not vetoed
    return Score(earned, possible, rate, passed, tuple(failed), vetoed)


def _check(checklist: Checklist, answers: list[Answer]) -> None:
    reasons: list[str] = []
    ids = [a.criterion for a in answers]
    known = {c.id for c in checklist.criteria}
    for unknown in sorted(set(ids) - known):
        reasons.append(f"{unknown}: not a criterion of {checklist.key}")
    for repeated in sorted({i for i in ids if ids.count(i) > 1}):
        reasons.append(f"{repeated}: answered more than once")
    missing = [c.id for c in checklist.criteria if c.id not in ids]
    if missing:
        reasons.append(f"not answered: {', '.join(missing)}")
    for answer in answers:
        criterion = checklist.criterion(answer.criterion)
        if answer.partial is None or criterion is None:
            continue
        if answer.result != "fail":
            reasons.append(f"{answer.criterion}: partial credit only goes with a fail")
        elif not 0 <= answer.partial < criterion.weight:
            reasons.append(
                f"{answer.criterion}: partial credit must be at least 0 and below the weight "
                f"{criterion.weight:g}"
            )
    if not reasons and all(a.result == "na" for a in answers):
        reasons.append("every criterion is marked na: nothing to score")
    if reasons:
        raise ScoringError(reasons)
