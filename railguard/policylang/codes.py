"""Every diagnostic code with its title and explanation: `railguard explain` and docs/errors.md.

RG1xx are syntax errors, RG2xx compile errors, RG3xx lint findings, RG4xx runtime errors.
"""

from __future__ import annotations

CODES: dict[str, tuple[str, str]] = {
    "RG101": (
        "unexpected token",
        "The parser met a word or symbol that cannot come here. The help line lists what could.",
    ),
    "RG102": (
        "unexpected character",
        "A character that is not part of the language, such as `;` or `@` outside a string.",
    ),
    "RG103": ("unterminated string", 'A string must close with `"` on the line it opens.'),
    "RG104": (
        "invalid escape",
        'Strings know `\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\0` and `\\u{XXXX}`; in a regular expression `/.../` backslashes are passed to RE2 as written.',
    ),
    "RG105": (
        "unexpected end",
        "The file, rule or policy ends before it is complete: an expression is cut short, or a policy lacks its closing `}`.",
    ),
    "RG106": ("number out of range", "A number literal does not fit a 64-bit float."),
    "RG107": (
        "unterminated regular expression",
        "A `/pattern/` must close on its line; write a slash inside it as `\\/`.",
    ),
    "RG108": (
        "bad message template",
        "In a message, `{expr}` interpolates an expression; write `{{` and `}}` for literal braces.",
    ),
    "RG109": (
        "nested too deeply",
        "A condition nests more than 64 levels; split it into several rules.",
    ),
    "RG110": ("file too large", "Policy files are limited to 1,000,000 bytes."),
    "RG201": (
        "unknown builtin",
        "The name called is not a builtin. `railguard builtins` lists them.",
    ),
    "RG202": ("unknown argument", "A named argument that the builtin does not take."),
    "RG203": ("missing argument", "A required argument of the builtin is not given."),
    "RG204": ("too many arguments", "More positional arguments than the builtin takes."),
    "RG205": (
        "wrong argument type",
        "An argument whose type is known when the policy compiles does not fit the parameter (a number where a string is needed, say).",
    ),
    "RG206": (
        "argument given twice",
        "The same argument is passed by position and by name, or named twice.",
    ),
    "RG207": ("positional after named", "Positional arguments come before named ones."),
    "RG208": (
        "unknown name",
        "Paths start with `args`, `content`, `tool`, `context`, `session` or `kind`; anything else is a typo or a builtin used without parentheses.",
    ),
    "RG209": (
        "not part of this event kind",
        "The rule reads a part of the event its kind does not have (`args` exists on `call` events only, `content` on `input`, `result` and `output`), so it could never apply.",
    ),
    "RG210": (
        "tool on an event without a tool",
        "`input` and `output` events have no tool, so a rule that names tools for them could never apply.",
    ),
    "RG211": (
        "regular expression RE2 cannot run",
        "Patterns run on RE2, which matches in linear time and so has no backreferences or lookaround. Rewrite the pattern without them.",
    ),
    "RG212": (
        "duplicate rule name",
        "Rule names identify rules in verdicts and logs, so they are unique within a policy (includes count).",
    ),
    "RG213": (
        "missing file",
        "A policy path or an included file does not exist or cannot be read. Includes are relative to the including file's folder.",
    ),
    "RG214": ("include cycle", "A file includes itself, directly or through other files."),
    "RG215": (
        "setting repeated",
        "`default`, `on_error`, `mode`, `version` and each `limit` can be set once per policy.",
    ),
    "RG217": (
        "misplaced `with`",
        "`with` names the rewrite of a `redact` rule; a `redact` rule needs one and other rules take none.",
    ),
    "RG218": (
        "not a redaction",
        "`with` must call a redaction builtin such as `redact.pattern`, and such builtins can only be called there.",
    ),
    "RG219": (
        "pattern not written in the policy",
        "Patterns, redactions and load-time arguments (schemas, tool catalogs, models) are compiled once when the policy loads, so they must be literals, not values read from the event.",
    ),
    "RG220": (
        "bad tool catalog",
        "`tools from` must name a JSON file holding OpenAI function definitions or an MCP `tools/list` result.",
    ),
    "RG221": (
        "type error",
        'An operation whose operand types are known when the policy compiles cannot succeed (`"a" > 3`, `5 matches /x/`).',
    ),
    "RG222": ("duplicate policy name", "Policy names are unique across the loaded set."),
    "RG225": (
        "unknown limit",
        "Limits are `payload_bytes`, `depth`, `string_length` and `checker_ms`.",
    ),
    "RG228": ("bad limit value", "A limit is a positive whole number."),
    "RG229": (
        "allow without effect",
        "Only `call` events need an allow; `input`, `result` and `output` events are allowed unless a rule denies them.",
    ),
    "RG200": (
        "policy set could not be compiled",
        "The compiler itself failed on the policy set (a bug in Railguard: please report it with the policy). The sidecar keeps serving the last good set.",
    ),
    "RG240": (
        "argument cannot be loaded",
        "Some builtin arguments are loaded once, when the policy compiles: a JSON Schema (a file relative to the policy, or inline JSON), a tool catalog, a pydantic model. The message says what is wrong: a file that does not exist or is not JSON; a schema its `$schema` metaschema rejects, with the JSON pointer of the bad part; a `$ref` that does not resolve, or that names a remote document (schemas are resolved offline, never downloaded: save the document in the policy's folder); a `pattern` that needs lookaround or backreferences; a model whose module the engine's `allow_imports` does not list (importing a module runs its code).",
    ),
    "RG241": (
        "bad recognizer",
        "A `recognizer` declaration needs a name (a letter, then letters, digits or `_`, unique in the policy), one or more patterns RE2 can run, context words that are not empty, and a score above 0 and at most 1.",
    ),
    "RG242": (
        "bad breaker",
        'A `breaker` declaration needs a whole number of failures of at least 1 (or a percentage above 0 and at most 100 and a whole number of calls of at least 1), durations such as `"60s"` for `within`, `for` and `max` (`max` no shorter than `for`), error kinds among `timeout`, `rate_limited`, `unavailable`, `server_error` and `bad_request`, a whole number of `trials` from 1 to 100, a scope `per fleet`, `per tenant` or `per session`, each option at most once, and at most one breaker per tool in a policy. See docs/breakers.md.',
    ),
    "RG243": (
        "bad fallback",
        "`fallback` names tools (plain names, not patterns) that a denied call is offered instead; it belongs to `deny call` rules and to breakers, where a call can be denied.",
    ),
    "RG301": (
        "unknown tool",
        "The rule names a tool that the policy's catalog (`tools from`) lacks, usually a typo that would block the tool the agent needs (an error), or a glob that matches no tool of the catalog, so that the rule can never apply (a warning). Session builtins that count calls of a tool (`session.count`, `session.seen`, `session.after`) are checked the same way: a misspelled tool is never counted.",
    ),
    "RG302": (
        "fails open",
        "`on_error allow` lets an event through when one of the policy's checks errors or times out.",
    ),
    "RG303": (
        "shadow mode",
        "A policy in `mode shadow` only reports what it would do; nothing in it is enforced.",
    ),
    "RG304": (
        "entity needs a model",
        "The call asks `pii` builtins for entities only a named-entity model finds (PERSON, LOCATION, ...), and no spaCy model is configured (`model:` in the call, `RAILGUARD_PII_MODEL`, or `pii.configure(model=...)`) or the configured one is not installed: those entities will never be found. Install one (`pip install 'railguard[ner]'`) and configure it, or drop the entities.",
    ),
    "RG305": (
        "unknown argument",
        "A `call` rule reads a path into `args` (`args.recipient`, `args.items[0].sku`) that the parameter schema of no tool it targets declares, according to the `tools from` catalog. The path always reads `null`, so the condition fails closed or never holds: usually a typo of a parameter name. Schemas that allow extra properties (`additionalProperties`, `patternProperties`) or declare none are not checked.",
    ),
    "RG306": (
        "rule can never fire",
        "A condition reads nothing from the event and folds to a constant when the policy compiles: a `when` that is always false, or an `unless` that always holds, so the rule never applies. (A rule whose tools match nothing in the catalog is RG301.) Usually a literal where a path was meant, or a comparison written backwards.",
    ),
    "RG307": (
        "condition always true",
        "A condition folds to a constant that always lets the rule apply: a `when` that always holds or an `unless` that is always false. It filters nothing, so the rule applies to every event its target matches, which is rarely what the condition's author meant.",
    ),
    "RG308": (
        "redundant or shadowed rule",
        "Another rule of the same policy makes this one pointless: an unconditional rule with the same effect applies to every event this one does (the two allows, denies or escalations overlap), or an unconditional `deny` covers every event this `allow` or `escalate` rule applies to, and deny overrides. Remove the rule, or narrow the other one. Rules are compared within one policy (its includes count).",
    ),
    "RG309": (
        "conflicting allow and deny",
        "An unconditional `allow` and an unconditional `deny` of the same policy name the same tool. Deny overrides, so the allow never takes effect and the policy says two opposite things about one tool; decide which one is meant.",
    ),
    "RG310": (
        "duplicate rule",
        "Two rules of a policy have the same effect, target and conditions; only their names or messages differ. Every match is reported twice, and an edit to one of them leaves the other behind. Keep one.",
    ),
    "RG311": (
        "deny without a message",
        "A `deny` or `escalate` rule without `message` tells the agent (or the human asked to approve) only the rule's id. Say why the call is refused and what would be accepted, so that the agent can recover on its own; messages can interpolate the event (`{args.to}`).",
    ),
    "RG312": (
        "unanchored regular expression",
        "`matches` and `regex.search` search: the pattern may match anywhere in the value. A pattern anchored at one end only whose other end repeats a character class (`/^[a-z0-9_]+/`) clearly meant to match the whole value, yet accepts anything that starts (or ends) the right way, such as `ok; rm -rf /`; and in `/^a|b$/` the anchors bind to the first and last alternatives only. Anchor both ends (`/^[a-z0-9_]+$/`, `/^(?:a|b)$/`), or use `regex.full_match`.",
    ),
    "RG313": (
        "policy allows everything",
        "A policy that is `default allow` (written, or by leaving `default` out) and has no `deny` or `escalate` rule stops no call, and its `allow` rules change nothing. A tool allowlist needs `default deny`.",
    ),
    "RG314": (
        "unused include",
        "An included file brings no rules into the policy. Includes merge rules only: the included file's settings (`default`, `on_error`, `tools from`, ...) do not apply to the including policy. Remove the include, or move the rules it was meant to bring into the file.",
    ),
    "RG315": (
        "label never attached",
        '`session.labeled("x")` is true once a `label x` rule has marked the session, but no rule of the linted policies attaches that label, so the condition is always false: usually a typo of the label. Lint the policy together with the policy that attaches the label.',
    ),
    "RG316": (
        "bad lint directive",
        "A `# railguard:` comment that lint cannot read: a key other than `disable`, `disable-file`, `severity` and `severity-file`, an unknown code, a level other than `error`, `warning`, `info` and `off`, or a code that is not a lint finding (parse and compile errors cannot be disabled). See docs/lint.md.",
    ),
    "RG317": (
        "unknown fallback or breaker tool",
        "A `fallback` or a `breaker` names a tool that the policy's catalog (`tools from`) lacks: a fallback the agent has no such tool to call, or a breaker that never sees a call. Usually a typo.",
    ),
    "RG318": (
        "fallback never allowed",
        "A `fallback` names a tool that no `allow` rule of the `default deny` policy allows, so it is never offered: a verdict lists only the fallbacks the policies would allow for the same arguments. Allow the tool, or drop the fallback.",
    ),
    "RG320": (
        "tokenizer not installed",
        "`tokens.count` counts exactly through the `railguard[tokens]` extra (`bpe-openai`, which ships OpenAI's encodings). Without it, or with an `encoding:` the installed tokenizer does not ship, every rule that calls it fails closed. Install the extra (`pip install 'railguard[tokens]'`) where the policy runs, name a shipped encoding (`o200k_base`, `cl100k_base`), or use `tokens.estimate` where an estimate will do.",
    ),
    "RG403": (
        "malformed event",
        "An event that is not a JSON object of one of the four kinds, with the fields of that kind.",
    ),
}


def render_markdown() -> str:
    out = [
        "# Diagnostic codes",
        "",
        "Generated by `railguard explain --markdown` from `railguard/policylang/codes.py`.",
        "RG1xx are syntax errors, RG2xx compile errors, RG3xx lint findings, RG4xx runtime errors.",
    ]
    for code, (title, text) in CODES.items():
        out += ["", f"## {code.lower()}", "", f"**{code}: {title}.** {text}"]
    return "\n".join(out) + "\n"
