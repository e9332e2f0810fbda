"""The `schema` builtins' behaviour beyond the case files: load-time compilation, strict
mode, JSON text, fail-closed values, and properties checked on generated values.

The properties (Hypothesis):

* `schema.errors(v)` is empty exactly when `schema.valid(v)`, and every pointer it reports
  names a place in `v` (or, for a missing property, a place in `v` plus that name);
* strict mode only narrows: a value strict mode accepts, the plain schema accepts;
* jsonschema-rs agrees with the `jsonschema` library (the reference implementation in
  Python) on generated instances of the catalog's schemas;
* `schema.json` reads back any JSON value `json.dumps` writes, and refuses it with prose
  after it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import railguard
from railguard.builtins import schema as schema_builtins
from railguard.builtins.registry import EvalError, LoadContext, LoadError
from railguard.builtins.schemaload import Schema, load_schema, strictify
from tests.builtins.schema.test_diagnostics import inline
from tests.policylang.diagnostic_helpers import policy

FIXTURES = Path(__file__).parent / "fixtures"
CATALOG = {
    t["function"]["name"]: t["function"]["parameters"]
    for t in json.loads((FIXTURES / "tools.json").read_text(encoding="utf-8"))
}


def compiled(schema: Any, *, strict: bool = False, formats: bool = True) -> Schema:
    return load_schema(json.dumps(schema), LoadContext(Path.cwd()), strict, formats)


# ---- loading once -------------------------------------------------------------------


def test_a_schema_is_compiled_once_per_load(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text('{"type": "integer"}', encoding="utf-8")
    context = LoadContext(tmp_path)
    first = load_schema("s.json", context)
    assert load_schema("s.json", context) is first
    assert load_schema("s.json", context, True) is not first  # strict is another validator
    assert load_schema("s.json", LoadContext(tmp_path)) is not first  # another load


def test_the_hot_path_never_reads_the_file_again(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text('{"type": "integer"}', encoding="utf-8")
    (tmp_path / "p.rail").write_text(
        policy('deny call t unless schema.valid(args.n, "s.json")'), encoding="utf-8"
    )
    guard = railguard.load(tmp_path)
    (tmp_path / "s.json").unlink()
    assert guard.evaluate(railguard.ToolCall(tool="t", args={"n": 1})).allowed
    assert not guard.evaluate(railguard.ToolCall(tool="t", args={"n": "1"})).allowed


def test_two_rules_share_one_compiled_schema(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text('{"type": "integer"}', encoding="utf-8")
    context = LoadContext(tmp_path)
    a, b = load_schema("s.json", context), load_schema(" s.json ", context)
    assert a is b


def test_a_constant_value_is_checked_when_the_policy_compiles() -> None:
    guard, found = railguard.check(
        policy('deny call t when schema.valid(1, "{\\"type\\": \\"string\\"}")')
    )
    assert guard is not None, found  # folds to `false`: the rule never applies
    assert guard.evaluate(railguard.ToolCall(tool="t", args={})).allowed


# ---- fail closed --------------------------------------------------------------------


def test_a_value_that_is_not_json_fails_closed() -> None:
    guard = railguard.loads(
        policy('deny call t unless schema.valid(args.tags | {"x"}, "{\\"type\\": \\"array\\"}")')
    )
    verdict = guard.evaluate(railguard.ToolCall(tool="t", args={"tags": ["a"]}))
    assert verdict.decision == "deny"
    (violation,) = verdict.violations
    assert violation.error is not None and "the value is not JSON" in violation.error


def test_errors_of_a_value_that_is_not_json_raise() -> None:
    with pytest.raises(EvalError, match="the value is not JSON"):
        compiled(True).errors({1: "a"})


# ---- strict mode --------------------------------------------------------------------


def test_strict_mode_sees_properties_declared_through_combinations() -> None:
    schema = {
        "allOf": [
            {"properties": {"a": {"type": "integer"}}},
            {"properties": {"b": {"type": "integer"}}},
        ],
        "properties": {"nested": {"$ref": "#/$defs/n"}},
        "$defs": {"n": {"type": "object", "properties": {"x": {}}}},
    }
    strict = compiled(schema, strict=True)
    assert strict.is_valid({"a": 1, "b": 2, "nested": {"x": 1}})
    assert not strict.is_valid({"a": 1, "c": 2})
    assert not strict.is_valid({"nested": {"x": 1, "y": 2}})
    assert compiled(schema).is_valid({"a": 1, "c": 2, "nested": {"y": 2}})


def test_strict_mode_keeps_what_the_schema_says_about_extra_properties() -> None:
    schema = {"properties": {"a": {}}, "additionalProperties": {"type": "string"}}
    strict = compiled(schema, strict=True)
    assert strict.is_valid({"a": 1, "b": "extra"})
    assert not strict.is_valid({"a": 1, "b": 2})


def test_strict_mode_leaves_open_schemas_open() -> None:
    """`{}` and non-object schemas describe no properties: strict mode adds nothing."""
    strict = compiled({"properties": {"meta": {}, "n": {"type": "integer"}}}, strict=True)
    assert strict.is_valid({"meta": {"anything": [1, 2]}, "n": 1})
    assert not strict.is_valid({"meta": {}, "other": 1})


def test_strict_mode_in_draft_7() -> None:
    draft7 = "http://json-schema.org/draft-07/schema#"
    schema = {
        "$schema": draft7,
        "properties": {"a": {"type": "object", "properties": {"b": {}}}},
        "definitions": {"d": {"properties": {"c": {}}}},
    }
    out = strictify(schema, "7")
    assert out["additionalProperties"] is False
    assert out["properties"]["a"]["additionalProperties"] is False
    assert out["definitions"]["d"]["additionalProperties"] is False
    assert "additionalProperties" not in schema  # a copy
    strict = compiled(schema, strict=True)
    assert strict.is_valid({"a": {"b": 1}})
    assert not strict.is_valid({"a": {"b": 1, "x": 2}})


# ---- formats -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("email", "ana@acme.com", "ana at acme"),
        ("uri", "https://acme.com/a?b=c", "not a uri"),
        ("date-time", "2025-11-25T10:00:00Z", "2025-11-25 10:00"),
        ("date", "2025-02-28", "2025-02-30"),
        ("ipv4", "192.168.0.1", "256.1.1.1"),
        ("ipv6", "::1", "::g"),
        ("uuid", "5f0c8e9a-3b1d-4c2e-9f7a-1b2c3d4e5f60", "5f0c8e9a3b1d"),
        ("hostname", "api.acme.com", "-bad-.com"),
    ],
)
def test_formats_are_asserted(fmt: str, good: str, bad: str) -> None:
    schema = compiled({"type": "string", "format": fmt})
    assert schema.is_valid(good)
    assert not schema.is_valid(bad)
    assert schema.errors(bad) == [
        {"pointer": "", "keyword": "format", "message": f"not a valid `{fmt}`"}
    ]
    assert compiled({"format": fmt}, formats=False).is_valid(bad)


# ---- JSON text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        ('{"a": 1} thanks', "text follows the JSON value at line 1, column 10", (1, 10)),
        ('Here:\n{"a": 1}', "it starts with text, not a JSON value (line 1, column 1)", (1, 1)),
        ('```json\n{"a": 1}\n```', "it is wrapped in a ``` code fence (line 1, column 1)", (1, 1)),
        ('{"a": [1, 2', "expecting ',' delimiter at line 1, column 12", (1, 12)),
        ("   ", "it is empty", (1, 4)),
    ],
)
def test_text_that_is_not_json(text: str, message: str, where: tuple[int, int]) -> None:
    with pytest.raises(EvalError) as raised:
        schema_builtins.parse_json(text)
    assert str(raised.value) == "the content is not JSON: " + message
    assert raised.value.details == {"line": where[0], "column": where[1]}


def test_the_json_error_reaches_the_violation_details() -> None:
    guard = railguard.loads(policy("deny output unless schema.json(content).ok == true"))
    verdict = guard.evaluate(railguard.ModelOutput(content='{"ok": true} Done!'))
    (violation,) = verdict.violations
    assert (
        violation.error
        == "the content is not JSON: text follows the JSON value at line 1, column 14"
    )
    assert violation.details == {"line": 1, "column": 14}


def test_valid_json_details_say_why() -> None:
    schema = inline({"required": ["answer"]})
    guard = railguard.loads(policy(f"deny output unless schema.valid_json(content, {schema})"))
    prose = guard.evaluate(railguard.ModelOutput(content="42")).violations
    assert prose == ()  # `42` is JSON, and a number passes `required`
    verdict = guard.evaluate(railguard.ModelOutput(content="The answer is 42"))
    assert verdict.violations[0].details == {
        "schema": [
            {
                "pointer": "",
                "keyword": "json",
                "message": "the content is not JSON: it starts with text, not a JSON value (line 1, column 1)",
            }
        ]
    }
    verdict = guard.evaluate(railguard.ModelOutput(content="{}"))
    assert verdict.violations[0].details == {
        "schema": [
            {
                "pointer": "/answer",
                "keyword": "required",
                "message": "required property `answer` is missing",
            }
        ]
    }


# ---- properties ----------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["ana@acme.com", "2025-01-02", "https://acme.com", "C00042", "open", "EUR"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.one_of(
                st.sampled_from(sorted({k for s in CATALOG.values() for k in s["properties"]})),
                st.text(max_size=6),
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)
PROPS = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
SCHEMAS = {name: compiled(s) for name, s in CATALOG.items()}
STRICT = {name: compiled(s, strict=True) for name, s in CATALOG.items()}


def _resolve(value: Any, pointer: str) -> bool:
    if pointer == "":
        return True
    for raw in pointer[1:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return False
    return True


@PROPS
@given(st.sampled_from(sorted(CATALOG)), json_values)
def test_errors_are_empty_exactly_when_valid(tool: str, value: Any) -> None:
    schema = SCHEMAS[tool]
    found = schema.errors(value)
    assert (found == []) == schema.is_valid(value), found
    for error in found:
        where = error["pointer"]
        if error["keyword"] == "required":
            where = where.rsplit("/", 1)[0]  # the property is missing; its object is there
        assert _resolve(value, where), (error, value)


@PROPS
@given(st.sampled_from(sorted(CATALOG)), json_values)
def test_strict_mode_only_narrows(tool: str, value: Any) -> None:
    if STRICT[tool].is_valid(value):
        assert SCHEMAS[tool].is_valid(value)


@PROPS
@given(st.sampled_from(sorted(CATALOG)), json_values)
def test_agrees_with_the_jsonschema_library(tool: str, value: Any) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    reference = jsonschema.Draft202012Validator(
        CATALOG[tool], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert SCHEMAS[tool].is_valid(value) == reference.is_valid(value)


@PROPS
@given(json_values, st.text(min_size=1, max_size=10).filter(lambda t: t.strip() != ""))
def test_json_text_round_trips_and_refuses_prose(value: Any, prose: str) -> None:
    text = json.dumps(value)
    parsed = schema_builtins.parse_json(text)
    assert parsed == value or (isinstance(value, float) and math.isclose(parsed, value))
    with pytest.raises(EvalError):
        schema_builtins.parse_json(text + " " + prose)


def test_load_error_is_a_value_error() -> None:
    """Loaders raise `LoadError`; it carries the hint the diagnostic shows."""
    with pytest.raises(LoadError) as raised:
        load_schema("nope.json", LoadContext(Path.cwd()))
    assert raised.value.hint == "schema paths are relative to the folder of the policy file"
