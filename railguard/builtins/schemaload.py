"""Load JSON Schemas for the `schema` builtins: offline, checked, compiled once.

`load_schema` runs when a policy compiles. It reads the schema (a file relative to the
policy, or inline JSON), follows every `$ref` with `referencing` (local files, documents in
the policy's folder registered under their `$id`, folders the engine maps to URI prefixes
with `schema_roots`, the drafts' own metaschemas; never the network), checks each document
against its metaschema, and compiles one `jsonschema-rs` validator. Every failure is a
`LoadError` naming the document and the JSON pointer of the bad part, which the compiler
reports at the argument.

Validation at run time is that validator's `is_valid`: jsonschema-rs passes every required
test of the official suite for drafts 2020-12, 2019-09 and 7 (and the optional `format`
tests), and is the fastest of the libraries measured (docs/schema.md), so no schema needs
another library. Patterns run on the linear-time `regex` engine (as RE2 runs policy
patterns): a `pattern` with lookaround or backreferences is a compile error.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import url2pathname

import jsonschema_rs
import referencing.exceptions as rx
from jsonschema_specifications import REGISTRY as METASCHEMAS  # type: ignore[import-untyped]
from referencing import Registry, Resource, Specification
from referencing.jsonschema import (
    DRAFT4,
    DRAFT6,
    DRAFT7,
    DRAFT201909,
    DRAFT202012,
    UnknownDialect,
    specification_with,
)

from railguard.builtins.registry import EvalError, LoadContext, LoadError

MAX_SCHEMA_BYTES = 4 * 1024 * 1024
MAX_ERRORS = 50  # errors listed for one value
MAX_MESSAGE = 200  # characters of one error message
_ID_SCAN_FILES = 2000  # JSON files read at most when looking for a document by `$id`
_ID_SCAN_DEPTH = 4
_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})

DRAFT_NAMES: dict[int, str] = {
    id(DRAFT202012): "2020-12",
    id(DRAFT201909): "2019-09",
    id(DRAFT7): "7",
    id(DRAFT6): "6",
    id(DRAFT4): "4",
}
# The keywords that reference another schema, by draft.
_REF_KEYWORDS: dict[int, tuple[str, ...]] = {
    id(DRAFT202012): ("$ref", "$dynamicRef"),
    id(DRAFT201909): ("$ref", "$recursiveRef"),
}

SchemaError = dict[str, str]  # {"pointer", "keyword", "message"}


def pointer(parts: Iterator[str | int] | list[str | int] | tuple[str | int, ...]) -> str:
    """The JSON pointer (RFC 6901) of a path: `["a", 0, "b/c"]` -> `/a/0/b~1c`."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


class Schema:
    """A compiled JSON Schema. `is_valid` is the validator's own method (the hot path);
    `errors` lists where a value fails, each as `{pointer, keyword, message}`."""

    __slots__ = ("draft", "is_valid", "label", "strict", "uri", "validator")

    def __init__(self, validator: Any, uri: str, label: str, draft: str, strict: bool) -> None:
        self.validator = validator
        self.is_valid: Callable[[Any], bool] = validator.is_valid
        self.uri = uri
        self.label = label
        self.draft = draft
        self.strict = strict

    def check(self, value: Any, where: str) -> bool:
        """`is_valid`, with a value that is not JSON (a set, a non-string key) an `EvalError`."""
        try:
            return self.is_valid(value)
        except Exception as exc:
            raise EvalError(f"`{where}`: the value is not JSON: {exc}") from None

    def errors(self, value: Any, where: str = "schema.errors") -> list[SchemaError]:
        """Every place `value` fails the schema (at most `MAX_ERRORS`), in schema order.

        A missing required property and a property the schema does not allow are reported
        at the property's own pointer (`/to`), the rest at the failing value's pointer.
        """
        out: list[SchemaError] = []
        seen: set[tuple[str, str, str]] = set()
        try:
            for error in self.validator.iter_errors(value):
                for item in _describe(error):
                    key = (item["pointer"], item["keyword"], item["message"])
                    if key not in seen:
                        seen.add(key)
                        out.append(item)
                if len(out) >= MAX_ERRORS:
                    break
        except Exception as exc:
            raise EvalError(f"`{where}`: the value is not JSON: {exc}") from None
        return out[:MAX_ERRORS]

    def __repr__(self) -> str:
        return f"Schema({self.label}, draft {self.draft}{', strict' if self.strict else ''})"


