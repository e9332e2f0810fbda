"""Compile errors of the `schema` builtins: which text each underlines, and what it says.

Every load-time problem (a schema file that is missing or not JSON, a schema its
metaschema rejects, a `$ref` that does not resolve or is remote, a pattern that needs
backtracking, a model from a module the engine does not allow, a catalog that is not
there) is an RG240 at the argument, naming the document and the JSON pointer of the bad
part; an argument read from the event is an RG219. Golden renderings of the same errors
are in `tests/policylang/golden/errors/schema_*.rail`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import railguard
from railguard.policylang.diagnostics import PolicyError
from tests.policylang.diagnostic_helpers import expect_diagnostic, policy


def inline(schema: object) -> str:
    """A schema as the policy string that holds it inline."""
    text = json.dumps(schema)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# (id, rule, underlined text, a piece of the message, a piece of the help or None)
INLINE_CASES: list[tuple[str, str, str, str, str | None]] = [
    (
        "not-json",
        'deny call t unless schema.valid(args, "{\\"type\\": object}")',
        '"{\\"type\\": object}"',
        "the inline schema is not JSON: expecting value at line 1, column 10",
        "inline JSON is written in a string",
    ),
    (
        "unknown-type",
        f"deny call t unless schema.valid(args, {inline({'properties': {'n': {'type': 'int'}}})})",
        inline({"properties": {"n": {"type": "int"}}}),
        'at `/properties/n/type`: "int" is not a type',
        "metaschema",
    ),
    (
        "negative-length",
        f"deny call t unless schema.valid(args.s, {inline({'maxLength': -1})})",
        inline({"maxLength": -1}),
        "at `/maxLength`: less than the minimum of 0",
        None,
    ),
    (
        "draft7-keyword-shape",
        "deny call t unless schema.valid(args, "
        + inline({"$schema": "http://json-schema.org/draft-07/schema#", "required": "id"})
        + ")",
        inline({"$schema": "http://json-schema.org/draft-07/schema#", "required": "id"}),
        "(draft 7): at `/required`: expected array, got string",
        None,
    ),
    (
        "pointer-to-nowhere",
        f"deny call t unless schema.valid(args, {inline({'$ref': '#/$defs/missing'})})",
        inline({"$ref": "#/$defs/missing"}),
        "`$ref` `#/$defs/missing` at `/$ref` in the inline schema does not resolve",
        None,
    ),
    (
        "unknown-anchor",
        f"deny call t unless schema.valid(args, {inline({'items': {'$ref': '#item'}})})",
        inline({"items": {"$ref": "#item"}}),
        "at `/items/$ref` in the inline schema does not resolve: no schema has the anchor `item`",
        None,
    ),
    (
        "remote-ref",
        "deny call t unless schema.valid(args, "
        + inline({"properties": {"a": {"$ref": "https://example.com/a.json"}}})
        + ")",
        inline({"properties": {"a": {"$ref": "https://example.com/a.json"}}}),
        "at `/properties/a/$ref` in the inline schema names a remote document: schemas are "
        "resolved offline, never downloaded",
        "save the document in the policy's folder",
    ),
    (
        "remote-metaschema",
        f"deny call t unless schema.valid(args, {inline({'$schema': 'https://example.com/meta'})})",
        inline({"$schema": "https://example.com/meta"}),
        "the inline schema names an unknown `$schema` `https://example.com/meta`",
        "drafts 2020-12, 2019-09 and 7",
    ),
    (
        "lookahead",
        f"deny call t unless schema.valid(args.s, {inline({'pattern': '^(?!tmp)'})})",
        inline({"pattern": "^(?!tmp)"}),
        "the pattern `^(?!tmp)` at `/pattern` in the inline schema cannot run in linear time",
        "no lookaround or backreferences",
    ),
    (
        "not-a-schema",
        'deny call t unless schema.valid(args, "[1, 2]")',
        '"[1, 2]"',
        "the inline schema is not a JSON Schema: a schema is an object or a boolean",
        None,
    ),
    (
        "empty-path",
        'deny call t unless schema.valid(args, "")',
        '""',
        "the schema path is empty",
        "write the schema inline",
    ),
    (
        "model-not-allowed",
        'deny call t unless schema.model(args, "os:PathLike")',
        '"os:PathLike"',
        "module `os` is not in the engine's `allow_imports`",
        "importing a module runs its code",
    ),
    (
        "model-not-a-name",
        'deny call t unless schema.model(args, "tests/models.py")',
        '"tests/models.py"',
        "`tests/models.py` does not name a model",
        '"package.module:Model"',
    ),
    (
        "no-catalog",
        "deny call * unless schema.args(args, tool)",
        "schema.args(args, tool)",
        "the policy has no tool catalog to check arguments against",
        "tools from",
    ),
]


@pytest.mark.parametrize(
    ("rule", "underline", "message", "help_text"),
    [c[1:] for c in INLINE_CASES],
    ids=[c[0] for c in INLINE_CASES],
)
def test_inline_schema_errors(
    rule: str, underline: str, message: str, help_text: str | None
) -> None:
    expect_diagnostic(
        policy(rule), code="RG240", underline=underline, message=message, help=help_text
    )


@pytest.mark.parametrize(
    ("rule", "underline", "name"),
    [
        ("deny call t unless schema.valid(args, args.schema)", "args.schema", "schema"),
        (
            'deny call t unless schema.valid(args, "true", strict: args.strict)',
            "args.strict",
            "strict",
        ),
        ('deny output unless schema.valid_json(content, "true", formats: 1 == 1)', "1 == 1", None),
        (
            'deny call t unless schema.args(args, tool, catalog: tool + ".json")',
            'tool + ".json"',
            "catalog",
        ),
    ],
)
def test_load_time_arguments_must_be_written_in_the_policy(
    rule: str, underline: str, name: str | None
) -> None:
    if name is None:  # `1 == 1` folds to a constant: it is written in the policy
        guard, found = railguard.check(policy(rule))
        assert guard is not None, [d.message for d in found]
        return
    expect_diagnostic(
        policy(rule),
        code="RG219",
        underline=underline,
        message=f"the argument `{name}` of",
        help="loaded once, when the policy loads",
    )


def _write(folder: Path, name: str, data: object) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


FILE_CASES: list[tuple[str, dict[str, object], str, str]] = [
    ("missing-file", {}, "schemas/nope.json", "schema file `schemas/nope.json` does not exist"),
    (
        "not-json-file",
        {"schemas/a.json": "not json"},
        "schemas/a.json",
        "schema file `schemas/a.json` is not JSON: expecting value at line 1, column 1",
    ),
    (
        "invalid-referenced-file",
        {
            "schemas/a.json": {"properties": {"b": {"$ref": "b.json"}}},
            "schemas/b.json": {"type": "object", "minProperties": "two"},
        },
        "schemas/a.json",
        "`schemas/b.json` is not a valid JSON Schema (draft 2020-12): at `/minProperties`: "
        "expected integer, got string",
    ),
    (
        "broken-ref-in-referenced-file",
        {
            "schemas/a.json": {"properties": {"b": {"$ref": "b.json"}}},
            "schemas/b.json": {"properties": {"c": {"$ref": "#/definitions/c"}}},
        },
        "schemas/a.json",
        "`$ref` `#/definitions/c` at `/properties/c/$ref` in `schemas/b.json` does not resolve",
    ),
    (
        "ref-to-missing-file",
        {"schemas/a.json": {"items": {"$ref": "item.json"}}},
        "schemas/a.json",
        "`$ref` `item.json` at `/items/$ref` in `schemas/a.json` does not resolve: schema file "
        "`schemas/item.json` does not exist",
    ),
]


@pytest.mark.parametrize(
    ("files", "path", "message"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES]
)
def test_schema_file_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, object],
    path: str,
    message: str,
) -> None:
    for name, data in files.items():
        if isinstance(data, str):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(data, encoding="utf-8")
        else:
            _write(tmp_path, name, data)
    monkeypatch.chdir(tmp_path)
    expect_diagnostic(
        policy(f'deny call t unless schema.valid(args, "{path}")'),
        code="RG240",
        underline=f'"{path}"',
        message=message,
    )


def test_paths_are_relative_to_the_policy_file(tmp_path: Path) -> None:
    """A policy file's schema paths (and the `$ref`s inside) are read from its folder,
    whatever the working directory."""
    folder = tmp_path / "policies" / "billing"
    _write(folder, "schemas/invoice.json", {"properties": {"total": {"$ref": "money.json"}}})
    _write(folder, "schemas/money.json", {"type": "number", "minimum": 0})
    (folder / "billing.rail").write_text(
        policy('deny call pay unless schema.valid(args, "schemas/invoice.json")'),
        encoding="utf-8",
    )
    guard = railguard.load(tmp_path / "policies")
    assert guard.evaluate(railguard.ToolCall(tool="pay", args={"total": 5})).allowed
    verdict = guard.evaluate(railguard.ToolCall(tool="pay", args={"total": -5}))
    assert verdict.decision == "deny"
    assert verdict.violations[0].details == {
        "schema": [
            {"pointer": "/total", "keyword": "minimum", "message": "less than the minimum of 0"}
        ]
    }


def test_an_included_file_reads_schemas_beside_itself(tmp_path: Path) -> None:
    _write(tmp_path / "shared", "id.json", {"type": "string", "format": "uuid"})
    (tmp_path / "shared" / "rules.rail").write_text(
        policy('deny call get unless schema.valid(args.id, "id.json")', name="shared"),
        encoding="utf-8",
    )
    (tmp_path / "main.rail").write_text(
        'policy main {\n  include "shared/rules.rail"\n}\n', encoding="utf-8"
    )
    guard = railguard.load(tmp_path / "main.rail")
    good = "5f0c8e9a-3b1d-4c2e-9f7a-1b2c3d4e5f60"
    assert guard.evaluate(railguard.ToolCall(tool="get", args={"id": good})).allowed
    assert not guard.evaluate(railguard.ToolCall(tool="get", args={"id": "nope"})).allowed


def test_documents_are_found_by_id_in_the_policy_folder(tmp_path: Path) -> None:
    """A `$ref` to an absolute URI resolves to the JSON file in the policy's folder whose
    `$id` it is, offline."""
    uri = "https://schemas.acme.com/address.json"
    _write(tmp_path, "vendor/address.json", {"$id": uri, "required": ["city"]})
    (tmp_path / "p.rail").write_text(
        policy(f"deny call ship unless schema.valid(args, {inline({'$ref': uri})})"),
        encoding="utf-8",
    )
    guard = railguard.load(tmp_path / "p.rail")
    assert guard.evaluate(railguard.ToolCall(tool="ship", args={"city": "Oslo"})).allowed
    assert not guard.evaluate(railguard.ToolCall(tool="ship", args={})).allowed


def test_schema_roots_map_a_uri_prefix_to_a_folder(tmp_path: Path) -> None:
    _write(tmp_path / "mirror", "v1/money.json", {"type": "number"})
    text = policy(
        "deny call pay unless schema.valid(args.total, "
        + inline({"$ref": "https://schemas.acme.com/v1/money.json"})
        + ")"
    )
    with pytest.raises(PolicyError) as raised:
        railguard.loads(text)
    assert "names a remote document" in str(raised.value)
    guard = railguard.loads(text, schema_roots={"https://schemas.acme.com/": tmp_path / "mirror"})
    assert guard.evaluate(railguard.ToolCall(tool="pay", args={"total": 3})).allowed
    assert not guard.evaluate(railguard.ToolCall(tool="pay", args={"total": "3"})).allowed


def test_model_modules_must_be_allowed() -> None:
    text = policy(
        'deny call send unless schema.model(args, "tests.builtins.schema.models:SendEmail")'
    )
    guard, found = railguard.check(text)
    assert guard is None and [d.code for d in found] == ["RG240"]
    guard, found = railguard.check(text, allow_imports=["tests.builtins.schema.models"])
    assert guard is not None, found
    guard, found = railguard.check(text, allow_imports=["tests"])  # a package allows its modules
    assert guard is not None, found
    guard, found = railguard.check(text, allow_imports=["tests.builtins.schema.model"])
    assert guard is None  # a prefix of a name is not its package


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("tests.builtins.schema.nothere:Model", "cannot import `tests.builtins.schema.nothere`"),
        ("tests.builtins.schema.models:Missing", "`tests.builtins.schema.models` has no `Missing`"),
        ("tests.builtins.schema.models:__doc__", "is not a type pydantic can validate"),
    ],
)
def test_model_load_errors(reference: str, message: str) -> None:
    text = policy(f'deny call send unless schema.model(args, "{reference}")')
    guard, found = railguard.check(text, allow_imports=["tests.builtins.schema"])
    assert guard is None
    assert [d.code for d in found] == ["RG240"]
    assert message in found[0].message, found[0].message


def test_the_cli_takes_allow_imports(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from railguard.cli import main

    path = tmp_path / "p.rail"
    path.write_text(
        policy(
            'deny call send unless schema.model(args, "tests.builtins.schema.models:SendEmail")'
        ),
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(main, ["lint", str(path)]).exit_code == 1
    allowed = runner.invoke(main, ["lint", str(path), "--allow-import", "tests.builtins.schema"])
    assert allowed.exit_code == 0, allowed.output
