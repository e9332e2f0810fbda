"""Schema conformance: JSON Schema (drafts 2020-12, 2019-09, 7) and pydantic models.

A schema argument is fixed in the policy: a file path relative to the policy file, or
inline JSON in a string. It is read, checked against its metaschema, its `$ref`s followed
offline and compiled once, when the policy loads (`schemaload.py`); a bad schema is a
compile error there, never a surprise on the first event. At run time `schema.valid` is one
call of a compiled jsonschema-rs validator.

`format` (email, uri, date-time, date, ipv4, ipv6, uuid, ...) is an assertion unless a
call says `formats: false`; `strict: true` rejects properties a schema does not declare
even where it forgot `additionalProperties: false`. Errors (`schema.errors`, a violation's
`details`) are `{pointer, keyword, message}` objects whose pointer is the RFC 6901 JSON
pointer of the failing value, or of the property that is missing or not allowed.

`schema.model` validates against a pydantic model, but only from modules the engine's
`allow_imports` lists: importing a module runs its code.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Annotated, Any

from railguard.builtins.registry import EvalError, LoadContext, LoadError, Static, builtin
from railguard.builtins.schemaload import (
    MAX_ERRORS,
    Schema,
    SchemaError,
    compile_schema,
    load_schema,
    pointer,
)

# ---- parameters ----------------------------------------------------------------------

Value = Annotated[Any, "the value to check: `args`, a part of it, or parsed content"]
SchemaArg = Annotated[
    Schema,
    "a JSON Schema, fixed in the policy: a file path relative to the policy file, or inline "
    'JSON in a string (`"{\\"type\\": \\"object\\"}"`)',
    Static(load_schema, uses=("strict", "formats")),
]
Strict = Annotated[
    bool,
    "reject properties the schema does not declare, even where it says nothing about "
    "additional properties",
]
Formats = Annotated[
    bool,
    "check `format` (email, uri, date-time, uuid, ...) as an assertion; false leaves it an "
    "annotation, as drafts 2019-09 and 2020-12 do by default",
]
Text = Annotated[Any, "text that must be exactly one JSON value (non-text content is taken as is)"]


# ---- JSON Schema -----------------------------------------------------------------------


def _details(value: Any, schema: Schema, *_: Any) -> dict[str, Any] | None:
    """A failing value's errors for the violation's `details` (nothing when it conforms)."""
    try:
        errors = schema.errors(value)
    except EvalError:
        return None
    return {"schema": errors} if errors else None


@builtin(
    "schema.valid",
    examples=[
        'schema.valid(args, "{\\"type\\": \\"object\\", \\"required\\": [\\"invoice_id\\"]}")',
        'schema.valid(args.customer, "{\\"properties\\": {\\"id\\": {\\"type\\": \\"integer\\"}}}", strict: true)',
    ],
    details=_details,
)
def valid(value: Value, schema: SchemaArg, strict: Strict = False, formats: Formats = True) -> bool:
    """True when `value` conforms to the JSON Schema.

    When a rule that calls it matches, the violation's `details` carry `schema`: the list of
    `{pointer, keyword, message}` errors. A value that is not JSON (a set) fails closed.
    """
    try:
        return schema.is_valid(value)
    except Exception as exc:
        raise EvalError(f"`schema.valid`: the value is not JSON: {exc}") from None


@builtin(
    "schema.errors",
    examples=[
        'len(schema.errors(args, "{\\"required\\": [\\"to\\", \\"subject\\"]}")) > 0',
    ],
)
def errors(
    value: Value, schema: SchemaArg, strict: Strict = False, formats: Formats = True
) -> list[SchemaError]:
    """Where `value` fails the JSON Schema: a list of `{pointer, keyword, message}` errors.

    The list is empty when the value conforms. The pointer is the JSON pointer of the
    failing value; a required property that is missing, or a property the schema does not
    allow, is reported at its own pointer (`/to`). At most 50 errors are listed. Use it in
    messages:
    `message "bad arguments: {schema.errors(args, \\"send_email.json\\")}"`.
    """
    return schema.errors(value, "schema.errors")


def parse_json(text: Any, where: str = "schema.json") -> Any:
    """The one JSON value `text` holds; `EvalError` saying where it stops being JSON."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise EvalError(_not_json(text, exc), {"line": exc.lineno, "column": exc.colno}) from None
    except RecursionError:
        raise EvalError(f"`{where}`: the JSON nests too deeply") from None
    except ValueError as exc:
        raise EvalError(f"the content is not JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not a JSON number")


def _not_json(text: str, exc: json.JSONDecodeError) -> str:
    where = f"line {exc.lineno}, column {exc.colno}"
    if not text.strip():
        return "the content is not JSON: it is empty"
    if exc.msg == "Extra data":
        return f"the content is not JSON: text follows the JSON value at {where}"
    if text.lstrip().startswith("```"):
        return f"the content is not JSON: it is wrapped in a ``` code fence ({where})"
    if exc.msg == "Expecting value" and exc.pos == len(text) - len(text.lstrip()):
        return f"the content is not JSON: it starts with text, not a JSON value ({where})"
    return f"the content is not JSON: {exc.msg.lower()} at {where}"