def _describe(error: Any) -> list[SchemaError]:
    where = list(error.instance_path)
    kind = error.kind
    name = str(kind.name)
    if name == "required":
        prop = str(kind.property)
        return [
            {
                "pointer": pointer([*where, prop]),
                "keyword": "required",
                "message": f"required property `{prop}` is missing",
            }
        ]
    if name in ("additionalProperties", "unevaluatedProperties"):
        return [
            {
                "pointer": pointer([*where, str(prop)]),
                "keyword": name,
                "message": f"property `{prop}` is not allowed",
            }
            for prop in kind.unexpected
        ]
    if name == "propertyNames":
        inner = _message(kind.error)
        return [
            {"pointer": pointer(where), "keyword": name, "message": f"a property name: {inner}"}
        ]
    return [{"pointer": pointer(where), "keyword": name, "message": _message(error)}]


def _json(value: Any) -> str:
    return _short(json.dumps(value, ensure_ascii=False, default=str))


def _n(count: Any, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}


def _message(error: Any) -> str:
    """What failed, in words that do not repeat the value (which may be a secret: verdicts
    and logs carry these messages)."""
    kind = error.kind
    name = str(kind.name)
    limit = getattr(kind, "limit", None)
    value = error.instance
    if name == "type":
        got = "null" if value is None else _JSON_TYPES.get(type(value), "object")
        return f"expected {' or '.join(kind.types)}, got {got}"
    simple: dict[str, Callable[[], str]] = {
        "format": lambda: f"not a valid `{kind.format}`",
        "enum": lambda: f"not one of {_json(kind.options)}",
        "const": lambda: f"not the constant {_json(kind.expected_value)}",
        "minLength": lambda: f"shorter than {_n(limit, 'character')}",
        "maxLength": lambda: f"longer than {_n(limit, 'character')}",
        "minimum": lambda: f"less than the minimum of {limit}",
        "maximum": lambda: f"greater than the maximum of {limit}",
        "exclusiveMinimum": lambda: f"not greater than {limit}",
        "exclusiveMaximum": lambda: f"not less than {limit}",
        "multipleOf": lambda: f"not a multiple of {kind.multiple_of}",
        "pattern": lambda: f"does not match the pattern `{_short(str(kind.pattern))}`",
        "minItems": lambda: f"fewer than {_n(limit, 'item')}",
        "maxItems": lambda: f"more than {_n(limit, 'item')}",
        "uniqueItems": lambda: "items are not unique",
        "minProperties": lambda: f"fewer than {_n(limit, 'property', 'properties')}",
        "maxProperties": lambda: f"more than {_n(limit, 'property', 'properties')}",
        "anyOf": lambda: "matches none of the `anyOf` schemas",
        "not": lambda: "matches the schema of `not`",
        "falseSchema": lambda: "no value is allowed here",
        "contains": lambda: "no item matches `contains`",
        "minContains": lambda: f"fewer than {_n(limit, 'item')} match `contains`",
        "maxContains": lambda: f"more than {_n(limit, 'item')} match `contains`",
    }
    if name in simple:
        return simple[name]()
    if name == "oneOf":
        if "more than one" in str(error.message):
            return "matches more than one of the `oneOf` schemas"
        return "matches none of the `oneOf` schemas"
    if name in ("unevaluatedItems", "additionalItems"):
        return f"item not allowed by `{name}`"
    return _short(str(error.message))


# ---- loading ------------------------------------------------------------------------


