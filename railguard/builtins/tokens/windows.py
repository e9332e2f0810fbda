"""Context windows per model: the table `tokens.window` reads, and the files that extend it.

Windows are in tokens (input and output together), as the providers publish them. A model
name matches an entry exactly, or by its longest entry followed by a version suffix:
`gpt-4o-2024-08-06` is `gpt-4o`, `claude-3-5-sonnet-20241022` is `claude-3-5-sonnet`. A
provider prefix (`openai/`, `anthropic.`) is dropped, and case is ignored. A policy adds
or overrides entries with a table file (`tokens.window(context.model, table:
"windows.yaml")`): a JSON or YAML object of model name to window, read when it compiles.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import yaml

from railguard.builtins.registry import LoadContext, LoadError

# Published context windows, in tokens.
_WINDOWS = {
    # OpenAI
    "gpt-3.5-turbo": 16_385,
    "gpt-4": 8_192,
    "gpt-4-32k": 32_768,
    "gpt-4-turbo": 128_000,
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4.1-mini": 1_047_576,
    "gpt-4.1-nano": 1_047_576,
    "gpt-5": 400_000,
    "gpt-5-mini": 400_000,
    "gpt-5-nano": 400_000,
    "o1": 200_000,
    "o1-mini": 128_000,
    "o3": 200_000,
    "o3-mini": 200_000,
    "o4-mini": 200_000,
    # Anthropic
    "claude-3-haiku": 200_000,
    "claude-3-opus": 200_000,
    "claude-3-5-haiku": 200_000,
    "claude-3-5-sonnet": 200_000,
    "claude-3-7-sonnet": 200_000,
    "claude-sonnet-4": 200_000,
    "claude-opus-4": 200_000,
    "claude-opus-4-1": 200_000,
    # Google
    "gemini-1.5-flash": 1_048_576,
    "gemini-1.5-pro": 2_097_152,
    "gemini-2.0-flash": 1_048_576,
    "gemini-2.5-flash": 1_048_576,
    "gemini-2.5-pro": 1_048_576,
    # Open-weight models, at their native context length
    "llama-3.1-8b": 131_072,
    "llama-3.1-70b": 131_072,
    "llama-3.1-405b": 131_072,
    "llama-3.3-70b": 131_072,
    "mistral-large": 131_072,
    "mistral-small": 32_768,
}
WINDOWS: Mapping[str, int] = MappingProxyType(_WINDOWS)
_SUFFIX_STARTS = "-@:"


def normalize(model: str) -> str:
    name = model.strip().lower()
    name = name.rsplit("/", 1)[-1]  # openai/gpt-4o
    for vendor in ("anthropic.", "openai.", "google.", "meta."):  # bedrock-style ids
        if name.startswith(vendor):
            name = name[len(vendor) :]
    return name


BUILTIN: Mapping[str, int] = MappingProxyType({normalize(k): v for k, v in _WINDOWS.items()})


def lookup(model: str, table: Mapping[str, int]) -> int | None:
    """The window of `model` in `table` (keys normalized), exact or by longest prefix."""
    name = normalize(model)
    found = table.get(name)
    if found is not None:
        return found
    best = ""
    for key in table:
        if len(key) > len(best) and name.startswith(key) and name[len(key)] in _SUFFIX_STARTS:
            best = key
    return table[best] if best else None


def load_table(path: str | None, context: LoadContext) -> Mapping[str, int]:
    """The built-in table, extended by the policy's table file (relative to the policy)."""
    if path is None:
        return BUILTIN
    cached = context.cache.get(("tokens.window", path))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    file = Path(path) if Path(path).is_absolute() else context.policy_dir / path
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise LoadError(
            f"cannot read the window table `{path}`: {exc.strerror or exc}",
            hint="a JSON or YAML file of model name to context window, relative to the policy",
        ) from None
    try:
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise LoadError(f"the window table `{path}` is not valid JSON or YAML: {exc}") from None
    if not isinstance(data, dict):
        raise LoadError(
            f"the window table `{path}` must be an object of model name to window",
            hint='for example {"my-model": 32000}',
        )
    table = dict(BUILTIN)
    for key, value in data.items():
        if not isinstance(key, str) or type(value) is not int or value <= 0:
            raise LoadError(
                f"the window table `{path}` maps `{key}` to `{value}`; "
                "windows are positive whole numbers of tokens"
            )
        table[normalize(key)] = value
    frozen = MappingProxyType(table)
    context.cache[("tokens.window", path)] = frozen
    return frozen
