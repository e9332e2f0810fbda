"""Adversarial SQL: the shipped read-only policy lets no dangerous query through.

Attack queries come from two places:

* the SQL injection payload lists in `../shared/corpora/sqli/` (payloadbox and
  PayloadsAllTheThings, every line of every file under `Intruder/`, also URL-decoded), each
  spliced into several injection contexts (inside a string, after a number, after a closing
  parenthesis, at the end of a statement, in ORDER BY), under the shipped policy in
  postgres (its own dialect) and the same rules in mysql and tsql;
* hand-written bypass attempts in `adversarial/*.txt`, one category a file (see the README
  there), in postgres and the other dialects the issue names.

Every query gets a category from an oracle that does not use the code under test: for the
hand-written ones, the file it is in; for the corpus, a keyword scan of what is left of the
query once string literals, quoted names and comments are removed by a small lexer of its
own. The lexer reads every plausible way for the dialect (backslashes escaping or not; a
MySQL `/*! */` body is kept as code), and keeps the code of every reading, so a keyword that
any reading leaves as code counts. A corpus query whose code has no dangerous keyword is
`harmless` (for example a payload that stays inside a string literal): it may be allowed.

The acceptance criterion: not one query of a dangerous category is allowed (writes, schema
and privilege changes, denylisted functions, and also code execution, files, session
control, and for the hand-written ones tables off the allowlist). Queries that
are allowed are also checked after the row cap rewrites them: the rewritten query must be
allowed as it is and be harmless to the oracle.

    python tests/builtins/sql/test_adversarial.py      # the report: counts per category

Runtime: the full corpus runs under postgres (about 10,000 queries); under mysql and tsql
every query the oracle calls dangerous runs, and a deterministic fifth of the harmless ones.
"""

from __future__ import annotations

import functools
import re
import sys
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if __name__ == "__main__" and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import railguard  # noqa: E402

SQLI = ROOT.parent / "shared" / "corpora" / "sqli"
SOURCES = ("payloadbox/Intruder", "payloadsallthethings/Intruder")
HANDWRITTEN = Path(__file__).resolve().parent / "adversarial"
POLICY = ROOT / "policies" / "sql-readonly" / "sql-readonly.rail"
CORPUS_DIALECTS = ("postgres", "mysql", "tsql")
SAMPLE = 5  # under mysql and tsql, one harmless corpus query in SAMPLE is evaluated
CONTEXTS = {
    "string": "SELECT id, total FROM orders WHERE status = '{p}'",
    "number": "SELECT id, total FROM orders WHERE id = 1{p}",
    "paren": "SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers){p}",
    "statement": "SELECT id FROM orders;{p}",
    "order": "SELECT id, total FROM orders ORDER BY {p}",
}
DANGEROUS = ("write", "schema", "privilege", "function", "exec", "file", "session", "table")
HARMLESS = "harmless"
# the evaluation budget is raised so that verdicts reflect the checks, never the clock
LIMITS = railguard.Limits(checker_ms=60_000)


# ---- the oracle ---------------------------------------------------------------------


@dataclass(frozen=True)
class Lexing:
    """One way a server may split query text into code, strings and comments."""

    backslash: bool = False  # a backslash escapes the next character in '...' and "..."
    hash_comments: bool = False  # `#` starts a comment to the end of the line (MySQL)
    dash_needs_space: bool = False  # `--` is a comment only before a space or control char
    nested: bool = False  # block comments nest
    dollar: bool = False  # $tag$ ... $tag$ strings and E'...' strings (PostgreSQL)
    brackets: bool = False  # [names] (T-SQL)
    backticks: bool = False  # `names` (MySQL)