def load_schema(
    value: object, context: LoadContext, strict: object = False, formats: object = True
) -> Schema:
    """The `Static` loader of a `schema` argument: a file path or inline JSON."""
    if not isinstance(value, str):
        raise LoadError("a schema is a file path or inline JSON, written as a string")
    text = value.strip()
    key = ("schema", str(context.policy_dir), text, bool(strict), bool(formats))
    cached = context.cache.get(key)
    if isinstance(cached, Schema):
        return cached
    if text[:1] in ("{", "[") or text in ("true", "false"):
        contents = _parse(text, "the inline schema")
        uri = (context.policy_dir / "(inline schema)").as_uri()
        label = "the inline schema"
    else:
        if not text:
            raise LoadError(
                "the schema path is empty", "name a JSON file, or write the schema inline"
            )
        path = context.policy_dir / text
        label = f"`{text}`"
        contents = _read(path, label, missing_hint=_MISSING_HINT)
        uri = path.resolve().as_uri()
    schema = compile_schema(
        contents, uri, label, context, strict=bool(strict), formats=bool(formats)
    )
    context.cache[key] = schema
    return schema


def compile_schema(
    contents: Any, uri: str, label: str, context: LoadContext, *, strict: bool, formats: bool
) -> Schema:
    """Crawl, check and compile one schema document (and everything it references)."""
    crawler = _Crawler(context)
    crawler.crawl(uri, contents, label)
    documents: dict[str, Any] = {}
    for doc_uri, doc in crawler.documents.items():
        if doc_uri != uri and isinstance(doc, dict) and "$schema" not in doc:
            # a referenced document without `$schema` is read in its referrer's draft
            doc = {"$schema": crawler.dialects[doc_uri], **doc}
        documents[doc_uri] = doc
    rs_registry = _rs_registry(documents, label)
    for doc_uri, doc in documents.items():
        _check_metaschema(doc, crawler.labels[doc_uri], crawler.drafts[doc_uri], rs_registry)
    draft = crawler.drafts[uri]
    if strict:
        documents = {u: strictify(d, crawler.drafts[u]) for u, d in documents.items()}
        rs_registry = _rs_registry(documents, label)
    try:
        validator = jsonschema_rs.validator_for(
            documents[uri],
            registry=rs_registry,
            base_uri=uri,
            validate_formats=formats,
            pattern_options=jsonschema_rs.RegexOptions(),
            offline=True,
        )
    except jsonschema_rs.ValidationError as exc:
        raise _schema_error(exc, label, draft) from None
    except Exception as exc:
        raise LoadError(f"{label} cannot be compiled: {_short(str(exc))}") from None
    return Schema(validator, uri, label, draft, strict)


def _rs_registry(documents: Mapping[str, Any], label: str) -> Any:
    try:
        return jsonschema_rs.Registry(list(documents.items()))
    except Exception as exc:
        raise LoadError(
            f"the documents {label} references cannot be read: {_short(str(exc))}"
        ) from None


def _check_metaschema(contents: Any, label: str, draft: str, rs_registry: Any) -> None:
    if not isinstance(contents, dict | bool):
        raise LoadError(f"{label} is not a JSON Schema: a schema is an object or a boolean")
    try:
        jsonschema_rs.meta.validate(contents, registry=rs_registry)
    except jsonschema_rs.ValidationError as exc:
        raise _schema_error(exc, label, draft) from None
    except jsonschema_rs.ReferencingError as exc:
        raise LoadError(f"{label} names an unknown `$schema`: {_short(str(exc))}") from None


def _schema_error(exc: Any, label: str, draft: str) -> LoadError:
    path = list(exc.instance_path)
    where = pointer(path) or "/"
    kind = exc.kind
    if str(kind.name) == "format" and str(getattr(kind, "format", "")) == "regex":
        return LoadError(
            f"the pattern `{_short(str(exc.instance))}` at `{where}` in {label} cannot run in linear time",
            "schema patterns run on a linear-time engine, which has no lookaround or backreferences",
        )
    if path and path[-1] == "type" and str(kind.name) == "anyOf":
        shown = _short(json.dumps(exc.instance, ensure_ascii=False))
        problem = f"{shown} is not a type (array, boolean, integer, null, number, object, string)"
    else:
        problem = _message(exc)
    return LoadError(
        f"{label} is not a valid JSON Schema (draft {draft}): at `{where}`: {problem}",
        "the schema is checked against its `$schema` metaschema; fix the part at that JSON pointer",
    )


