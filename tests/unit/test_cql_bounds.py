"""The CQL2 entry under generated input: any text is either parsed or refused with a 400,
and nesting past the limit is refused before the parser (which crashes a few thousand
levels down) ever sees it."""

import hypothesis
import pytest
from hypothesis import strategies as st

from geoapi.errors import InvalidParameter
from geoapi.features.cql import check_bounds, parse_filter

MAX_CHARS, MAX_DEPTH = 8_192, 32
TOKENS = [
    "NOT ",
    "(",
    ")",
    "[",
    "]",
    "code",
    "'x'",
    "''",
    "'",
    '"',
    " = ",
    " <> ",
    " AND ",
    " OR ",
    " LIKE ",
    " IN ",
    " BETWEEN ",
    "1",
    "-2.5e3",
    "TRUE",
    "S_INTERSECTS(geometry, POINT(1 2))",
    "BBOX(1,2,3,4)",
    "T_AFTER",
    "TIMESTAMP('2026-01-01T00:00:00Z')",
    ",",
    "\\",
    "\x00",
    "中",
]
FUZZ = hypothesis.settings(max_examples=400, derandomize=True, database=None, deadline=None)


def enter(text: str, lang: str | None = None) -> dict | None:
    """What the service does with a filter: bound it, then parse it; None when refused."""
    try:
        check_bounds(text, lang, MAX_CHARS, MAX_DEPTH)
        return parse_filter(text, lang, None)
    except InvalidParameter:
        return None


@FUZZ
@hypothesis.given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_any_token_soup_is_parsed_or_refused_with_a_400(text):
    result = enter(text)
    assert result is None or isinstance(result, dict)


@FUZZ
@hypothesis.given(st.text(max_size=300))
def test_any_text_is_parsed_or_refused_with_a_400(text):
    result = enter(text)
    assert result is None or isinstance(result, dict)
    json_result = enter(text, "cql2-json")
    assert json_result is None or isinstance(json_result, dict)


@FUZZ
@hypothesis.given(
    depth=st.integers(min_value=0, max_value=4_000),
    opener=st.sampled_from(["NOT (", "(", "NOT "]),
)
def test_nesting_is_refused_past_the_limit_and_parsed_within_it(depth, opener):
    closer = ")" if opener.endswith("(") else ""
    text = opener * depth + "code='x'" + closer * depth
    levels = depth * (2 if opener == "NOT (" else 1)
    if len(text) > MAX_CHARS or levels > MAX_DEPTH:
        with pytest.raises(InvalidParameter, match="at most"):
            check_bounds(text, None, MAX_CHARS, MAX_DEPTH)
    else:
        assert isinstance(enter(text), dict)


@pytest.mark.parametrize("depth", [33, 1_100, 1_600])
def test_cql2_json_nesting_is_refused_past_the_limit(depth):
    text = '{"op":"not","args":[' * depth + '{"op":"=","args":[{"property":"code"},"x"]}'
    text += "]}" * depth
    with pytest.raises(InvalidParameter, match="nested"):
        check_bounds(text, "cql2-json", 100_000, MAX_DEPTH)


def test_cql2_json_within_the_limit_parses():
    text = '{"op":"not","args":[' * 30 + '{"op":"=","args":[{"property":"code"},"x"]}'
    text += "]}" * 30
    check_bounds(text, "cql2-json", MAX_CHARS, MAX_DEPTH)
    assert parse_filter(text, "cql2-json", None)["op"] == "not"