LEXINGS = {
    "postgres": (
        Lexing(nested=True, dollar=True),
        Lexing(nested=True, dollar=True, backslash=True),
    ),
    "mysql": (
        Lexing(backslash=True, hash_comments=True, dash_needs_space=True, backticks=True),
        Lexing(hash_comments=True, dash_needs_space=True, backticks=True),
    ),
    "tsql": (Lexing(nested=True, brackets=True),),
}
LEXINGS |= {d: LEXINGS["postgres"] for d in ("duckdb", "snowflake", "bigquery", "oracle")}
LEXINGS["sqlite"] = (Lexing(brackets=True, backticks=True),)

_NAME_CHAR = re.compile(r"[\w$\u0080-\U0010ffff]")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\U0010ffff][\w\u0080-\U0010ffff]*)?\$")
_EXECUTED_COMMENT = re.compile(r"/\*[mM]?!")
_SPECIAL = re.compile(r"['\"`\[$eE\-#/]")


def code(text: str, lx: Lexing) -> str:
    """`text` with its strings, quoted names and comments replaced by spaces.

    A MySQL `/*! ... */` (or MariaDB `/*M! ... */`) comment is code; so is anything a
    server would not read as a comment or a string (`{# ... #}`, a `--` MySQL needs a
    space after).
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        special = _SPECIAL.search(text, i)  # copy plain text up to the next special character
        if special is None:
            out.append(text[i:])
            break
        out.append(text[i : special.start()])
        i = special.start()
        c = text[i]
        after = text[i + 1] if i + 1 < n else ""
        name_before = i > 0 and _NAME_CHAR.match(text[i - 1]) is not None
        end = None
        if c == "'" or c == '"':
            end = _quoted(text, i, c, lx.backslash)
        elif c == "`" and lx.backticks:
            end = _quoted(text, i, "`", False)
        elif c == "[" and lx.brackets:
            close = text.find("]", i + 1)
            end = n if close < 0 else close + 1
        elif lx.dollar and c in "eE" and after == "'" and not name_before:
            end = _quoted(text, i + 1, "'", True)
        elif lx.dollar and c == "$" and not name_before and (m := _DOLLAR_TAG.match(text, i)):
            close = text.find(m.group(), m.end())
            end = n if close < 0 else close + len(m.group())
        elif (c == "-" and after == "-" and _dash_comment(text, i, lx)) or (
            c == "#" and lx.hash_comments
        ):
            end = _line_end(text, i)
        elif c == "/" and after == "*" and not _EXECUTED_COMMENT.match(text, i):
            end = _block_end(text, i, lx.nested)
        if end is None:
            out.append(c)
            i += 1
        else:
            out.append(" ")
            i = end
    return "".join(out)


def _quoted(text: str, i: int, quote: str, backslash: bool) -> int:
    j, n = i + 1, len(text)
    while j < n:
        ch = text[j]
        if (backslash and ch == "\\") or (ch == quote and text[j + 1 : j + 2] == quote):
            j += 2  # an escaped character, or a doubled quote
        elif ch == quote:
            return j + 1
        else:
            j += 1
    return n  # unterminated: the server rejects the rest


def _dash_comment(text: str, i: int, lx: Lexing) -> bool:
    if not lx.dash_needs_space:
        return True
    nxt = text[i + 2] if i + 2 < len(text) else ""
    return nxt == "" or nxt in " \t\n\r\x0b\x0c" or ord(nxt) < 32 or nxt == "\x7f"


def _line_end(text: str, i: int) -> int:
    # a comment ends at the first line break of any kind a server may take for one
    ends = [p for p in (text.find("\n", i), text.find("\r", i)) if p >= 0]
    return min(ends) if ends else len(text)


def _block_end(text: str, i: int, nested: bool) -> int:
    depth, j, n = 0, i, len(text)
    while j < n:
        if text.startswith("/*", j):
            depth = depth + 1 if nested or depth == 0 else depth
            j += 2
        elif text.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        else:
            j += 1
    return n


# Statement words are dangerous where a statement can begin: at the start of the code,
# after `;`, `(` or `)`, or after a word that introduces one (`CREATE TABLE t AS DELETE` no,
# but `EXPLAIN ANALYZE DELETE`, `WITH d AS (DELETE`, `DO`, `BEGIN ... END`), and anywhere in
# T-SQL, which needs no `;` between statements (for its reserved statement words). Elsewhere
# such a word is a name (`ORDER BY update`). The other patterns are dangerous anywhere.
_STATEMENT_WORDS = {
    "privilege": r"GRANT|REVOKE|DENY|SET\s+ROLE|SET\s+SESSION\s+AUTHORIZATION|SETUSER|REVERT|"
    r"EXECUTE\s+AS|(?:CREATE|ALTER|DROP)\s+(?:USER|ROLE|LOGIN)",
    "schema": r"DROP|ALTER|CREATE|RENAME|COMMENT\s+ON|REINDEX|CLUSTER|REFRESH|UNDROP",
    "file": r"COPY|LOAD|BULK|ATTACH|DETACH|EXPORT|BACKUP|RESTORE|PUT|GET",
    "write": r"INSERT|UPDATE|DELETE|MERGE|REPLACE|UPSERT|TRUNCATE",
    "exec": r"EXEC|EXECUTE|CALL|DO|PREPARE|DECLARE|SHUTDOWN|KILL|RECONFIGURE|DBCC|CHECKPOINT|"
    r"INSTALL|HANDLER|WAITFOR|xp_\w+|sp_\w+",
    "session": r"BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|LOCK|UNLOCK|LISTEN|NOTIFY|UNLISTEN|"
    r"VACUUM|ANALYZE|PRAGMA|USE|SET|RESET|FLUSH|DISCARD|FETCH|OPEN|CLOSE|DEALLOCATE",
}
_ANYWHERE = {
    "file": r"INTO\s+(?:OUTFILE|DUMPFILE)|LOAD_FILE\s*\(",
    "write": r"INTO",
    "function": r"WAITFOR|(?:PG_SLEEP\w*|SLEEP|BENCHMARK|GET_LOCK|PG_READ_\w*FILE|PG_LS_DIR|"
    r"LO_IMPORT|LO_EXPORT|DBLINK\w*|CURRENT_SETTING|QUERY_TO_XML|EXTRACTVALUE|UPDATEXML|"
    r"SYS_EXEC|SYS_EVAL|OPENROWSET|OPENQUERY|OPENDATASOURCE|MASTER_POS_WAIT|LOAD_EXTENSION|"
    r"XP_\w+|(?:\w+\.)?(?:DBMS_PIPE|DBMS_LOCK|UTL_HTTP|UTL_INADDR|UTL_FILE|DBMS_JAVA)\.\w+)\s*\(",
    "session": r"FOR\s+(?:NO\s+KEY\s+)?UPDATE|FOR\s+(?:KEY\s+)?SHARE|LOCK\s+IN\s+SHARE\s+MODE",
}
# T-SQL's reserved words that begin a statement: T-SQL reads them as one wherever they stand.
_TSQL_STATEMENTS = frozenset(
    "ALTER BACKUP BEGIN BREAK BULK CHECKPOINT CLOSE COMMIT CONTINUE CREATE DBCC DEALLOCATE "
    "DECLARE DELETE DENY DROP DUMP EXEC EXECUTE FETCH GOTO GRANT IF INSERT KILL LOAD MERGE "
    "OPEN PRINT RAISERROR READTEXT RECONFIGURE RESTORE RETURN REVERT REVOKE ROLLBACK SAVE SET "
    "SETUSER SHUTDOWN TRUNCATE UPDATE UPDATETEXT USE WAITFOR WHILE WRITETEXT".split()
)
_NOT_A_NAME_BEFORE = r"(?<![\w$@#.])"
_NOT_A_NAME_AFTER = r"(?:(?<=\()|(?![\w$]))"  # a word ends here, or a call's `(` did
_START = (
    r"(?:^|[;()]|"
    + _NOT_A_NAME_BEFORE
    + r"(?:AS|EXPLAIN|ANALYZE|ANALYSE|VERBOSE|DO|THEN|ELSE|BEGIN)"
    + _NOT_A_NAME_AFTER
    + r")\s*"
)
_AT_START = {
    c: re.compile(_START + f"(?:{w})" + _NOT_A_NAME_AFTER, re.IGNORECASE)
    for c, w in _STATEMENT_WORDS.items()
}
_INSIDE = {
    c: re.compile(_NOT_A_NAME_BEFORE + f"(?:{w})" + _NOT_A_NAME_AFTER, re.IGNORECASE)
    for c, w in _STATEMENT_WORDS.items()
}
_ANYWHERE_RX = {
    c: re.compile(_NOT_A_NAME_BEFORE + f"(?:{w})" + _NOT_A_NAME_AFTER, re.IGNORECASE)
    for c, w in _ANYWHERE.items()
}
_ANY_WORD = re.compile(
    _NOT_A_NAME_BEFORE
    + "(?:"
    + "|".join(f"(?:{w})" for w in (*_STATEMENT_WORDS.values(), *_ANYWHERE.values()))
    + ")"
    + _NOT_A_NAME_AFTER,
    re.IGNORECASE,
)
ORDER = ("privilege", "schema", "file", "write", "exec", "function", "session")


def _dangerous_in(text: str, category: str, dialect: str) -> bool:
    rx = _ANYWHERE_RX.get(category)
    if rx is not None and rx.search(text):
        return True
    if category not in _STATEMENT_WORDS:
        return False
    if _AT_START[category].search(text):
        return True
    if dialect == "tsql":
        for m in _INSIDE[category].finditer(text):
            word = m.group().split()[0].upper()
            if word in _TSQL_STATEMENTS or word.startswith(("XP_", "SP_")):
                return True
    return False


def classify(query: str, dialect: str) -> str:
    """The oracle: the first dangerous category that any reading of `query` leaves as code,
    else `harmless`."""
    if not _ANY_WORD.search(query):
        return HARMLESS  # no dangerous word anywhere, not even in strings or comments
    readings = {code(query, lx).strip() for lx in LEXINGS[dialect]}
    for category in ORDER:
        if any(_dangerous_in(text, category, dialect) for text in readings):
            return category
    return HARMLESS


# ---- attacks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attack:
    source: str  # "corpus" or "handwritten"
    origin: str  # file (and line) it comes from
    context: str  # the injection context, or the hand-written file's category
    dialect: str
    query: str
    category: str  # one of DANGEROUS, or HARMLESS


def payload_lines() -> Iterator[tuple[str, str]]:
    """(origin, payload) for every line of every payload file, raw and URL-decoded."""
    seen: set[str] = set()
    for folder in SOURCES:
        for path in sorted((SQLI / folder).rglob("*")):
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), start=1):
                origin = f"{path.relative_to(SQLI)}:{number}"
                for payload in (line, urllib.parse.unquote(line)):
                    if payload.strip() and payload not in seen:
                        seen.add(payload)
                        yield origin, payload


def corpus_attacks() -> list[Attack]:
    """Every payload in every context under the shipped policy (postgres); under mysql and
    tsql every query the oracle finds dangerous and every `SAMPLE`-th harmless one (a
    deterministic sample, to keep the run short)."""
    attacks = []
    for n, (origin, payload) in enumerate(payload_lines()):
        for context, template in CONTEXTS.items():
            query = template.replace("{p}", payload)
            for dialect in CORPUS_DIALECTS:
                category = classify(query, dialect)
                if dialect == "postgres" or category != HARMLESS or n % SAMPLE == 0:
                    attacks.append(Attack("corpus", origin, context, dialect, query, category))
    return attacks


_DIALECT_TAG = re.compile(r"^\[(\w+)\] ")


def handwritten_attacks() -> list[Attack]:
    attacks = []
    for path in sorted(HANDWRITTEN.glob("*.txt")):
        category = path.stem
        assert category in (*DANGEROUS, HARMLESS), f"{path.name}: not a category"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            query = line.encode("latin-1", "backslashreplace").decode("unicode_escape")
            dialect = "postgres"
            if m := _DIALECT_TAG.match(query):
                dialect, query = m.group(1), query[m.end() :]
            origin = f"adversarial/{path.name}:{number}"
            attacks.append(Attack("handwritten", origin, category, dialect, query, category))
    return attacks


# ---- the policy ---------------------------------------------------------------------


@functools.cache
def guard(dialect: str) -> railguard.Guard:
    """The shipped policy file itself for postgres; its rules in another dialect otherwise."""
    if dialect == "postgres":
        return railguard.load(POLICY.parent, limits=LIMITS)
    text = POLICY.read_text(encoding="utf-8")
    assert 'dialect "postgres"' in text
    text = text.replace('dialect "postgres"', f'dialect "{dialect}"')
    text = text.replace('tools from "tools.json"', "")
    return railguard.loads(text, name=f"sql-readonly ({dialect})", limits=LIMITS)


@dataclass(frozen=True)
class Outcome:
    attack: Attack
    allowed: bool
    rewritten: str | None  # the row-capped query, when the policy rewrote it
    reasons: tuple[str, ...]


def evaluate(query: str, dialect: str) -> railguard.Verdict:
    event = railguard.ToolCall(tool="run_sql", args={"query": query}, session="adversarial")
    return guard(dialect).evaluate(event)


def run(attacks: list[Attack]) -> list[Outcome]:
    outcomes = []
    for attack in attacks:
        verdict = evaluate(attack.query, attack.dialect)
        rewritten = (verdict.args or {}).get("query") if verdict.args else None
        reasons = tuple(v.rule.rsplit(".", 1)[-1] for v in verdict.violations)
        outcomes.append(Outcome(attack, verdict.decision == "allow", rewritten, reasons))
    return outcomes


@functools.cache
def corpus_outcomes() -> tuple[Outcome, ...]:
    return tuple(run(corpus_attacks()))


@functools.cache
def handwritten_outcomes() -> tuple[Outcome, ...]:
    return tuple(run(handwritten_attacks()))


def bypasses(outcomes: tuple[Outcome, ...]) -> list[Outcome]:
    return [o for o in outcomes if o.allowed and o.attack.category in DANGEROUS]


def rewrite_problems(outcomes: tuple[Outcome, ...]) -> list[str]:
    """Allowed queries whose row-capped rewrite is dangerous or would not pass as it is.

    The rewrite keeps the agent's text and adds a cap, so the oracle must read it as it
    reads the original (an unterminated string under one reading, which the server
    refuses, stays so: the oracle is stricter than a server there).
    """
    problems = []
    for o in outcomes:
        if not o.allowed or o.rewritten is None:
            continue
        category = classify(o.rewritten, o.attack.dialect)
        verdict = evaluate(o.rewritten, o.attack.dialect)
        worse = category != HARMLESS and category != classify(o.attack.query, o.attack.dialect)
        if worse or verdict.decision != "allow" or verdict.args is not None:
            problems.append(
                f"{o.attack.origin} [{o.attack.dialect}] {o.attack.query!r}\n"
                f"    rewritten to {o.rewritten!r}: oracle {category}, "
                f"{verdict.decision}, rewritten again: {verdict.args is not None}"
            )
    return problems


# ---- the report ---------------------------------------------------------------------


def summary(outcomes: tuple[Outcome, ...], title: str) -> str:
    generated: Counter[tuple[str, str]] = Counter()
    allowed: Counter[tuple[str, str]] = Counter()
    for o in outcomes:
        key = (o.attack.dialect, o.attack.category)
        generated[key] += 1
        allowed[key] += o.allowed
    lines = [
        title,
        f"{'dialect':<10} {'category':<10} {'generated':>9} {'denied':>7} {'allowed':>7}",
    ]
    for dialect in sorted({d for d, _ in generated}):
        for category in (*DANGEROUS, HARMLESS):
            key = (dialect, category)
            if generated[key]:
                g, a = generated[key], allowed[key]
                lines.append(f"{dialect:<10} {category:<10} {g:>9} {g - a:>7} {a:>7}")
    dangerous = [o for o in outcomes if o.attack.category in DANGEROUS]
    harmless = [o for o in outcomes if o.attack.category == HARMLESS]
    lines.append(
        f"{'all':<10} {'dangerous':<10} {len(dangerous):>9} "
        f"{sum(not o.allowed for o in dangerous):>7} {sum(o.allowed for o in dangerous):>7}"
    )
    lines.append(
        f"{'all':<10} {HARMLESS:<10} {len(harmless):>9} "
        f"{sum(not o.allowed for o in harmless):>7} {sum(o.allowed for o in harmless):>7}"
    )
    return "\n".join(lines)


def corpus_note() -> str:
    lines = sum(1 for _ in payload_lines())
    return (
        f"{lines} distinct payloads (lines and their URL-decoded forms) x {len(CONTEXTS)} "
        f"contexts x {len(CORPUS_DIALECTS)} dialects"
    )


def describe(outcome: Outcome) -> str:
    a = outcome.attack
    return f"{a.origin} [{a.dialect}, {a.context}, {a.category}] {a.query!r}"


# ---- tests --------------------------------------------------------------------------


def _need_corpus() -> None:
    missing = [s for s in SOURCES if not (SQLI / s).is_dir()]
    if missing:
        pytest.skip(f"SQL injection corpus not found: {', '.join(str(SQLI / s) for s in missing)}")


@pytest.mark.parametrize(
    ("query", "dialect", "category"),
    [
        ("SELECT * FROM orders WHERE a = 'x; DELETE FROM orders'", "postgres", HARMLESS),
        ("SELECT * FROM orders WHERE a = 'x'; DELETE FROM orders", "postgres", "write"),
        ("SELECT * FROM orders WHERE a = 'x\\'; DELETE FROM orders; --'", "postgres", "write"),
        ("SELECT * FROM orders WHERE a = 'x''; DELETE FROM orders; --'", "postgres", HARMLESS),
        ("SELECT 1 -- ; DROP TABLE orders", "postgres", HARMLESS),
        ("SELECT 1 /* a /* b */ ; DROP TABLE orders; */", "postgres", HARMLESS),
        ("SELECT 1 /* a /* b */ ; DROP TABLE orders; */", "mysql", "schema"),
        ("SELECT 1 # ; DROP TABLE orders", "mysql", HARMLESS),
        ("SELECT 1 # ; DROP TABLE orders", "postgres", "schema"),
        ("SELECT 1 --x; DROP TABLE orders", "mysql", "schema"),
        ("SELECT 1 /*!50000 ; DROP TABLE orders */", "postgres", "schema"),
        ("SELECT $a$ ; DROP TABLE orders; $a$", "postgres", HARMLESS),
        ("SELECT x$a$ ; DROP TABLE orders; $a$", "postgres", "schema"),
        ("SELECT E'\\'; DROP TABLE orders; --'", "postgres", HARMLESS),
        ("SELECT [drop] FROM orders", "tsql", HARMLESS),
        ("SELECT updated_at, pg_sleep_x FROM orders ORDER BY sleep", "postgres", HARMLESS),
        ("SELECT * FROM orders WHERE id = 1 AND SLEEP (5)", "mysql", "function"),
        ("SELECT 1 FROM orders FOR UPDATE", "postgres", "session"),
        ("SELECT @@version, @insert FROM orders", "mysql", HARMLESS),
        ("SELECT id FROM orders ORDER BY update", "postgres", HARMLESS),
        ("SELECT id FROM orders ORDER BY update", "tsql", "write"),
        ("SELECT id FROM orders ORDER BY handler", "tsql", HARMLESS),
        ("SELECT id FROM orders WHERE id = 1--sp_password", "mysql", HARMLESS),
        ("SELECT id FROM orders WHERE id = 1--sp_password", "tsql", HARMLESS),
        ("SELECT id FROM orders;exec master..xp_cmdshell 'ping x'--", "mysql", "exec"),
        ("SELECT id FROM orders x EXEC sp_who", "tsql", "exec"),
        ("WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d", "postgres", "write"),
        ("EXPLAIN ANALYZE DELETE FROM orders", "postgres", "write"),
        ("SELECT * INTO t FROM orders", "postgres", "write"),
    ],
)
def test_oracle(query: str, dialect: str, category: str) -> None:
    """The oracle's own lexer reads what it should: a wrong oracle makes the test weak."""
    assert classify(query, dialect) == category