@builtin(
    "schema.json",
    examples=['schema.json(content).status == "ok"', "schema.json(content) == null"],
)
def json_value(text: Text) -> Any:
    """The JSON value that `text` holds; anything but exactly one JSON value fails closed.

    Prose before or after the value, a code fence or a truncated object is an error that
    says where the JSON stops (line and column, also in the violation's `details`). Content
    that is already JSON (a `result` event's object) is returned as is.
    """
    return parse_json(text)


def _json_details(text: Any, schema: Schema, *_: Any) -> dict[str, Any] | None:
    try:
        value = parse_json(text, "schema.valid_json")
    except EvalError as exc:
        return {"schema": [{"pointer": "", "keyword": "json", "message": str(exc)}]}
    return _details(value, schema)


@builtin(
    "schema.valid_json",
    examples=[
        'schema.valid_json(content, "{\\"type\\": \\"object\\", \\"required\\": [\\"answer\\"]}")',
    ],
    details=_json_details,
)
def valid_json(
    text: Text, schema: SchemaArg, strict: Strict = False, formats: Formats = True
) -> bool:
    """True when `text` is exactly one JSON value that conforms to the JSON Schema.

    False for text that is not JSON (prose around it, a code fence) or does not conform.
    For `output` and `result` events whose content should be JSON. The violation's
    `details` say which: a `json` error with the line and column, or the schema errors.
    """
    try:
        value = parse_json(text, "schema.valid_json")
    except EvalError:
        return False
    return schema.check(value, "schema.valid_json")


# ---- tool catalogs ---------------------------------------------------------------------


class ToolSchemas:
    """The compiled parameter schema of every tool of a catalog."""

    __slots__ = ("label", "schemas")

    def __init__(self, schemas: Mapping[str, Schema], label: str) -> None:
        self.schemas = dict(schemas)
        self.label = label

    def get(self, tool: Any, where: str) -> Schema:
        schema = self.schemas.get(tool) if isinstance(tool, str) else None
        if schema is None:
            raise EvalError(f"`{where}`: tool `{tool}` is not in {self.label}")
        return schema


def load_catalog(
    value: object, context: LoadContext, strict: object = False, formats: object = True
) -> ToolSchemas:
    """The `Static` loader of a catalog argument: the policy's `tools from` when empty."""
    from railguard.policylang.catalog import CatalogError
    from railguard.policylang.catalog import load_catalog as read_catalog

    if not isinstance(value, str):
        raise LoadError("a tool catalog is a file path, written as a string")
    key = ("catalog", str(context.policy_dir), value, bool(strict), bool(formats))
    cached = context.cache.get(key)
    if isinstance(cached, ToolSchemas):
        return cached
    if value:
        path = context.policy_dir / value
        try:
            tools: Mapping[str, Any] = read_catalog(path)
        except CatalogError as exc:
            raise LoadError(str(exc)) from None
        label, folder = f"the catalog `{value}`", path.resolve().parent
    else:
        if not context.catalog:
            raise LoadError(
                "the policy has no tool catalog to check arguments against",
                'add `tools from "tools.json"` to the policy, or name a catalog: `catalog: "tools.json"`',
            )
        tools = context.catalog
        label, folder = "the policy's tool catalog", context.policy_dir
    schemas = {}
    for name, tool in tools.items():
        uri = (folder / f"{name}.parameters.json").as_uri()
        schemas[name] = compile_schema(
            tool.parameters,
            uri,
            f"the parameters of `{name}` in {label}",
            context,
            strict=bool(strict),
            formats=bool(formats),
        )
    loaded = ToolSchemas(schemas, label)
    context.cache[key] = loaded
    return loaded


Tool = Annotated[Any, "the tool's name, usually `tool`"]
Catalog = Annotated[
    ToolSchemas,
    "a tool catalog file relative to the policy; empty for the policy's own `tools from`",
    Static(load_catalog, uses=("strict", "formats")),
]


def _args_details(args: Any, tool: Any, catalog: ToolSchemas, *_: Any) -> dict[str, Any] | None:
    try:
        return _details(args, catalog.get(tool, "schema.args"))
    except EvalError:
        return None


@builtin(
    "schema.args",
    examples=["schema.args(args, tool)", "schema.args(args, tool, strict: true)"],
    details=_args_details,
)
def args_valid(
    args: Annotated[Any, "the call's arguments, usually `args`"],
    tool: Tool,
    catalog: Catalog = "",  # type: ignore[assignment]
    strict: Strict = False,
    formats: Formats = True,
) -> bool:
    """True when a call's arguments conform to its tool's parameter schema in the catalog.

    The catalog holds OpenAI function definitions or an MCP `tools/list` result. One rule
    checks every tool: `deny call * unless schema.args(args, tool)`. A tool the catalog
    lacks fails closed. Each tool's schema is compiled when the policy loads.
    """
    return catalog.get(tool, "schema.args").check(args, "schema.args")


