"""Compile parsed policies into rules the engine runs, reporting every semantic error.

Checks made here: settings (known, valid, not repeated), rule targets that cannot apply,
unknown names and builtins, argument names, counts and types, regular expressions RE2
cannot run, duplicate rule and policy names, message templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railguard.builtins.regex import Regex, RegexError
from railguard.builtins.registry import LoadContext, Redaction
from railguard.engine.rules import CompiledPolicy, CompiledRule, Limits
from railguard.policylang import ast
from railguard.policylang.breakers import compile_breakers, rule_fallback
from railguard.policylang.catalog import Tool
from railguard.policylang.diagnostics import Diagnostics, did_you_mean
from railguard.policylang.expressions import ExprCompiler, render
from railguard.policylang.loader import Source
from railguard.policylang.parser import parse_expression
from railguard.policylang.span import Span

TOOL_KINDS = frozenset({"call", "result"})
_SINGLE_SETTINGS = ("default", "on_error", "mode", "version", "dialect")


@dataclass(slots=True)
class CompileResult:
    policies: list[CompiledPolicy]
    catalog: dict[str, Tool]
    sources: list[Source]
    # Conditions that fold to a constant, by span: whether the condition holds (True for a
    # `when` that is always true or an `unless` that is always false). The linter reads it.
    folded: dict[Span, bool] = field(default_factory=dict)


def compile_sources(
    sources: list[Source],
    diags: Diagnostics,
    config: Mapping[str, Any] | None = None,
    prepare: bool = True,
) -> CompileResult:
    """Compile every policy of `sources`; `config` is the engine configuration that
    load-time builtin arguments read (`allow_imports`, `schema_roots`). `prepare=False`
    (the linter) skips the builtins' warm-up (importing Presidio, readying SQL dialects):
    only evaluation needs it."""
    policies: list[CompiledPolicy] = []
    cache: dict[Any, Any] = {}  # what load-time arguments loaded, shared by every policy
    catalog: dict[str, Tool] = {}
    seen: dict[str, Span] = {}
    folded: dict[Span, bool] = {}
    for source in sources:
        catalog.update({k: v for c in source.catalogs.values() for k, v in c.items()})
        for policy in source.module.policies:
            if policy.name in seen:
                diags.error(
                    "RG222",
                    f"policy `{policy.name}` is defined twice",
                    policy.name_span,
                    help=f"the first definition is at {seen[policy.name]}",
                )
                continue
            seen[policy.name] = policy.name_span
            policies.append(
                _PolicyCompiler(
                    policy, source, len(policies), diags, config, cache, prepare, folded
                ).compile()
            )
    return CompileResult(policies, catalog, sources, folded)


class _PolicyCompiler:
    def __init__(
        self,
        policy: ast.Policy,
        source: Source,
        index: int,
        diags: Diagnostics,
        config: Mapping[str, Any] | None = None,
        cache: dict[Any, Any] | None = None,
        prepare: bool = True,
        folded: dict[Span, bool] | None = None,
    ) -> None:
        self.policy = policy
        self.folded = {} if folded is None else folded
        self.prepare = prepare
        self.source = source
        self.index = index
        self.diags = diags
        # Values for builtin arguments a call leaves out: `dialect`, `recognizers`.
        self.defaults: dict[str, tuple[Any, Span]] = {}
        self.config = config or {}
        self.cache = {} if cache is None else cache
        self._contexts: dict[str, LoadContext] = {}

    def load_context(self, file: str) -> LoadContext:
        """For load-time arguments of a rule written in `file` (this policy's file or one it
        includes): paths are relative to that file's folder (the working directory for text)."""
        context = self._contexts.get(file)
        if context is None:
            if file == self.source.module.file:
                path = self.source.path
                folder = path.parent if path is not None else Path.cwd()
            else:
                folder = Path(file).resolve().parent
            catalog = {k: v for c in self.source.catalogs.values() for k, v in c.items()}
            context = LoadContext(folder, file, self.config, catalog, self.cache)
            self._contexts[file] = context
        return context

    def compile(self) -> CompiledPolicy:
        settings = self._settings()
        self.defaults = {
            s.name: (str(s.value), s.value_span)
            for s in self.policy.settings
            if s.name == "dialect"
        }
        if self.policy.recognizers:
            # the policy's `pii` calls run its recognizers unless they name others
            self.defaults["recognizers"] = (self._recognizers(), self.policy.span)
        shadow = settings.get("mode") == "shadow"
        fail_open = settings.get("on_error") == "allow"
        rules: list[CompiledRule] = []
        names: dict[str, Span] = {}
        ordinal = 0
        for rule, text in self._rules():
            ordinal += 1
            if rule.name is not None and not self._first(
                "RG212", "rule", rule.name, rule.name_span, names
            ):
                continue
            rule_id = f"{self.policy.name}.{rule.name or f'rule_{ordinal}'}"
            compiled = _RuleCompiler(rule, rule_id, self, text, shadow, fail_open).compile()
            if compiled is not None:
                rules.append(compiled)
        span = self.policy.span
        return CompiledPolicy(
            name=self.policy.name,
            index=self.index,
            file=span.file,
            default=str(settings.get("default", "allow")),
            shadow=shadow,
            fail_open=fail_open,
            version=str(settings["version"]) if "version" in settings else None,
            rules=tuple(rules),
            location=str(span),
            limits={k: int(v) for k, v in settings.items() if k.startswith("limit.")},
            breakers=compile_breakers(self.policy, self.diags, shadow, fail_open),
        )

    def _first(self, code: str, what: str, name: str, span: Span, seen: dict[str, Span]) -> bool:
        """Record the first definition of `name`; report a second one and return False."""
        if name in seen:
            self.diags.error(
                code,
                f"{what} `{name}` is defined twice in policy `{self.policy.name}`",
                span,
                help=f"the first definition is at {seen[name]}",
            )
            return False
        seen[name] = span
        return True

    def _recognizers(self) -> list[Any]:
        """The policy's `recognizer` declarations, built (RE2 patterns compiled once)."""
        from railguard.builtins import pii

        built: list[Any] = []
        seen: dict[str, Span] = {}
        for r in self.policy.recognizers:
            if not self._first("RG241", "recognizer", r.name, r.name_span, seen):
                continue
            compiled = [self._pattern(p) for p in r.patterns]
            patterns = [p for p in compiled if p is not None]
            if len(patterns) < len(compiled):
                continue
            try:
                recognizer = pii.custom_recognizer(
                    r.name, patterns, r.context, 0.6 if r.score is None else r.score
                )
            except (ValueError, RegexError) as exc:
                self.diags.error("RG241", str(exc), r.span)
                continue
            built.append(recognizer)
        return built

    def _pattern(self, p: ast.RegexLit) -> Regex | None:
        try:
            return Regex(p.pattern, p.flags)
        except RegexError as exc:
            self.diags.error(
                "RG211",
                f"RE2 cannot run this pattern: {exc}",
                p.span,
                help="Railguard runs patterns in linear time with RE2, which has no backreferences or lookaround",
            )
            return None

    def _rules(self) -> list[tuple[ast.Rule, str]]:
        """This policy's rules, then those of its includes, each with its file's text."""
        out = [(r, self.source.text) for r in self.policy.rules]
        for setting in self.policy.settings:
            if setting.name == "include" and setting.value in self.source.included:
                for policy, text in self.source.included[str(setting.value)]:
                    out.extend((r, text) for r in policy.rules)
        return out

    def _settings(self) -> dict[str, str | int | float]:
        values: dict[str, str | int | float] = {}
        first: dict[str, Span] = {}
        for s in self.policy.settings:
            key = f"limit.{s.key}" if s.name == "limit" else s.name
            if s.name in _SINGLE_SETTINGS or s.name == "limit":
                if key in first:
                    self.diags.error(
                        "RG215",
                        f"`{s.name}{' ' + s.key if s.key else ''}` is set twice",
                        s.span,
                        help=f"the first setting is at {first[key]}",
                    )
                    continue
                first[key] = s.span
            if s.name == "limit":
                if s.key not in Limits.names():
                    self.diags.error(
                        "RG225",
                        f"unknown limit `{s.key}`",
                        s.span,
                        help=did_you_mean(s.key or "", Limits.names())
                        or "limits are " + ", ".join(f"`{n}`" for n in Limits.names()),
                    )
                    continue
                if not isinstance(s.value, int) or s.value <= 0:
                    self.diags.error(
                        "RG228",
                        f"limit `{s.key}` must be a positive whole number",
                        s.value_span,
                    )
                    continue
            values[key] = s.value
        return values


