#!/usr/bin/env python3
"""False denies of the SQL checks on a corpus of benign queries.

    python bench/sql_false_deny.py            # per-dialect table, every false deny with its reason
    python bench/sql_false_deny.py --json     # the same, machine-readable
    python bench/sql_false_deny.py -v         # also list every query that was checked

The corpus is `tests/builtins/sql/benign/*.yaml`: real read queries (TPC-H and hand-written
analytics queries) in several dialects, each with the tables it reads, listed by hand. Each
query is sent as a `run_sql` call through a read-only policy in the query's dialect that
allows exactly those tables: the shipped `sql-readonly` rules (read_only, known_tables,
dangerous_functions, one_statement and the 1,000-row cap). A query that is not allowed is a
false deny. An allowed query whose rewritten (row-capped) text is not itself allowed, or is
rewritten again, is a rewrite problem.

Exit status: 0 when the false-deny rate is 0 and no rewrite has a problem, 1 otherwise,
2 when the corpus itself is malformed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import railguard  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import timing  # noqa: E402

CORPUS = ROOT / "tests" / "builtins" / "sql" / "benign"
ROW_CAP = 1000
# The per-check time limit of the corpus policy. The shipped default (100 ms) is a limit on
# a live service; on a busy 2-core machine a first parse in a dialect (sqlglot imports the
# dialect then) or a collection pause can pass it, and a timed-out check denies. That would
# be a flaky deny, not a wrong answer of the SQL analysis, which is what this measures;
# bench/bench_sql.py measures the time.
CHECKER_MS = 5000
_ENTRY_KEYS = {"name", "dialect", "dialects", "tables", "query", "note"}


class CorpusError(Exception):
    """The corpus files do not have the expected shape."""


@dataclass(frozen=True)
class Entry:
    """One benign query, in one dialect, with the tables it reads (as the dialect folds them)."""

    name: str
    dialect: str
    tables: tuple[str, ...]
    query: str
    source: str  # file:index, for messages

    @property
    def id(self) -> str:
        return f"{self.dialect}:{self.name}"


def load_corpus(folder: Path = CORPUS) -> list[Entry]:
    """Every entry of every `*.yaml` file in `folder`, one per dialect it lists.

    A file holds `dialect:` (the default) and `queries:`, a list of `{name, tables, query}`
    with an optional `dialect:` or `dialects: [...]` and an optional `note:`.
    """
    entries: list[Entry] = []
    seen: set[str] = set()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise CorpusError(f"no *.yaml files in {folder}")
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("queries"), list):
            raise CorpusError(f"{path.name}: expected a mapping with a `queries` list")
        default = doc.get("dialect")
        for index, item in enumerate(doc["queries"]):
            where = f"{path.name}:{index}"
            if not isinstance(item, dict) or set(item) - _ENTRY_KEYS:
                raise CorpusError(f"{where}: entry keys must be among {sorted(_ENTRY_KEYS)}")
            name, query, tables = item.get("name"), item.get("query"), item.get("tables")
            if not isinstance(name, str) or not isinstance(query, str) or not query.strip():
                raise CorpusError(f"{where}: `name` and `query` must be non-empty strings")
            if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
                raise CorpusError(f"{where} ({name}): `tables` must be a list of strings")
            dialects = item.get("dialects") or [item.get("dialect") or default]
            if not all(isinstance(d, str) for d in dialects):
                raise CorpusError(f"{where} ({name}): no dialect")
            for dialect in dialects:
                entry = Entry(name, dialect, tuple(tables), query, where)
                if entry.id in seen:
                    raise CorpusError(f"{where}: duplicate name {entry.id}")
                seen.add(entry.id)
                entries.append(entry)
    return entries


def _set_literal(names: Iterable[str]) -> str:
    return "{" + ", ".join(json.dumps(n) for n in sorted(names)) + "}"


def policy_text(dialect: str, tables: Iterable[str]) -> str:
    """The shipped read-only rules, in `dialect`, allowing exactly `tables`."""
    allowed = _set_literal(tables)
    in_message = allowed.replace('"', '\\"')
    return f"""\