@builtin("schema.args_errors", examples=["len(schema.args_errors(args, tool)) > 0"])
def args_errors(
    args: Annotated[Any, "the call's arguments, usually `args`"],
    tool: Tool,
    catalog: Catalog = "",  # type: ignore[assignment]
    strict: Strict = False,
    formats: Formats = True,
) -> list[SchemaError]:
    """Where a call's arguments fail its tool's parameter schema: a list of errors.

    Each error is `{pointer, keyword, message}`; the list is empty when they conform.
    """
    return catalog.get(tool, "schema.args_errors").errors(args, "schema.args_errors")


# ---- pydantic ----------------------------------------------------------------------------


class Model:
    """A pydantic model (or any type pydantic validates) named `module:Name`."""

    __slots__ = ("adapter", "error_type", "name")

    def __init__(self, adapter: Any, error_type: type[Exception], name: str) -> None:
        self.adapter = adapter
        self.error_type = error_type
        self.name = name

    def check(self, value: Any, where: str) -> bool:
        try:
            self.adapter.validate_python(value)
        except self.error_type:
            return False
        except Exception as exc:  # a validator of the model's own that raised
            raise EvalError(
                f"`{where}`: `{self.name}` raised {type(exc).__name__}: {exc}"
            ) from None
        return True

    def errors(self, value: Any, where: str) -> list[SchemaError]:
        try:
            self.adapter.validate_python(value)
        except self.error_type as exc:
            found = exc.errors(include_url=False)  # type: ignore[attr-defined]
            return [
                {
                    "pointer": pointer([p for p in e["loc"] if isinstance(p, str | int)]),
                    "keyword": str(e["type"]),
                    "message": str(e["msg"]),
                }
                for e in found[:MAX_ERRORS]
            ]
        except Exception as exc:
            raise EvalError(
                f"`{where}`: `{self.name}` raised {type(exc).__name__}: {exc}"
            ) from None
        return []

    def __repr__(self) -> str:
        return f"Model({self.name})"


def load_model(value: object, context: LoadContext) -> Model:
    """The `Static` loader of `schema.model`: import `package.module:Name`, if allowed."""
    if not isinstance(value, str):
        raise LoadError("a model is named as a string: `package.module:Model`")
    module_name, sep, attr = value.partition(":")
    if not (
        sep
        and all(p.isidentifier() for p in module_name.split("."))
        and all(p.isidentifier() for p in attr.split("."))
    ):
        raise LoadError(f"`{value}` does not name a model", 'write "package.module:Model"')
    allowed = tuple(context.config.get("allow_imports") or ())
    if not any(module_name == a or module_name.startswith(a + ".") for a in allowed):
        raise LoadError(
            f"module `{module_name}` is not in the engine's `allow_imports`",
            "importing a module runs its code, so policies may name models only from modules "
            f'the engine allows: `railguard.load(..., allow_imports=["{module_name}"])` or '
            f"`--allow-import {module_name}`",
        )
    key = ("model", value)
    cached = context.cache.get(key)
    if isinstance(cached, Model):
        return cached
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise LoadError(f"cannot import `{module_name}`: {exc}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise LoadError(f"`{module_name}` has no `{attr}`")
        obj = getattr(obj, part)
    import pydantic

    try:
        adapter = pydantic.TypeAdapter(obj)
    except Exception as exc:
        raise LoadError(f"`{value}` is not a type pydantic can validate: {exc}") from None
    model = Model(adapter, pydantic.ValidationError, value)
    context.cache[key] = model
    return model


ModelArg = Annotated[
    Model,
    'a pydantic model, fixed in the policy: `"package.module:Model"`, from a module the '
    "engine's `allow_imports` lists",
    Static(load_model),
]

_MODEL_EXAMPLE = "tests.builtins.schema.models:SendEmail"


def _model_details(value: Any, model: Model) -> dict[str, Any] | None:
    try:
        found = model.errors(value, "schema.model")
    except EvalError:
        return None
    return {"schema": found} if found else None


@builtin(
    "schema.model",
    examples=[f'schema.model(args, "{_MODEL_EXAMPLE}")'],
    details=_model_details,
)
def model_valid(value: Value, model: ModelArg) -> bool:
    """True when pydantic validates `value` against the model.

    Validation follows the model's own config: lax unless it says `strict`, and
    `extra="forbid"` rejects undeclared fields. The engine must allow the model's module
    (`allow_imports`); naming another module is a compile error, since importing a module
    runs its code.
    """
    return model.check(value, "schema.model")


@builtin(
    "schema.model_errors",
    examples=[f'len(schema.model_errors(args, "{_MODEL_EXAMPLE}")) > 0'],
)
def model_errors(value: Value, model: ModelArg) -> list[SchemaError]:
    """Where `value` fails the pydantic model: a list of `{pointer, keyword, message}` errors.

    The keyword is pydantic's error type; the list is empty when the value validates.
    """
    return model.errors(value, "schema.model_errors")