class _RuleCompiler:
    def __init__(
        self,
        rule: ast.Rule,
        rule_id: str,
        owner: _PolicyCompiler,
        text: str,
        shadow: bool,
        fail_open: bool,
    ) -> None:
        self.rule = rule
        self.id = rule_id
        self.owner = owner
        self.diags = owner.diags
        self.text = text
        self.shadow = shadow
        self.fail_open = fail_open
        self.redact_target: tuple[str | int, ...] | None = None
        self.exprs = ExprCompiler(
            rule.kind,
            owner.diags,
            owner.defaults,
            owner.load_context(rule.span.file),
            prepare=owner.prepare,
        )

    def compile(self) -> CompiledRule | None:
        rule = self.rule
        errors_before = len(self.diags.items)
        exprs = [c.expr for c in rule.conditions]
        exprs += [rule.redactor] if rule.redactor is not None else []
        deepest, where = max(
            ((ast.depth(e), e.span) for e in exprs), default=(0, rule.span), key=lambda p: p[0]
        )
        if deepest > ast.MAX_DEPTH:
            self.diags.error(
                "RG109",
                f"this expression nests {deepest} levels deep, over the limit of {ast.MAX_DEPTH}",
                where,
                help="simplify the expression, or split the condition over several rules",
            )
            return None
        names, globs, any_tool = self._target()
        redactor = self._redactor()
        condition, negate = self._condition()
        details = _explainer(self.exprs.evidence)  # before the message adds its own calls
        message = self._message()
        fallback = rule_fallback(rule, self.diags)
        if any(d.is_error for d in self.diags.items[errors_before:]):
            return None
        return CompiledRule(
            id=self.id,
            policy=self.owner.policy.name,
            policy_index=self.owner.index,
            effect=rule.effect,
            kind=rule.kind,
            names=names,
            globs=globs,
            any_tool=any_tool,
            condition=condition,
            message=message,
            location=str(rule.span),
            shadow=self.shadow,
            fail_open=self.fail_open,
            label=rule.label,
            redact_target=self.redact_target,
            negate=negate,
            timed=self.exprs.calls_builtins,
            reads_session=self.exprs.reads_session,
            redactor=redactor,
            details=details,
            fallback=fallback,
        )

    def _target(self) -> tuple[frozenset[str], tuple[str, ...], bool]:
        rule = self.rule
        if rule.tools and rule.kind not in TOOL_KINDS:
            self.diags.error(
                "RG210",
                f"`{rule.kind}` events have no tool, so this rule can never apply",
                rule.tools[0].span.to(rule.tools[-1].span),
                help=f"tools are named on `call` and `result` rules; write `{rule.effect} {rule.kind}`",
            )
        if rule.effect == "allow" and rule.kind != "call":
            self.diags.warning(
                "RG229",
                f"`allow {rule.kind}` has no effect: `{rule.kind}` events are allowed unless a rule denies them",
                rule.target_span,
                help="only `call` events need an allow (under `default deny`)",
            )
        patterns = [t for t in rule.tools]
        if not patterns or any(t.pattern == "*" and not t.quoted for t in patterns):
            return frozenset(), (), True
        names = frozenset(t.pattern for t in patterns if not t.is_glob)
        globs = tuple(t.pattern for t in patterns if t.is_glob)
        return names, globs, False

    def _redactor(self) -> Callable[[str], list[Redaction]] | None:
        rule = self.rule
        node = rule.redactor
        if rule.effect != "redact":
            if node is not None:
                self.diags.error(
                    "RG217",
                    f"`with` belongs to `redact` rules, not `{rule.effect}`",
                    node.span,
                    help="remove the `with` clause, or make the rule `redact`",
                )
            return None
        if node is None:
            self.diags.error(
                "RG217",
                "a `redact` rule needs `with` and a redaction, such as `redact.pattern(...)`",
                rule.target_span,
                help=f'write `redact {rule.kind} with redact.pattern(/[0-9]{{16}}/, replacement: "<CARD>")`',
            )
            return None
        if not isinstance(node, ast.Call):
            self.diags.error(
                "RG218",
                "`with` must call a redaction builtin",
                node.span,
                help="redaction builtins include `redact.pattern`",
            )
            return None
        spec = self.exprs.builtin(node)
        if spec is None:
            return None
        if spec.kind != "redactor":
            self.diags.error(
                "RG218",
                f"`{spec.name}` does not rewrite text, so it cannot follow `with`",
                node.func.span,
                help="redaction builtins include `redact.pattern`",
            )
            return None
        errors_before = len(self.diags.items)
        target = self._redact_target(node, spec.params[0].name)
        if target is not None:
            node = ast.Call(node.func, node.args[1:], node.span)
            if len(self.diags.items) > errors_before:  # `()` alone is the root: `content`
                return None
        bound = self.exprs.bind(node, spec, spec.params[1:])
        if bound is None:
            return None
        if spec.prepare is not None and self.owner.prepare:
            spec.prepare()
        if not all(b.is_const for b in bound):
            self.diags.error(
                "RG219",
                f"the arguments of `{spec.name}` must be written in the policy",
                node.span,
                help="a redaction is prepared once, when the policy loads",
            )
            return None
        func, consts = spec.func, [b.const for b in bound]
        self.redact_target = target
        return lambda text: func(text, *consts)

    def _redact_target(self, node: ast.Call, first: str) -> tuple[str | int, ...] | None:
        """The path a redaction rewrites when its first argument is one (`args.query`).

        None when the text is left implicit (every string of the payload), `()` for the root
        itself, and also `()` after an error (which the caller tells by the diagnostic).
        """
        if not node.args or node.args[0].name not in (None, first):
            return None
        arg = node.args[0]
        if not isinstance(arg.value, ast.Name | ast.Attr | ast.Index) and arg.name is None:
            return None  # a positional pattern or the like: the text is left implicit
        root = "args" if self.rule.kind == "call" else "content"
        keys: list[str | int] = []
        cur = arg.value
        while isinstance(cur, ast.Attr | ast.Index):
            if isinstance(cur, ast.Attr):
                keys.append(cur.name)
            elif isinstance(cur.index, ast.Literal) and type(cur.index.value) in (str, int):
                keys.append(cur.index.value)  # type: ignore[arg-type]
            else:
                break
            cur = cur.obj
        if not (isinstance(cur, ast.Name) and cur.name == root):
            self.diags.error(
                "RG219",
                f"the text a redaction rewrites must be a path into `{root}`",
                arg.value.span,
                help=f"write for example `{root}.query`, or leave it out to rewrite every string",
            )
            return ()
        return tuple(reversed(keys))

    def _condition(self) -> tuple[Callable[[Any], Any] | None, bool]:
        """The rule's combined condition, and whether its result is to be negated."""
        dynamic: list[tuple[bool, Callable[[Any], Any]]] = []
        never = False  # a constant condition that fails: the rule cannot apply
        for cond in self.rule.conditions:
            c = self.exprs.condition(cond.expr)  # compile every condition, to report errors
            if c.bad or never:
                continue
            if c.is_const:
                self.owner.folded[cond.span] = bool(c.const) != cond.negated
                never = bool(c.const) == cond.negated
                continue
            dynamic.append((cond.negated, c.thunk()))
        if never:
            if not dynamic:
                return (lambda ev: False), False
            # The conditions before it still run, in order: one that raises fails closed.
            dynamic.append((False, lambda ev: False))
        if not dynamic:
            return None, False
        if len(dynamic) == 1:
            negated, fn = dynamic[0]
            return fn, negated
        fns = tuple((lambda ev, f=fn: not f(ev)) if neg else fn for neg, fn in dynamic)
        return (lambda ev: all(f(ev) for f in fns)), False

    def _message(self) -> Callable[[Any], str]:
        rule = self.rule
        if rule.message is None:
            text = {
                "deny": f"denied by `{self.id}`",
                "escalate": f"`{self.id}` requires approval",
                "warn": f"warning from `{self.id}`",
                "redact": f"redacted by `{self.id}`",
                "label": f"labelled `{rule.label}` by `{self.id}`",
                "allow": f"allowed by `{self.id}`",
            }[rule.effect]
            return lambda ev: text
        parts = self._template(rule.message)
        if all(isinstance(p, str) for p in parts):
            fixed = "".join(p for p in parts if isinstance(p, str))
            return lambda ev: fixed
        return _renderer(parts)

    def _template(self, message: ast.Message) -> list[str | Callable[[Any], Any]]:
        """Split `"mail to {args.to}"` into text and compiled expressions."""
        text = message.text
        base = message.span.start + 1
        parts: list[str | Callable[[Any], Any]] = []
        buf: list[str] = []
        i = 0
        while i < len(text):
            ch = text[i]
            if ch in "{}" and text[i + 1 : i + 2] == ch:
                buf.append(ch)
                i += 2
                continue
            if ch == "}":
                self.diags.error(
                    "RG108",
                    "unmatched `}` in message",
                    Span.at(message.span.file, self.text, base + i, base + i + 1)
                    if self.text
                    else message.span,
                    help="write `}}` for a literal brace",
                )
                return [text]
            if ch != "{":
                buf.append(ch)
                i += 1
                continue
            end = _closing_brace(text, i)
            if end < 0:
                self.diags.error(
                    "RG108",
                    "unclosed `{` in message",
                    Span.at(message.span.file, self.text, base + i, base + i + 1)
                    if self.text
                    else message.span,
                    help="close the expression with `}`, or write `{{` for a literal brace",
                )
                return [text]
            if buf:
                parts.append("".join(buf))
                buf = []
            inner = text[i + 1 : end]
            node = (
                parse_expression(inner, message.span.file, base + i + 1, self.diags, self.text)
                if self.text
                else None
            )
            if node is not None and ast.depth(node) > ast.MAX_DEPTH:
                self.diags.error(
                    "RG109",
                    f"this expression nests {ast.depth(node)} levels deep, over the limit of {ast.MAX_DEPTH}",
                    node.span,
                    help="interpolate a simpler expression",
                )
            elif node is not None:
                compiled = self.exprs.compile(node)
                if not compiled.bad:
                    parts.append(compiled.thunk())
            i = end + 1
        if buf:
            parts.append("".join(buf))
        return parts


