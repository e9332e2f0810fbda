"""The four kinds of event an agent submits, and their validation from JSON.

Events are plain frozen dataclasses so that building one costs little on the hot path.
JSON from the CLI or the sidecar goes through `event_from_dict`, which validates it with
pydantic and reports every problem with the field it concerns.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, ClassVar, Literal

from railguard.policylang.diagnostics import Diagnostic, Severity
from railguard.policylang.span import Span

JSON = Any


@dataclass(frozen=True, slots=True)
class BaseEvent:
    kind: ClassVar[str]
    session: str | None
    context: dict[str, Any]

    tool: ClassVar[str | None] = None
    args: ClassVar[dict[str, Any] | None] = None
    content: ClassVar[JSON] = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for name in _payload_fields(type(self)):
            out[name] = getattr(self, name)
        out["session"] = self.session
        out["context"] = self.context
        error = getattr(self, "error", None)
        if error is not None:  # a tool result that reports a failure
            out["error"] = error
        return out


_PAYLOAD_FIELDS: dict[type, tuple[str, ...]] = {}


def _payload_fields(cls: type) -> tuple[str, ...]:
    found = _PAYLOAD_FIELDS.get(cls)
    if found is None:
        present = {f.name for f in fields(cls)}  # not `__dataclass_fields__`: it lists ClassVars
        found = _PAYLOAD_FIELDS[cls] = tuple(n for n in ("tool", "args", "content") if n in present)
    return found


@dataclass(frozen=True, slots=True)
class UserInput(BaseEvent):
    """A user's message reaches the model."""

    kind: ClassVar[str] = "input"
    content: JSON = ""  # type: ignore[misc]
    session: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolCall(BaseEvent):
    """The model asks to run a tool; evaluated before the tool runs."""

    kind: ClassVar[str] = "call"
    tool: str = ""  # type: ignore[misc]
    args: dict[str, Any] = field(default_factory=dict)  # type: ignore[misc]
    session: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolResult(BaseEvent):
    """A tool returned; evaluated before the model sees the result.

    `error` says that the call failed: `{"kind": "timeout", "retry_after": 30}`, the kind one
    of `ERROR_KINDS` and `retry_after` (seconds) what the tool reported, if anything. Circuit
    breakers (`breaker` in a policy) count these; None is a successful call.
    """

    kind: ClassVar[str] = "result"
    tool: str = ""  # type: ignore[misc]
    content: JSON = ""  # type: ignore[misc]
    session: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None


ERROR_KINDS = ("timeout", "rate_limited", "unavailable", "server_error", "bad_request")


@dataclass(frozen=True, slots=True)
class ModelOutput(BaseEvent):
    """The model's answer, before a user or downstream system sees it."""

    kind: ClassVar[str] = "output"
    content: JSON = ""  # type: ignore[misc]
    session: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


Event = UserInput | ToolCall | ToolResult | ModelOutput
EVENT_TYPES: dict[str, type[Event]] = {
    "input": UserInput,
    "call": ToolCall,
    "result": ToolResult,
    "output": ModelOutput,
}


# ---- validation at the boundary ---------------------------------------------