def _parse(text: str, label: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise LoadError(
            f"{label} is not JSON: {exc.msg.lower()} at line {exc.lineno}, column {exc.colno}",
            'inline JSON is written in a string: `"{\\"type\\": \\"object\\"}"`'
            if label == "the inline schema"
            else None,
        ) from None
    except (ValueError, RecursionError) as exc:
        raise LoadError(f"{label} is not JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not JSON")


def _read(path: Path, label: str, missing_hint: str | None = None) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_SCHEMA_BYTES:
            raise LoadError(f"schema file {label} is larger than {MAX_SCHEMA_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoadError(f"schema file {label} does not exist", missing_hint) from None
    except IsADirectoryError:
        raise LoadError(f"schema file {label} is a folder") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LoadError(f"cannot read schema file {label}: {exc}") from None
    return _parse(text, f"schema file {label}")


_MISSING_HINT = "schema paths are relative to the folder of the policy file"


# ---- following `$ref` ------------------------------------------------------------------


class _Crawler:
    """Follows every reference of a schema and of the documents it reaches, offline.

    `documents` maps each document's URI to its contents (the root first); `labels` says
    how messages name it; `drafts` its draft. A reference that does not resolve raises
    `LoadError` with the document and the JSON pointer of the `$ref`.
    """

    def __init__(self, context: LoadContext) -> None:
        self.context = context
        self.root = ""
        self.documents: dict[str, Any] = {}
        self.labels: dict[str, str] = {}
        self.drafts: dict[str, str] = {}
        self.dialects: dict[str, str] = {}  # the `$schema` a document is read with
        self.specs: dict[str, Specification[Any]] = {}
        self.resources: dict[str, Resource[Any]] = {}
        self.pending: list[str] = []
        self.default: Specification[Any] = DRAFT202012
        self.failure: str | None = None  # why the last retrieval failed
        self.base = Registry(retrieve=self._retrieve).combine(METASCHEMAS)  # type: ignore[call-arg]

    def crawl(self, uri: str, contents: Any, label: str) -> None:
        self.root = uri
        self._add(uri, contents, label, DRAFT202012)
        while self.pending:
            self._walk_document(self.pending.pop(0))

    # -- documents

    def _add(
        self, uri: str, contents: Any, label: str, default: Specification[Any]
    ) -> Resource[Any]:
        spec = self._spec_of(contents, default, label)
        resource = spec.create_resource(contents)
        self.documents[uri] = contents
        self.labels[uri] = label
        self.specs[uri] = spec
        self.drafts[uri] = DRAFT_NAMES.get(id(spec), "2020-12")
        dialect = contents.get("$schema") if isinstance(contents, dict) else None
        self.dialects[uri] = dialect if isinstance(dialect, str) else _DIALECTS[id(spec)]
        self.resources[uri] = resource
        self.pending.append(uri)
        return resource

    def _spec_of(
        self, contents: Any, default: Specification[Any], label: str, depth: int = 0
    ) -> Specification[Any]:
        dialect = contents.get("$schema") if isinstance(contents, dict) else None
        if not isinstance(dialect, str):
            return default
        try:
            return specification_with(dialect)
        except UnknownDialect:
            pass
        if depth > 8:
            raise LoadError(f"the `$schema` of {label} leads through too many metaschemas")
        # a custom metaschema: read in the draft of its own `$schema`
        try:
            meta = self._registry().resolver().lookup(dialect).contents
        except rx.Unresolvable:
            raise LoadError(
                f"{label} names an unknown `$schema` `{dialect}`",
                "drafts 2020-12, 2019-09 and 7 are known; a custom metaschema must be a local document",
            ) from None
        return self._spec_of(meta, default, label, depth + 1)

    def _registry(self) -> Registry[Any]:
        return self.base.with_resources(self.resources.items())

    def _retrieve(self, uri: str) -> Resource[Any]:
        """A document referenced by URI: a local file, a document of the policy's folder
        registered under its `$id`, or one under a `schema_roots` prefix. Never the network."""
        self.failure = None
        found = self._locate(uri)
        if found is None:
            self.failure = "remote"
            raise rx.NoSuchResource(uri)
        path, label = found
        try:
            contents = _read(path, label)
        except LoadError as exc:
            self.failure = exc.message
            raise rx.NoSuchResource(uri) from None
        return self._add(uri, contents, label, self.default)

    def _locate(self, uri: str) -> tuple[Path, str] | None:
        parts = urlsplit(uri)
        if parts.scheme == "file":
            path = Path(url2pathname(parts.path))
            return path, f"`{_relative(path, self.context.policy_dir)}`"
        roots: Mapping[str, Path] = self.context.config.get("schema_roots") or {}
        for prefix, folder in roots.items():
            if uri.startswith(prefix):
                rest = uri[len(prefix) :].lstrip("/")
                path = Path(folder) / url2pathname(rest)
                return path, f"`{_relative(path, self.context.policy_dir)}` (for `{uri}`)"
        path_by_id = _id_index(self.context).get(uri.rstrip("#"))
        if path_by_id is not None:
            return path_by_id, f"`{_relative(path_by_id, self.context.policy_dir)}`"
        return None

    # -- references

    def _walk_document(self, uri: str) -> None:
        contents = self.documents[uri]
        spec = self.specs[uri]
        label = self.labels[uri]
        pointers = _pointer_map(contents)
        self.default = spec
        resolver = self._registry().resolver(uri)
        stack: list[tuple[Any, Any, Specification[Any]]] = [(contents, resolver, spec)]
        while stack:
            node, resolver, spec = stack.pop()
            if not isinstance(node, dict):
                continue
            spec = self._spec_of(node, spec, label) if node is not contents else spec
            resolver = resolver.in_subresource(spec.create_resource(node))
            for keyword in _REF_KEYWORDS.get(id(spec), ("$ref",)):
                ref = node.get(keyword)
                if isinstance(ref, str):
                    where = pointers.get(id(node), "") + "/" + keyword
                    self._check_ref(resolver, ref, keyword, where, label, spec)
            stack.extend((child, resolver, spec) for child in spec.subresources_of(node))

    def _last_failure(self) -> str | None:
        """Why the last retrieval failed (set by `_retrieve` during a lookup)."""
        return self.failure

    def _check_ref(
        self,
        resolver: Any,
        ref: str,
        keyword: str,
        where: str,
        label: str,
        spec: Specification[Any],
    ) -> None:
        self.failure = None
        self.default = spec
        try:
            resolver.lookup(ref)
            return
        except rx.PointerToNowhere as exc:
            reason = f"`{exc.ref}` does not exist in the document it names"
        except rx.NoSuchAnchor as exc:
            reason = f"no schema has the anchor `{exc.anchor}`"
        except rx.Unresolvable:
            reason = ""
        except LoadError:
            raise
        except Exception as exc:  # a document that is not a schema, a bad `$id`
            reason = _short(str(exc))
        target = _target(resolver, ref)
        head = f"`{keyword}` `{ref}` at `{where}` in {label}"
        failure = self._last_failure()
        if failure == "remote":
            named = "" if target == ref else f" (`{target}`)"
            raise LoadError(
                f"{head} names a remote document{named}: schemas are resolved offline, never downloaded",
                "save the document in the policy's folder (a JSON file there whose `$id` is that "
                "URI is found), or map its URI prefix to a folder with `schema_roots`",
            )
        if failure:
            raise LoadError(
                f"{head} does not resolve: {failure}",
                "a relative `$ref` is read from the folder of the schema that holds it",
            )
        raise LoadError(
            f"{head} does not resolve: {reason or 'no document or schema has that URI'}",
            "a `$ref` names a schema in the same document (`#/$defs/x`), a file beside the "
            "schema, or a document registered by `$id`",
        )


_DIALECTS: dict[int, str] = {
    id(DRAFT202012): "https://json-schema.org/draft/2020-12/schema",
    id(DRAFT201909): "https://json-schema.org/draft/2019-09/schema",
    id(DRAFT7): "http://json-schema.org/draft-07/schema#",
    id(DRAFT6): "http://json-schema.org/draft-06/schema#",
    id(DRAFT4): "http://json-schema.org/draft-04/schema#",
}


def _target(resolver: Any, ref: str) -> str:
    base = getattr(resolver, "_base_uri", "")
    return urldefrag(urljoin(str(base), ref)).url or ref


def _relative(path: Path, folder: Path) -> str:
    try:
        return os.path.relpath(path, folder)
    except ValueError:
        return str(path)


def _pointer_map(contents: Any) -> dict[int, str]:
    """The JSON pointer of every object and array in a document, by identity."""
    out: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(contents, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            out[id(node)] = where
            stack.extend((v, where + pointer([k])) for k, v in node.items())
        elif isinstance(node, list):
            out[id(node)] = where
            stack.extend((v, f"{where}/{i}") for i, v in enumerate(node))
    return out


def _id_index(context: LoadContext) -> dict[str, Path]:
    """JSON documents in the policy's folder (and a few levels below) by their `$id`."""
    key = ("schema-ids", str(context.policy_dir))
    cached = context.cache.get(key)
    if isinstance(cached, dict):
        return cached
    index: dict[str, Path] = {}
    seen = 0
    root = context.policy_dir
    for folder, dirs, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and d not in _SKIP_DIRS and depth < _ID_SCAN_DEPTH
        )
        for name in sorted(files):
            if not name.endswith(".json") or seen >= _ID_SCAN_FILES:
                continue
            seen += 1
            path = Path(folder) / name
            try:
                if path.stat().st_size > MAX_SCHEMA_BYTES:
                    continue
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError):
                continue
            schema_id = data.get("$id") if isinstance(data, dict) else None
            if isinstance(schema_id, str) and urlsplit(schema_id).scheme:
                index.setdefault(schema_id.rstrip("#"), path)
    context.cache[key] = index
    return index


# ---- strict mode -------------------------------------------------------------------

# Keywords whose subschemas describe the same value (in place) or another value.
_IN_PLACE = ("allOf", "anyOf", "oneOf")
_IN_PLACE_ONE = ("if", "then", "else")
_VALUE_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_VALUE_ONE = (
    "additionalProperties",
    "unevaluatedProperties",
    "items",
    "additionalItems",
    "unevaluatedItems",
    "contains",
)
_OBJECT_WORDS = ("properties", "patternProperties", "required", "$ref", "$dynamicRef")


def strictify(contents: Any, draft: str) -> Any:
    """A copy of a schema that rejects properties it does not declare.

    Drafts 2019-09 and 2020-12: every object schema that says nothing about extra
    properties gets `unevaluatedProperties: false`, which sees the properties declared
    through `allOf`, `$ref` and the like. Draft 7 has no such keyword: object schemas that
    list `properties` and combine no other schema get `additionalProperties: false`.
    """
    out = copy.deepcopy(contents)
    modern = draft in ("2020-12", "2019-09")
    _strict_walk(out, value_position=True, modern=modern)
    return out


def _describes_object(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    if kind == "object" or (isinstance(kind, list) and "object" in kind):
        return True
    if any(k in node for k in _OBJECT_WORDS):
        return True
    children = [c for k in _IN_PLACE for c in _list(node.get(k))]
    children += [node[k] for k in _IN_PLACE_ONE if k in node]
    return any(isinstance(c, dict) and _describes_object(c) for c in children)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strict_walk(node: Any, *, value_position: bool, modern: bool) -> None:
    if not isinstance(node, dict):
        return
    open_ended = "additionalProperties" in node or "unevaluatedProperties" in node
    if value_position and not open_ended:
        if modern and _describes_object(node):
            node["unevaluatedProperties"] = False
        elif not modern and "properties" in node and not _combines(node):
            node["additionalProperties"] = False
    for key in _IN_PLACE:
        for child in _list(node.get(key)):
            _strict_walk(child, value_position=False, modern=modern)
    for key in _IN_PLACE_ONE:
        _strict_walk(node.get(key), value_position=False, modern=modern)
    for key in _VALUE_MAPS:
        children = node.get(key)
        if isinstance(children, dict):
            in_place = key == "dependentSchemas"
            for child in children.values():
                _strict_walk(child, value_position=not in_place, modern=modern)
    for key in _VALUE_ONE:
        child = node.get(key)
        if isinstance(child, list):  # draft 7 tuple `items`
            for item in child:
                _strict_walk(item, value_position=True, modern=modern)
        else:
            _strict_walk(child, value_position=True, modern=modern)
    for item in _list(node.get("prefixItems")):
        _strict_walk(item, value_position=True, modern=modern)


def _combines(node: dict[str, Any]) -> bool:
    return any(k in node for k in (*_IN_PLACE, *_IN_PLACE_ONE, "$ref", "dependencies"))
