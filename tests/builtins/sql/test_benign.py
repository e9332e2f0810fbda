"""The benign side of the SQL checks: no real read query is denied.

Every query of the corpus in `benign/` (TPC-H and hand-written analytics queries in seven
dialects, each with the tables it reads listed by hand) goes through a read-only policy in
its dialect that allows exactly those tables: the rules of the shipped `sql-readonly` policy,
row cap included. See `bench/sql_false_deny.py`, which prints the same as a report
(`python bench/sql_false_deny.py`).
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from railguard.builtins import sql

ROOT = Path(__file__).resolve().parents[3]


def _load_runner() -> ModuleType:
    path = ROOT / "bench" / "sql_false_deny.py"
    spec = importlib.util.spec_from_file_location("sql_false_deny", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sql_false_deny", module)
    spec.loader.exec_module(module)
    return module


runner = _load_runner()
ENTRIES = runner.load_corpus()
BY_ID = {e.id: e for e in ENTRIES}


@pytest.mark.parametrize("entry_id", sorted(BY_ID))
def test_benign_query_is_allowed(entry_id: str) -> None:
    entry = BY_ID[entry_id]
    outcome = runner.check(entry)
    assert outcome.decision == "allow", (
        f"false deny of {entry.id} ({entry.source}):\n  "
        + "\n  ".join(outcome.reasons)
        + f"\n{entry.query}"
    )


@pytest.mark.parametrize("entry_id", sorted(BY_ID))
def test_the_row_cap_sends_an_allowed_query_and_keeps_a_smaller_limit(entry_id: str) -> None:
    """The capped query passes the same checks unchanged, and a query whose own limit is
    already at or under the cap is sent as written."""
    outcome = runner.check(BY_ID[entry_id])
    assert outcome.rewrite_problem is None, f"{outcome.rewrite_problem}\nsent: {outcome.sent}"


@pytest.mark.parametrize("entry_id", sorted(BY_ID))
def test_tables_are_the_ones_listed_by_hand(entry_id: str) -> None:
    """`sql.tables` reports exactly the tables the query reads: one too many is a false deny,
    one missing would let a query past a table allowlist."""
    entry = BY_ID[entry_id]
    assert sql.tables(entry.query, entry.dialect) == frozenset(entry.tables)


def test_the_corpus_is_large_and_varied() -> None:
    per_dialect = Counter(e.dialect for e in ENTRIES)
    assert len(ENTRIES) >= 400, per_dialect
    assert len(per_dialect) >= 3, per_dialect
    assert all(n >= 40 for n in per_dialect.values()), per_dialect
    tpch = {e.name.split()[0] for e in ENTRIES if e.name.startswith("tpch-q")}
    assert tpch == {f"tpch-q{n:02d}" for n in range(1, 23)}


def test_the_corpus_runner_counts_a_denied_query(tmp_path: Path) -> None:
    """The runner itself: a write in the corpus shows up as a false deny, and exits 1."""
    (tmp_path / "bad.yaml").write_text(
        "dialect: postgres\nqueries:\n"
        "  - {name: write, tables: [t], query: 'DELETE FROM t'}\n"
        "  - {name: read, tables: [t], query: 'SELECT a FROM t LIMIT 5'}\n",
        encoding="utf-8",
    )
    entries = runner.load_corpus(tmp_path)
    report = runner.run(entries)
    assert report["overall"]["queries"] == 2
    assert report["overall"]["false_denies"] == 1
    assert [f["name"] for f in report["false_denies"]] == ["write"]
    assert report["dialects"]["postgres"]["false_deny_rate"] == 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("queries: 3\n", "a `queries` list", id="no list"),
        pytest.param(
            "dialect: mysql\nqueries:\n  - {name: x, query: 'SELECT 1'}\n", "`tables`", id="tables"
        ),
        pytest.param(
            "queries:\n  - {name: x, tables: [], query: 'SELECT 1'}\n", "no dialect", id="dialect"
        ),
        pytest.param(
            "dialect: mysql\nqueries:\n  - {name: x, tables: [], query: 'SELECT 1', extra: 1}\n",
            "entry keys",
            id="unknown key",
        ),
    ],
)
def test_a_malformed_corpus_is_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(runner.CorpusError, match=message):
        runner.load_corpus(tmp_path)
