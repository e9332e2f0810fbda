"""Prompt-injection indicators: deterministic, explainable, no model.

`injection.find`, `injection.score` and `injection.flagged` read a text or every string of a
JSON value for three kinds of indicator, each match with its span, JSON path and a short
reason:

* `instruction`: instruction-override, role-switch and task-hijack wording, a curated RE2
  pattern set (`phrases.py`) matched on text normalized against spacing, leetspeak,
  homoglyphs and invisible characters (the normalizer the PII builtins use);
* `hidden`: invisible or deceptive text: Unicode tag characters, zero-width and
  bidirectional controls, text in HTML comments or styled out of sight, long base64 blobs
  in prose (`hidden.py`);
* `exfiltration`: links and images whose URL carries data to a host outside an allowlist,
  and URLs with long query strings (`exfil.py`).

The combined score is a noisy-or of the weights of the indicators that fired; the default
threshold is 0.5. `docs/injection.md` documents the patterns, the weights and the quality
measured on public corpora.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from railguard.builtins.injection.hits import KINDS, THRESHOLD, combined
from railguard.builtins.injection.phrases import Phrase
from railguard.builtins.injection.scanner import NO_EXTRA, Extra, _spaces, scan
from railguard.builtins.pii.normalize import normalize
from railguard.builtins.regex import Regex, RegexError
from railguard.builtins.registry import EvalError, LoadContext, LoadError, Static, builtin

__all__ = ["KINDS", "THRESHOLD", "combined", "scan"]

POLICY_WEIGHT = 0.8  # the weight of a policy's own pattern


def load_patterns(value: Sequence[Any] | None, context: LoadContext) -> Extra:
    """Compile a policy's own patterns (RE2, `/.../flags` or strings) once, at load time."""
    phrases = []
    for i, item in enumerate(value or ()):
        if isinstance(item, Regex):
            source, flags = item.pattern, item.flags
        elif isinstance(item, str):
            source, flags = item, ""
        else:
            raise LoadError(
                "every injection pattern must be a regex or a string",
                hint="write patterns: [/(?i)wire the funds to/, ...]",
            )
        try:
            Regex(source, flags)
        except RegexError as exc:
            raise LoadError(f"the pattern `{source}` is not valid RE2: {exc}") from None
        if Regex(source, flags).search(""):
            raise LoadError(f"the pattern `{source}` matches the empty string")
        phrases.append(
            Phrase(
                f"policy_pattern_{i + 1}",
                POLICY_WEIGHT,
                f"matches the policy's pattern /{source}/",
                source,
                flags,
                expand=False,
            )
        )
    return Extra(tuple(phrases)) if phrases else NO_EXTRA


def prepare() -> None:
    """Compile the curated patterns when a policy that uses them loads."""
    _ = NO_EXTRA.gate
    normalize("\u00e9", digits=False, confusables=True)  # builds its table of changing characters
    _spaces()  # the characters it turns into a space, for the scanner's shortcut


Value = Annotated[Any, "the text, or JSON value, to read (every string in it)"]
Kinds = Annotated[
    list[Any] | None,
    'the kinds of indicator: "instruction", "hidden", "exfiltration"; null or empty: all',
]
Hosts = Annotated[
    list[Any] | frozenset[Any] | None,
    "hosts links and images may carry data to (each also allows its subdomains)",
]
Patterns = Annotated[
    Any,  # an `Extra` once loaded
    "the policy's own RE2 patterns (regexes or strings) for instruction wording, weight 0.8",
    Static(load_patterns, accepts=list[Any] | None),
]
Threshold = Annotated[float, "the combined score from which the value counts as flagged"]


def _hits(value: Any, kinds: Any, hosts: Any, patterns: Any) -> list[Any]:
    extra = patterns if isinstance(patterns, Extra) else load_patterns(patterns, _NO_CONTEXT)
    return scan(value, kinds, hosts, extra)


def _evidence(value: Any, hosts: Any, patterns: Any) -> dict[str, Any]:
    hits = _hits(value, None, hosts, patterns)
    return {"injection": [h.to_dict() for h in hits], "score": combined(hits)}


def _find_details(value: Any, kinds: Any = None, hosts: Any = None, patterns: Any = ()) -> Any:
    return _evidence(value, hosts, patterns)


def _score_details(value: Any, hosts: Any = None, patterns: Any = ()) -> Any:
    return _evidence(value, hosts, patterns)


def _flagged_details(
    value: Any, threshold: Any = None, hosts: Any = None, patterns: Any = ()
) -> Any:
    return _evidence(value, hosts, patterns)


@builtin(
    "injection.find",
    prepare=prepare,
    details=_find_details,
    examples=[
        "injection.find(content)",
        'injection.find(content, kinds: ["exfiltration"], hosts: ["acme.com"])',
        "injection.find(content, patterns: [/(?i)wire the funds/])",
    ],
)
def find(
    value: Value, kinds: Kinds = None, hosts: Hosts = None, patterns: Patterns = ()
) -> list[Any]:
    """The prompt-injection indicators in `value`: a list of `{kind, rule, start, end, path, weight, reason}`.

    `kind` is `instruction`, `hidden` or `exfiltration`, `rule` the indicator's id (see
    docs/injection.md), `start` and `end` character offsets in the string named by `path`
    (empty for a plain string). A value over 1,048,576 characters fails closed.
    """
    return [h.to_dict() for h in _hits(value, kinds, hosts, patterns)]


@builtin(
    "injection.score",
    prepare=prepare,
    details=_score_details,
    examples=[
        "injection.score(content) >= 0.5",
        'injection.score(args, hosts: ["acme.com"]) > 0.8',
    ],
)
def score(value: Value, hosts: Hosts = None, patterns: Patterns = ()) -> float:
    """The combined prompt-injection score of `value`, from 0 (no indicator) to 1.

    A noisy-or of the weights of the indicators that fired, each counted once:
    `1 - (1 - w1)(1 - w2)...`. A strong indicator (ignore previous instructions, a forged
    system header, an image URL carrying data) weighs 0.9; see docs/injection.md.
    """
    return combined(_hits(value, None, hosts, patterns))


@builtin(
    "injection.flagged",
    prepare=prepare,
    details=_flagged_details,
    examples=[
        "injection.flagged(content)",
        'injection.flagged(content, threshold: 0.8, hosts: ["acme.com"])',
    ],
)
def flagged(
    value: Value, threshold: Threshold = THRESHOLD, hosts: Hosts = None, patterns: Patterns = ()
) -> bool:
    """True when the combined prompt-injection score of `value` reaches `threshold` (0.5 by default)."""
    if not 0.0 < threshold <= 1.0:
        raise EvalError(f"injection.flagged: the threshold must be in (0, 1], not {threshold}")
    return combined(_hits(value, None, hosts, patterns)) >= threshold


_NO_CONTEXT = LoadContext(policy_dir=Path("."))