_MAX_MATCHED = 20  # items of a condition's value shown in a violation's details


def _explainer(
    evidence: list[tuple[Callable[..., Any], tuple[Callable[[Any], Any], ...]]],
) -> Callable[[Any, Any], dict[str, Any] | None]:
    """What a matched rule's violation carries as `details`: the evidence of the builtins
    its condition calls, and the condition's value when that is a collection (the tables
    outside an allowlist, the functions on a denylist)."""
    hooks = tuple(evidence)

    def details(event: Any, value: Any) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        if isinstance(value, frozenset | list | tuple) and value:
            shown = sorted(value, key=str) if isinstance(value, frozenset) else list(value)
            out["matched"] = shown[:_MAX_MATCHED]
        for hook, args in hooks:
            try:
                found = hook(*[a(event) for a in args])
            except Exception:  # evidence is a courtesy: the verdict stands without it
                continue
            for key, item in (found or {}).items():
                if isinstance(item, dict) and isinstance(out.get(key), dict):
                    out[key] = {**out[key], **item}
                else:
                    out[key] = item
        return out or None

    return details


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    i = start
    in_string = False
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _renderer(parts: list[str | Callable[[Any], Any]]) -> Callable[[Any], str]:
    def render_message(ev: Any) -> str:
        out = []
        for p in parts:
            if isinstance(p, str):
                out.append(p)
                continue
            try:
                out.append(render(p(ev)))
            except Exception as exc:  # a message must never fail the verdict
                out.append(f"<error: {exc}>")
        return "".join(out)

    return render_message
