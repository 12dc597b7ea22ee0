"""Property-based tests of recipe parsing: `--set` values round-trip, and no recipe or override,
however malformed, ends in anything but a `RecipeError` (a `ValueError`) naming the problem."""

import json
import warnings

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nlpkit.recipes.schema import (  # noqa: E402
    SCHEMAS,
    RecipeError,
    apply_overrides,
    parse_override,
    validate_recipe,
)

NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,11}", fullmatch=True)
SCALARS = st.one_of(
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=20),
)
VALUES = st.one_of(SCALARS, st.lists(st.integers(-1000, 1000), max_size=4))


def toml_literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, str):
        # a JSON string is a TOML basic string, once DEL (which TOML wants escaped) is escaped
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    return str(value)


@settings(max_examples=200, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=3), VALUES)
def test_set_values_round_trip(parts, value):
    got_parts, got = parse_override(".".join(parts) + "=" + toml_literal(value))
    assert got_parts == parts
    assert got == value and type(got) is type(value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=4))
def test_any_override_text_is_applied_or_refused_clearly(items):
    try:
        recipe, keys = apply_overrides({"task": "ner", "fit": {"epochs": 2}}, items)
    except RecipeError as e:
        assert "--set" in str(e)
        return
    assert len(keys) == len(items)


JUNK = st.recursive(SCALARS, lambda inner: st.dictionaries(NAMES, inner, max_size=3), max_leaves=6)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(SCHEMAS)), st.dictionaries(NAMES, JUNK, max_size=4))
def test_any_recipe_validates_or_is_refused_clearly(task, body):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            out = validate_recipe({**body, "task": task}, "fuzz.toml")
        except RecipeError as e:
            assert str(e).startswith("fuzz.toml: ")
            return
    assert out["task"] == task
