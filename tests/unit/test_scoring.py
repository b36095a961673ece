"""Score rates of visits on hand-made checklists, worked out on paper."""

from datetime import date

import pytest

from geoapi.inspections.checklists import Checklist, Checklists, Criterion
from geoapi.inspections.scoring import Answer, ScoringError, score

TOILET = Checklist(
    category="public_toilet",
    version="t1",
    effective_from=date(2026, 1, 1),
    title="test",
    cycle_days=3,
    pass_rate=0.8,
    criteria=[
        Criterion(id="A", text="clean", weight=40),
        Criterion(id="B", text="soap", weight=30),
        Criterion(id="C", text="signs", weight=20),
        Criterion(id="D", text="safe", weight=10, critical=True),
    ],
)


def answers(**results: str) -> list[Answer]:
    return [Answer(c, r) for c, r in results.items()]


def test_all_passed_is_one():
    result = score(TOILET, answers(A="pass", B="pass", C="pass", D="pass"))
    assert (result.earned, result.possible, result.rate, result.passed) == (100, 100, 1.0, True)


def test_a_fail_loses_the_weight_and_na_leaves_the_total():
    # B fails (−30), C is not applicable (out of the 100): 50 of 80.
    result = score(TOILET, answers(A="pass", B="fail", C="na", D="pass"))
    assert (result.earned, result.possible, result.rate) == (50, 80, 0.625)
    assert not result.passed and [c.id for c in result.failed] == ["B"]


def test_partial_credit_on_a_fail():
    # A fails keeping 25 of 40: 85 of 100, above the 0.8 pass mark.
    result = score(TOILET, [Answer("A", "fail", 25), *answers(B="pass", C="pass", D="pass")])
    assert (result.earned, result.rate, result.passed) == (85, 0.85, True)


def test_a_critical_fail_fails_the_visit_whatever_the_rate():
    result = score(TOILET, answers(A="pass", B="pass", C="pass", D="fail"))
    assert result.rate == 0.9 and not result.passed and result.vetoed_by == ("D",)


def test_rates_are_rounded_to_four_places():
    result = score(TOILET, answers(A="fail", B="pass", C="pass", D="na"))  # 50 / 90
    assert result.rate == 0.5556


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ([Answer("A", "pass")], "not answered: B, C, D"),
        ([*answers(A="pass", B="pass", C="pass", D="pass"), Answer("E", "pass")], "E: not a"),
        ([*answers(A="pass", B="pass", C="pass", D="pass"), Answer("A", "fail")], "more than"),
        ([Answer("A", "pass", 10), *answers(B="pass", C="pass", D="pass")], "only goes with a"),
        ([Answer("A", "fail", 40), *answers(B="pass", C="pass", D="pass")], "below the weight"),
        (answers(A="na", B="na", C="na", D="na"), "nothing to score"),
    ],
)
def test_answers_that_do_not_fit_are_refused_with_the_reason(given, problem):
    with pytest.raises(ScoringError) as raised:
        score(TOILET, given)
    assert problem in str(raised.value)


def test_the_version_in_force_is_the_latest_started():
    newer = TOILET.model_copy(update={"version": "t2", "effective_from": date(2026, 7, 1)})
    checklists = Checklists([newer, TOILET])
    assert checklists.current("public_toilet", date(2026, 6, 30)).version == "t1"
    assert checklists.current("public_toilet", date(2026, 7, 1)).version == "t2"
    assert checklists.current("public_toilet", date(2025, 12, 31)) is None
    assert checklists.by_key("public_toilet@t1") is TOILET


def test_a_bad_checklist_file_names_file_and_field(tmp_path):
    from geoapi.inspections.checklists import load_checklists
    from geoapi.yamlfiles import DataFileError

    (tmp_path / "x.yaml").write_text(
        "category: market\nversion: '1'\neffective_from: 2026-01-01\ntitle: t\n"
        "cycle_days: 0\ncriteria: [{id: A, text: a, weight: 1}, {id: A, text: b, weight: 1}]\n"
    )
    with pytest.raises(DataFileError) as raised:
        load_checklists(tmp_path)
    message = str(raised.value)
    assert "x.yaml" in message and "cycle_days" in message and "repeat: A" in message