policy benign_sql {{
  default deny
  dialect "{dialect}"
  limit checker_ms {CHECKER_MS}

  allow call run_sql

  rule read_only:
    deny call run_sql
      unless sql.read_only(args.query)
      message "run_sql is read-only: {{sql.writes(args.query)}}"

  rule known_tables:
    deny call run_sql
      when sql.tables(args.query) - {allowed}
      message "run_sql may not read {{sql.tables(args.query) - {in_message}}}"

  rule dangerous_functions:
    deny call run_sql
      when sql.denied_functions(args.query)
      message "run_sql may not call {{sql.denied_functions(args.query)}}"

  rule one_statement:
    deny call run_sql
      unless sql.statement_count(args.query) == 1
      message "run_sql runs one statement at a time"

  rule row_cap:
    redact call run_sql
      with sql.limit_rows(args.query, limit_to: {ROW_CAP})
}}
"""


_GUARDS: dict[tuple[str, tuple[str, ...]], Any] = {}


def guard_for(dialect: str, tables: Iterable[str]) -> Any:
    key = (dialect, tuple(sorted(tables)))
    if key not in _GUARDS:
        _GUARDS[key] = railguard.loads(policy_text(dialect, key[1]))
    return _GUARDS[key]


@dataclass
class Outcome:
    entry: Entry
    decision: str
    reasons: list[str]
    sent: str | None  # the rewritten query, when the row cap changed it
    rewrite_problem: str | None = None

    @property
    def false_deny(self) -> bool:
        return self.decision != "allow"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.entry.name,
            "dialect": self.entry.dialect,
            "source": self.entry.source,
            "decision": self.decision,
            "reasons": self.reasons,
            "sent": self.sent,
            "rewrite_problem": self.rewrite_problem,
        }


def _event(query: str) -> dict[str, Any]:
    return {"kind": "call", "tool": "run_sql", "args": {"query": query}}


def _limit_under_cap(entry: Entry) -> int | None:
    """The row count of a one-statement query's own LIMIT / TOP / FETCH FIRST when it is a
    number at or under the cap (so the cap has nothing to do), else None. Read with sqlglot
    here, not with the builtins under test."""
    import sqlglot
    from sqlglot import exp

    statements = [s for s in sqlglot.parse(entry.query, read=entry.dialect) if s is not None]
    if len(statements) != 1:
        return None
    node = statements[0].args.get("limit")
    if node is None:
        return None
    options = node.args.get("limit_options")
    if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
        return None  # TOP 10 PERCENT, FETCH FIRST 5 ROWS WITH TIES: no bound on the row count
    count = node.args.get("count") if isinstance(node, exp.Fetch) else node.expression
    if isinstance(count, exp.Literal) and count.is_int and int(count.this) <= ROW_CAP:
        return int(count.this)
    return None


def check(entry: Entry) -> Outcome:
    """The decision on `entry`, and whether the query actually sent passes the same checks."""
    guard = guard_for(entry.dialect, entry.tables)
    verdict = guard.evaluate(_event(entry.query))
    reasons = [f"{v.rule}: {v.message}" for v in verdict.violations]
    sent = verdict.args["query"] if verdict.allowed and verdict.args else None
    outcome = Outcome(entry, verdict.decision, reasons, sent)
    if sent is not None:
        kept = _limit_under_cap(entry)
        if kept is not None:
            outcome.rewrite_problem = (
                f"the query already returns at most {kept} rows, but the row cap rewrote it"
            )
            return outcome
        again = guard.evaluate(_event(sent))
        if not again.allowed:
            outcome.rewrite_problem = "the rewritten query is not allowed: " + "; ".join(
                f"{v.rule}: {v.message}" for v in again.violations
            )
        elif again.args:
            outcome.rewrite_problem = (
                f"the rewritten query is rewritten again, to {again.args['query']!r}"
            )
    return outcome


def run(entries: list[Entry]) -> dict[str, Any]:
    outcomes = [check(e) for e in entries]
    per: dict[str, dict[str, Any]] = {}
    for dialect in sorted({e.dialect for e in entries}):
        mine = [o for o in outcomes if o.entry.dialect == dialect]
        denied = sum(o.false_deny for o in mine)
        per[dialect] = {
            "queries": len(mine),
            "false_denies": denied,
            "false_deny_rate": denied / len(mine),
            "rewritten": sum(o.sent is not None for o in mine),
            "rewrite_problems": sum(o.rewrite_problem is not None for o in mine),
        }
    denied = sum(o.false_deny for o in outcomes)
    return {
        "corpus": str(CORPUS.relative_to(ROOT)),
        "row_cap": ROW_CAP,
        "dialects": per,
        "overall": {
            "queries": len(outcomes),
            "false_denies": denied,
            "false_deny_rate": denied / len(outcomes) if outcomes else 0.0,
            "rewritten": sum(o.sent is not None for o in outcomes),
            "rewrite_problems": sum(o.rewrite_problem is not None for o in outcomes),
        },
        "false_denies": [o.to_dict() for o in outcomes if o.false_deny],
        "rewrite_problems": [o.to_dict() for o in outcomes if o.rewrite_problem],
        "outcomes": outcomes,
    }


def render(report: dict[str, Any], verbose: bool) -> str:
    out = [
        f"SQL false denies: benign corpus {report['corpus']}, read-only policy per query "
        f"(its tables allowed, row cap {report['row_cap']})",
        "",
    ]
    rows: list[list[object]] = []
    for name, s in [*report["dialects"].items(), ("overall", report["overall"])]:
        rate = f"{s['false_deny_rate']:.2%}"
        rows.append(
            [name, s["queries"], s["false_denies"], rate, s["rewritten"], s["rewrite_problems"]]
        )
    headers = ["dialect", "queries", "false denies", "rate", "capped", "rewrite problems"]
    out.append(timing.format_table(headers, rows))
    out.append("")
    if report["false_denies"]:
        out.append("false denies")
        for f in report["false_denies"]:
            out.append(f"  {f['dialect']}:{f['name']} ({f['source']}): {f['decision']}")
            out.extend(f"      {r}" for r in f["reasons"])
    else:
        out.append("false denies: none")
    if report["rewrite_problems"]:
        out.append("rewrite problems")
        for f in report["rewrite_problems"]:
            out.append(f"  {f['dialect']}:{f['name']} ({f['source']}): {f['rewrite_problem']}")
            out.append(f"      sent: {f['sent']}")
    if verbose:
        out.append("")
        out.append("every query")
        for oc in report["outcomes"]:
            capped = " (capped)" if oc.sent is not None else ""
            out.append(f"  {oc.decision:<8} {oc.entry.id}{capped}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every query")
    args = parser.parse_args(argv)
    try:
        entries = load_corpus()
    except CorpusError as exc:
        print(f"error: malformed corpus: {exc}", file=sys.stderr)
        return 2
    report = run(entries)
    if args.json:
        print(json.dumps({k: v for k, v in report.items() if k != "outcomes"}, indent=2))
    else:
        print(render(report, args.verbose))
    overall = report["overall"]
    return 0 if overall["false_denies"] == 0 and overall["rewrite_problems"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
