"""`railguard lint`: every parse and compile error, plus checks for policy bugs that compile.

The checks are the lint rules of `railguard/policylang/lintrules/`, each with a stable
`RG3xx` code; comment directives (`# railguard: disable=RG311`, see `directives.py`)
disable or re-grade them per line, rule, policy or file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from railguard.policylang import ast
from railguard.policylang.compiler import compile_sources
from railguard.policylang.diagnostics import Diagnostic, Diagnostics
from railguard.policylang.directives import apply
from railguard.policylang.lintrules import RULES, PolicyContext
from railguard.policylang.lintrules.base import PASSES, Reporter
from railguard.policylang.loader import Source, load_sources, looks_like_text
from railguard.policylang.span import Span


def lint(
    sources: str | Path | Iterable[str | Path], config: Mapping[str, Any] | None = None
) -> list[Diagnostic]:
    """Every diagnostic for the given files, folders or policy text, sorted by position.

    `config` is the engine configuration (`railguard.api.engine_config`).
    """
    items = [sources] if isinstance(sources, str | Path) else list(sources)
    paths = [s for s in items if not (isinstance(s, str) and looks_like_text(s))]
    texts = [("<policy>", s) for s in items if isinstance(s, str) and looks_like_text(s)]
    diags = Diagnostics()
    loaded = load_sources(paths, texts, diags)
    result = compile_sources(loaded, diags, config, prepare=False)
    contexts = list(_contexts(loaded, result.folded))
    checks = [r for r in RULES.values() if r.check is not None]
    for ctx in contexts:
        for rule in checks:
            assert rule.check is not None
            rule.check(ctx, Reporter(rule, diags))
        for run in PASSES:
            run(ctx, diags)
    unique = list(dict.fromkeys(diags.items))  # a file included twice is checked twice
    adjusted = apply(unique, _texts(loaded), _blocks(loaded))
    out = Diagnostics()
    out.extend(adjusted)
    return out.sorted()


def _contexts(sources: list[Source], folded: Mapping[Span, bool]) -> Iterator[PolicyContext]:
    labels = frozenset(
        rule.label
        for source in sources
        for policy in _all_policies(source)
        for rule in policy.rules
        if rule.effect == "label" and rule.label is not None
    )
    for source in sources:
        catalog = {k: v for c in source.catalogs.values() for k, v in c.items()}
        for policy in source.module.policies:
            included: dict[str, list[ast.Policy]] = {}
            rules = list(policy.rules)
            extra_settings: list[ast.Setting] = []
            for s in policy.settings:
                if s.name == "include" and s.value in source.included:
                    pairs = source.included[str(s.value)]
                    included[str(s.value)] = [p for p, _ in pairs]
                    for p, _ in pairs:
                        rules.extend(p.rules)
                        extra_settings.extend(p.settings)
            yield PolicyContext(
                policy=policy,
                rules=tuple(r for r in rules if not _too_deep(r)),
                settings=policy.settings,
                included_settings=tuple(extra_settings),
                included=included,
                catalog=catalog,
                catalog_files=tuple(source.catalogs),
                folded=folded,
                labels=labels,
            )


def _too_deep(rule: ast.Rule) -> bool:
    """Rules the compiler refused as nested too deeply (RG109) are not linted: comparing or
    hashing their expressions would recurse as deep as they nest."""
    exprs = [c.expr for c in rule.conditions] + ([rule.redactor] if rule.redactor else [])
    return any(ast.depth(e) > ast.MAX_DEPTH for e in exprs)


def _all_policies(source: Source) -> Iterator[ast.Policy]:
    yield from source.module.policies
    for pairs in source.included.values():
        for policy, _ in pairs:
            yield policy


def _texts(sources: list[Source]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for source in sources:
        texts[source.module.file] = source.text
        for pairs in source.included.values():
            for policy, text in pairs:
                texts.setdefault(policy.span.file, text)
    return texts


def _blocks(sources: list[Source]) -> dict[str, list[tuple[int, int]]]:
    """The line ranges of every rule and policy, by file: what a directive above covers."""
    blocks: dict[str, list[tuple[int, int]]] = {}
    for source in sources:
        for policy in _all_policies(source):
            spans = [policy.span, *(r.span for r in policy.rules)]
            for span in spans:
                blocks.setdefault(span.file, []).append((span.line, span.end_line))
    return blocks
