"""Credentials: find and mask API keys, tokens, private keys and passwords.

`secrets.find`, `secrets.kinds` and the `secrets.mask` redactor read text or any JSON value
(every string in it), with the RE2 detectors of `pii/credentials.py`: AWS, GitHub, GitLab,
Slack, Stripe, Google and OpenAI-style keys, JWTs, PEM private keys, passwords in
connection URLs, bearer tokens and random-looking values assigned to names like `token` or
`password`. Text is normalized first (zero-width characters, full-width forms), and spans
point into the original. Findings never carry the credential itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from railguard.builtins.pii import credentials, masking
from railguard.builtins.pii.detect import leaves
from railguard.builtins.registry import Choices, EvalError, Redaction, builtin

MAX_CHARS = 4_194_304  # characters one check may scan

Value = Annotated[Any, "the text, or JSON value, to read (every string in it)"]
Kinds = Annotated[
    list[Any] | None,
    'the kinds to look for, such as ["aws_access_key_id", "private_key"]; null or empty: all',
]


def _kinds(kinds: Sequence[Any] | None) -> frozenset[str] | None:
    if not kinds:
        return None
    out = set()
    for k in kinds:
        if not isinstance(k, str) or k not in credentials.KIND_NAMES:
            raise EvalError(
                f"unknown secret kind `{k}`; kinds are {', '.join(credentials.KIND_NAMES)}"
            )
        out.add(k)
    return frozenset(out)


def _findings(value: Any, kinds: Sequence[Any] | None) -> list[dict[str, Any]]:
    wanted = _kinds(kinds)
    out: list[dict[str, Any]] = []
    total = 0
    try:
        for path, text in leaves(value):
            total += len(text)
            if total > MAX_CHARS:
                raise EvalError(f"the text to scan for secrets is over {MAX_CHARS} characters")
            for h in credentials.find(text, wanted):
                out.append(
                    {"kind": h.kind, "score": h.score, "start": h.start, "end": h.end, "path": path}
                )
    except EvalError:
        raise
    except Exception as exc:
        raise EvalError(f"secret detection failed: {type(exc).__name__}: {exc}") from None
    return out


def _details(value: Any, kinds: Sequence[Any] | None = None) -> dict[str, Any]:
    return {"secrets": _findings(value, kinds)}


@builtin(
    "secrets.find",
    details=_details,
    examples=["secrets.find(args)", 'secrets.find(content, kinds: ["private_key", "jwt"])'],
)
def find(value: Value, kinds: Kinds = None) -> list[Any]:
    """The credentials in `value`: a list of `{kind, score, start, end, path}`, without the secret.

    `path` names the string within a JSON value (`headers.authorization`; empty for a plain
    string); `start` and `end` are character offsets in it.
    """
    return _findings(value, kinds)


@builtin(
    "secrets.kinds",
    details=_details,
    examples=['secrets.kinds(args) - {"jwt"}'],
)
def kinds(value: Value, kinds: Kinds = None) -> frozenset[Any]:
    """The set of credential kinds found in `value`, such as `{"github_token"}`."""
    return frozenset(f["kind"] for f in _findings(value, kinds))


@builtin(
    "secrets.mask",
    kind="redactor",
    examples=[
        'redact output with secrets.mask(mode: "fixed", replacement: "<SECRET>")',
        'redact call with secrets.mask(kinds: ["private_key"])',
    ],
)
def mask(
    value: Annotated[str, "the text being rewritten (supplied by the engine)"],
    kinds: Kinds = None,
    mode: Annotated[
        str,
        "`tag` (`<GITHUB_TOKEN>`), `fixed` (the replacement) or `hash` (a keyed hash: one "
        "credential, one tag)",
        Choices(("tag", "fixed", "hash")),
    ] = "tag",
    replacement: Annotated[str, "the text of the `fixed` mode"] = "<SECRET>",
    key_env: Annotated[
        str, "the environment variable holding the `hash` key (no key: the event is denied)"
    ] = masking.DEFAULT_KEY_ENV,
) -> list[Redaction]:
    """Mask every credential in every string of the payload; the verdict lists each replacement."""
    if mode not in ("tag", "fixed", "hash"):
        raise EvalError(f"unknown mask mode `{mode}`; modes are tag, fixed, hash")
    wanted = _kinds(kinds)
    if len(value) > MAX_CHARS:
        raise EvalError(f"the text to scan for secrets is over {MAX_CHARS} characters")
    spans = [
        masking.Span(h.kind.upper(), h.start, h.end, h.score)
        for h in credentials.find(value, wanted)
    ]
    return masking.redactions(value, spans, mode, replacement, 0, key_env)
