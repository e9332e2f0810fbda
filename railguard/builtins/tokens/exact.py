"""Exact token counts through `bpe-openai` (the `railguard[tokens]` extra), loaded lazily.

`bpe-openai` ships OpenAI's encodings inside its wheel, so counting never reaches the
network. Its package `__init__` builds registries of every model it knows (over a second
on a small machine), which counting does not need: the Rust extension is loaded on its
own, and the package is imported normally only when that fails. Special tokens in the
text (`<|endoftext|>`) are counted as ordinary text, as `tiktoken`'s `encode_ordinary` does.

`installed()` and `shipped_encodings()` look at the installed files without importing
anything: `railguard lint` calls them.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import threading
from functools import cache
from pathlib import Path
from typing import Any, Protocol

PACKAGE = "bpe_openai"
EXTRA = "pip install 'railguard[tokens]'"
_lock = threading.Lock()
_tokenizers: dict[str, Any] = {}


class Tokenizer(Protocol):
    def count(self, text: str) -> int: ...


class Unavailable(Exception):
    """The tokenizer is not installed, or lacks the encoding asked for."""


@cache
def _package_dir() -> Path | None:
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def installed() -> bool:
    """Whether `bpe-openai` is installed (found, not imported)."""
    return _package_dir() is not None


def shipped_encodings() -> tuple[str, ...]:
    """The encodings the installed `bpe-openai` ships (its data files), without importing it."""
    folder = _package_dir()
    if folder is None:
        return ()
    return tuple(sorted(p.name.split(".")[0] for p in (folder / "data").glob("*.tiktoken*")))


@cache
def _bindings() -> Any:
    folder = _package_dir()
    if folder is None:
        raise Unavailable(f"exact token counts need the tokenizer: {EXTRA}")
    for path in sorted(folder.glob("_bindings*")):
        if path.suffix not in (".so", ".pyd"):
            continue
        try:
            name = f"{PACKAGE}._bindings"
            loader = importlib.machinery.ExtensionFileLoader(name, str(path))
            spec = importlib.util.spec_from_file_location(name, path, loader=loader)
            assert spec is not None
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
            return module
        except Exception:
            break
    from bpe_openai import _bindings  # the package's own import: slower, same extension

    return _bindings


def tokenizer(encoding: str) -> Tokenizer:
    """The tokenizer of `encoding`, built once per process (about 0.1 s each)."""
    found = _tokenizers.get(encoding)
    if found is not None:
        return found  # type: ignore[no-any-return]
    with _lock:
        if encoding not in _tokenizers:
            shipped = shipped_encodings()
            if encoding not in shipped:
                if not shipped:
                    raise Unavailable(f"exact token counts need the tokenizer: {EXTRA}")
                raise Unavailable(
                    f"the tokenizer has no encoding `{encoding}` (it ships {', '.join(shipped)})"
                )
            _tokenizers[encoding] = _bindings().tokenizer_for_encoding(encoding)
        return _tokenizers[encoding]  # type: ignore[no-any-return]


def count(text: str, encoding: str) -> int:
    return tokenizer(encoding).count(text)
