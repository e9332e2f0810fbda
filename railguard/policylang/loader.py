"""Find policy files, read them, follow their includes and read their tool catalogs.

`load_sources` turns what a user passes to `railguard.load()` (files, folders or text)
into parsed modules. A file included by another loaded file is not loaded on its own
as well: its rules join the policy that includes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from railguard.policylang import ast
from railguard.policylang.catalog import CatalogError, Tool, load_catalog
from railguard.policylang.diagnostics import Diagnostics
from railguard.policylang.parser import parse
from railguard.policylang.span import Span

POLICY_SUFFIX = ".rail"


@dataclass(slots=True)
class Source:
    """A parsed policy file with what its includes and catalogs brought."""

    module: ast.Module
    text: str
    path: Path | None
    # include argument -> the included policies, each with its file's text
    included: dict[str, list[tuple[ast.Policy, str]]] = field(default_factory=dict)
    catalogs: dict[str, dict[str, Tool]] = field(default_factory=dict)  # tools arg -> tools


def looks_like_text(source: str) -> bool:
    return "\n" in source or "{" in source


def discover(paths: list[str | Path], diags: Diagnostics) -> list[Path]:
    """Expand folders into their `*.rail` files (sorted), keep files as given."""
    found: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files = sorted(f for f in path.rglob("*" + POLICY_SUFFIX) if f.is_file())
            if not files:
                diags.error(
                    "RG213",
                    f"folder `{p}` holds no `*{POLICY_SUFFIX}` policy files",
                    Span(str(p), 0, 0, 0, 0, 0, 0),
                )
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            diags.error(
                "RG213", f"policy path `{p}` does not exist", Span(str(p), 0, 0, 0, 0, 0, 0)
            )
    return found


def read_text(path: Path, diags: Diagnostics) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        diags.error("RG213", f"cannot read `{path}`: {exc}", Span(str(path), 0, 0, 0, 0, 0, 0))
        return None


def load_sources(
    paths: list[str | Path], texts: list[tuple[str, str]], diags: Diagnostics
) -> list[Source]:
    """Parse files and texts, resolve includes and catalogs; skip files others include."""
    cache: dict[Path, Source | None] = {}
    roots: list[Source] = []
    for path in discover(paths, diags):
        source = _load_file(path.resolve(), diags, cache, stack=())
        if source is not None:
            roots.append(source)
    for name, text in texts:
        module = parse(text, name, diags)
        source = Source(module, text, None)
        _resolve(source, Path.cwd(), diags, cache, stack=())
        roots.append(source)
    included = {p.resolve() for s in cache.values() if s is not None for p in _include_targets(s)}
    return [s for s in roots if s.path is None or s.path not in included]


def _include_targets(source: Source) -> list[Path]:
    if source.path is None:
        return []
    base = source.path.parent
    targets = []
    for p in source.module.policies:
        for s in p.settings:
            if s.name == "include" and isinstance(s.value, str):
                try:
                    targets.append((base / s.value).resolve())
                except (OSError, ValueError, RuntimeError):  # reported by `_resolve`
                    continue
    return targets


def _load_file(
    path: Path, diags: Diagnostics, cache: dict[Path, Source | None], stack: tuple[Path, ...]
) -> Source | None:
    if path in cache:
        return cache[path]
    text = read_text(path, diags)
    if text is None:
        cache[path] = None
        return None
    source = Source(parse(text, _display(path), diags), text, path)
    cache[path] = source
    _resolve(source, path.parent, diags, cache, (*stack, path))
    return source


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _resolve(
    source: Source,
    base: Path,
    diags: Diagnostics,
    cache: dict[Path, Source | None],
    stack: tuple[Path, ...],
) -> None:
    for policy in source.module.policies:
        for setting in policy.settings:
            if setting.name not in ("include", "tools") or not isinstance(setting.value, str):
                continue
            try:
                target = (base / setting.value).resolve()
            except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a symlink loop
                shown = setting.value.replace("\0", "\\0")
                diags.error("RG213", f"`{shown}` is not a usable path: {exc}", setting.value_span)
                continue
            if setting.name == "include":
                if target in stack or target == source.path:
                    diags.error(
                        "RG214",
                        f"`{setting.value}` includes itself"
                        if target == source.path
                        else f"include cycle: `{setting.value}` includes this file again",
                        setting.value_span,
                        help="remove the include that closes the cycle",
                    )
                    continue
                if not target.is_file():
                    diags.error(
                        "RG213",
                        f"included file `{setting.value}` does not exist",
                        setting.value_span,
                        help=f"looked for `{_display(target)}`: paths are relative to the including file's folder",
                    )
                    continue
                included = _load_file(target, diags, cache, stack)
                if included is not None:
                    source.included[setting.value] = [
                        (p, included.text) for p in included.module.policies
                    ] + [pair for pairs in included.included.values() for pair in pairs]
                    source.catalogs.update(included.catalogs)
            elif setting.name == "tools":
                try:
                    source.catalogs[setting.value] = load_catalog(Path(_display(target)))
                except CatalogError as exc:
                    diags.error("RG220", str(exc), setting.value_span)