def test_handwritten_attacks_are_denied() -> None:
    outcomes = handwritten_outcomes()
    print("\n" + summary(outcomes, "hand-written attacks, shipped read-only policy"))
    dangerous = [o for o in outcomes if o.attack.category in DANGEROUS]
    assert len(dangerous) >= 300
    assert {o.attack.dialect for o in dangerous} >= {
        "postgres",
        "mysql",
        "tsql",
        "sqlite",
        "snowflake",
        "bigquery",
        "duckdb",
    }
    found = bypasses(outcomes)
    assert not found, "allowed:\n" + "\n".join(describe(o) for o in found)


def test_corpus_attacks_are_denied() -> None:
    _need_corpus()
    outcomes = corpus_outcomes()
    print("\n" + corpus_note())
    print(summary(outcomes, "SQL injection corpus, shipped read-only policy"))
    assert len(outcomes) > 10_000
    assert sum(o.attack.category in DANGEROUS for o in outcomes) > 1_000
    found = bypasses(outcomes)
    assert not found, f"{len(found)} allowed:\n" + "\n".join(describe(o) for o in found[:50])


def test_every_context_and_source_is_used() -> None:
    _need_corpus()
    outcomes = corpus_outcomes()
    assert {o.attack.context for o in outcomes} == set(CONTEXTS)
    assert {o.attack.origin.split("/", 1)[0] for o in outcomes} == {
        s.split("/", 1)[0] for s in SOURCES
    }
    # every context yields dangerous queries, and the string context also harmless ones
    for context in CONTEXTS:
        categories = {o.attack.category for o in outcomes if o.attack.context == context}
        assert categories & set(DANGEROUS), context
    assert HARMLESS in {o.attack.category for o in outcomes if o.attack.context == "string"}


def test_rewritten_queries_stay_harmless() -> None:
    outcomes = handwritten_outcomes()
    if all((SQLI / s).is_dir() for s in SOURCES):
        outcomes += corpus_outcomes()
    problems = rewrite_problems(outcomes)
    assert not problems, "\n".join(problems[:50])


def main() -> int:
    hand = handwritten_outcomes()
    print(summary(hand, "hand-written attacks (tests/builtins/sql/adversarial), shipped policy"))
    outcomes = hand
    if all((SQLI / s).is_dir() for s in SOURCES):
        corpus = corpus_outcomes()
        print()
        print(corpus_note())
        print(summary(corpus, "SQL injection corpus (../shared/corpora/sqli), shipped policy"))
        outcomes = hand + corpus
    else:
        print(f"\nSQL injection corpus not found under {SQLI}: skipped")
    found = bypasses(outcomes)
    problems = rewrite_problems(outcomes)
    print(f"\nbypasses (dangerous and allowed): {len(found)}")
    for o in found:
        print("  " + describe(o))
    print(f"rewrite problems: {len(problems)}")
    for p in problems:
        print("  " + p)
    return 1 if found or problems else 0


if __name__ == "__main__":
    sys.exit(main())