@functools.cache
def _validator() -> Any:
    """The pydantic model of a JSON event, built on first use so `import railguard` stays fast."""
    import pydantic

    tool_name = Annotated[str, pydantic.StringConstraints(min_length=1, max_length=256)]

    class Base(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid", strict=True)
        session: str | None = None
        context: dict[str, Any] = {}

    class Input(Base):
        kind: Literal["input"]
        content: JSON

    class Call(Base):
        kind: Literal["call"]
        tool: tool_name
        args: dict[str, Any] = {}

    class ToolError(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid", strict=True)
        kind: Literal["timeout", "rate_limited", "unavailable", "server_error", "bad_request"]
        retry_after: Annotated[float, pydantic.Field(ge=0, allow_inf_nan=False)] | None = None
        message: Annotated[str, pydantic.StringConstraints(max_length=1000)] | None = None

    class Result(Base):
        kind: Literal["result"]
        tool: tool_name
        content: JSON
        error: ToolError | None = None

    class Output(Base):
        kind: Literal["output"]
        content: JSON

    return pydantic.TypeAdapter(
        Annotated[Input | Call | Result | Output, pydantic.Field(discriminator="kind")]
    )


class EventError(ValueError):
    """An event that is not well-formed; `.diagnostics` names each bad field."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("; ".join(d.message for d in diagnostics))


_PHRASES = {
    "string_type": "must be a string",
    "dict_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "missing": "is missing",
    "extra_forbidden": "is not a field of this kind of event",
    "string_too_short": "must not be empty",
}


_FIELDS = {
    "input": frozenset({"kind", "content", "session", "context"}),
    "call": frozenset({"kind", "tool", "args", "session", "context"}),
    "result": frozenset({"kind", "tool", "content", "session", "context", "error"}),
    "output": frozenset({"kind", "content", "session", "context"}),
}


def _plain_event(data: Any) -> Event | None:
    """The event, when `data` is plainly valid; None sends it through pydantic.

    Accepts a subset of what the pydantic model accepts (exact `str`/`dict` types only) and
    builds the same event from it: the sidecar's hot path, where events are almost always
    well-formed. Anything else, valid or not, takes the full validation.
    """
    if type(data) is not dict:
        return None
    kind = data.get("kind")
    allowed = _FIELDS.get(kind) if type(kind) is str else None
    if allowed is None or not allowed.issuperset(data):
        return None
    session = data.get("session")
    context = data.get("context", _MISSING)
    if (session is not None and type(session) is not str) or (
        context is not _MISSING and (type(context) is not dict or not _str_keys(context))
    ):
        return None
    if context is _MISSING:
        context = {}
    if kind == "call" or kind == "result":
        tool = data.get("tool")
        if type(tool) is not str or not 0 < len(tool) <= 256:
            return None
        if kind == "call":
            args = data.get("args", _MISSING)
            if args is _MISSING:
                args = {}
            elif type(args) is not dict or not _str_keys(args):
                return None
            return ToolCall(tool=tool, args=args, session=session, context=context)
        if "content" not in data or data.get("error") is not None:
            return None  # a reported error takes the full validation
        return ToolResult(tool=tool, content=data["content"], session=session, context=context)
    if "content" not in data:
        return None
    if kind == "input":
        return UserInput(content=data["content"], session=session, context=context)
    return ModelOutput(content=data["content"], session=session, context=context)


_MISSING: Any = object()


def _str_keys(d: dict[Any, Any]) -> bool:
    return all(type(key) is str for key in d)


def event_from_dict(data: Any, source: str = "<event>") -> Event:
    """Validate a JSON object as an event; raise `EventError` listing every problem."""
    plain = _plain_event(data)
    if plain is not None:
        return plain
    import pydantic

    try:
        model = _validator().validate_python(data)
    except pydantic.ValidationError as exc:
        diagnostics = []
        for err in exc.errors(include_url=False):
            loc = ".".join(
                str(p) for p in err["loc"] if p not in ("input", "call", "result", "output")
            )
            message = err["msg"][0].lower() + err["msg"][1:]
            if err["type"] == "union_tag_invalid":
                message = "`kind` must be one of `input`, `call`, `result`, `output`"
                loc = "kind"
            elif err["type"] == "union_tag_not_found":
                message = "the event has no `kind`"
                loc = "kind"
            elif err["type"] in _PHRASES:  # pydantic's own words name Python types
                message = f"`{loc}` {_PHRASES[err['type']]}" if loc else "an event is a JSON object"
            else:
                message = f"`{loc}`: {message}" if loc else message
            diagnostics.append(
                Diagnostic("RG403", message, Span(source, 0, 0, 0, 0, 0, 0), Severity.ERROR)
            )
        raise EventError(diagnostics) from None
    fields = model.model_dump()
    kind = fields.pop("kind")
    if fields.get("error") is not None:  # only the keys the event gave
        fields["error"] = model.error.model_dump(exclude_none=True)
    return EVENT_TYPES[kind](**fields)
