from sqlalchemy import ColumnElement, Integer, column, literal

from geoapi.features.cql import Values, shape_key


def _more_severe_than(value: int) -> tuple[ColumnElement[bool], Values]:
    values = Values()
    return column("severity", Integer) > values.bind(value, Integer), values


def test_filters_differing_in_values_have_one_shape():
    (low, low_values), (high, high_values) = _more_severe_than(1), _more_severe_than(3)
    assert shape_key(low, low_values) == shape_key(high, high_values) is not None
    assert low_values == {"cql0": 1} and high_values == {"cql0": 3}


def test_a_value_not_bound_by_name_leaves_the_filter_without_a_shape():
    clause, values = _more_severe_than(1)
    unnamed = column("severity", Integer) < literal(5)
    assert shape_key(clause & unnamed, values) is None
