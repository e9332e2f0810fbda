"""SQL safety on sqlglot: what a query reads, whether it writes, and a row cap.

Every builtin here reads one `Analysis` of (dialect, text), made once and kept in a bounded
LRU cache, so a rule set that asks five questions about one query parses it once.

The analysis is built to be hard to talk past:

* a statement is a plain read only if it is a query (`SELECT`, set operations, `VALUES`)
  and nothing inside it writes: no data-modifying CTE, `SELECT ... INTO`, locking read,
  or function that changes state;
* anything sqlglot cannot parse, or parses only as an opaque `Command`, is not a read;
* MySQL runs the body of `/*! ... */` comments, which every other parser skips: such a
  comment makes the query not read-only;
* text with look-alike characters (full-width letters and the like) is analysed a second
  time after Unicode NFKC folding, and both readings must be reads.

sqlglot itself is imported on first use, so that policies without SQL load fast.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Annotated, Any

from railguard.builtins.registry import EvalError, Redaction, builtin

DIALECTS = (
    "athena bigquery clickhouse databricks doris drill duckdb hive materialize mysql oracle "
    "postgres presto redshift risingwave snowflake spark spark2 sqlite starrocks teradata "
    "trino tsql"
).split()

Query = Annotated[str, "the SQL text"]
Dialect = Annotated[
    str, "the SQL dialect: postgres, mysql, sqlite, tsql, snowflake, bigquery, duckdb, ..."
]

# Functions that read files, run programs, reach the network, sleep or change state.
DENIED_FUNCTIONS: dict[str, frozenset[str]] = {
    "postgres": frozenset(
        "pg_sleep pg_sleep_for pg_sleep_until pg_read_file pg_read_binary_file pg_ls_dir "
        "pg_stat_file lo_import lo_export lo_unlink lo_from_bytea lo_put dblink dblink_exec "
        "dblink_connect pg_terminate_backend pg_cancel_backend pg_reload_conf pg_rotate_logfile "
        "set_config nextval setval pg_advisory_lock pg_advisory_xact_lock pg_try_advisory_lock "
        "copy_from query_to_xml current_setting pg_execute_server_program".split()
    ),
    "mysql": frozenset(
        "sleep benchmark load_file get_lock release_lock sys_exec sys_eval master_pos_wait "
        "extractvalue updatexml".split()
    ),
    "tsql": frozenset(
        "xp_cmdshell xp_regread xp_regwrite xp_dirtree xp_fileexist openrowset opendatasource "
        "openquery sp_executesql sp_oacreate sp_configure waitfor".split()
    ),
    "sqlite": frozenset("load_extension readfile writefile edit fts3_tokenizer".split()),
    "oracle": frozenset(
        "dbms_pipe.receive_message utl_http.request utl_inaddr.get_host_address dbms_lock.sleep "
        "utl_file.fopen dbms_java.runjava".split()
    ),
}
_ALL_DENIED = frozenset().union(*DENIED_FUNCTIONS.values())
# Functions that change state, whatever the dialect: a query calling one is not a read.
WRITE_FUNCTIONS = frozenset(
    "nextval setval lo_import lo_export lo_unlink lo_from_bytea lo_put dblink_exec "
    "set_config pg_terminate_backend pg_cancel_backend pg_reload_conf pg_rotate_logfile "
    "pg_advisory_lock pg_advisory_xact_lock pg_try_advisory_lock get_lock release_lock "
    "sys_exec xp_cmdshell xp_regwrite sp_configure sp_oacreate load_extension writefile edit".split()
)

_CACHE_CHARS = 8_000_000  # the cache holds at most this many characters of query text


@dataclass(frozen=True, slots=True)
class Finding:
    """Why a statement is not a plain read: which statement, what, and where in the text."""

    statement: int
    what: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"statement": self.statement, "what": self.what, "text": self.text}


@dataclass(slots=True)
class Analysis:
    kinds: list[str] = field(default_factory=list)
    writes: list[Finding] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)
    columns: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)
    unfiltered: list[int] = field(default_factory=list)  # UPDATE/DELETE without WHERE
    limits: list[int | None] = field(default_factory=list)  # per query statement
    error: str | None = None


# ---- the cache ----------------------------------------------------------------


class _Cache:
    def __init__(self, max_chars: int) -> None:
        self._items: OrderedDict[tuple[str, str], Analysis] = OrderedDict()
        self._chars = 0
        self._max = max_chars
        self._lock = threading.Lock()

    def get(self, dialect: str, text: str) -> Analysis:
        key = (dialect, text)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        analysis = _analyze(dialect, text)
        with self._lock:
            if key not in self._items and len(text) <= self._max:
                self._items[key] = analysis
                self._chars += len(text)
                while self._chars > self._max:
                    (_, old), _ = self._items.popitem(last=False)
                    self._chars -= len(old)
        return analysis

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._chars = 0


CACHE = _Cache(_CACHE_CHARS)


def analysis(query: str, dialect: str) -> Analysis:
    """The analysis of `query`; raises `EvalError` (so the rule fails closed) when it does not parse."""
    if dialect not in DIALECTS:
        raise EvalError(f"sql: unknown dialect `{dialect}`")
    result = CACHE.get(dialect, query)
    if result.error is not None:
        raise EvalError(result.error)
    return result


# ---- analysis -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Kinds:
    """sqlglot's expression classes, sorted into what reads and what does not."""

    reads: tuple[type, ...]
    writes: tuple[type, ...]


_kinds: _Kinds | None = None


def _sqlglot() -> tuple[Any, Any, _Kinds]:
    global _kinds
    import sqlglot
    from sqlglot import exp

    if _kinds is None:
        logging.getLogger("sqlglot").setLevel(logging.ERROR)
        write_names = (
            "Insert Update Delete Merge Create Drop Alter TruncateTable Command Copy Set Grant "
            "Revoke Transaction Commit Rollback Into Lock Pragma LoadData Use Cache Uncache "
            "Refresh Analyze Attach Detach Execute Kill Comment Export Install Declare Summarize"
        ).split()
        _kinds = _Kinds(
            reads=(exp.Query, exp.Values),
            writes=tuple(getattr(exp, n) for n in write_names if hasattr(exp, n)),
        )
    return sqlglot, exp, _kinds


def _analyze(dialect: str, text: str) -> Analysis:
    result = _analyze_text(dialect, text)
    if result.error is None and not text.isascii():
        folded = unicodedata.normalize("NFKC", text)
        if folded != text:
            other = _analyze_text(dialect, folded)
            if other.error is not None:
                result.writes.append(
                    Finding(0, "look-alike characters that fold to unparseable SQL", "")
                )
            for f in other.writes:
                result.writes.append(
                    Finding(f.statement, f.what + " (after folding look-alike characters)", f.text)
                )
    return result


def _analyze_text(dialect: str, text: str) -> Analysis:
    sqlglot, exp, kinds = _sqlglot()
    from sqlglot.errors import ErrorLevel, ParseError, TokenError
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    out = Analysis()
    try:
        statements = [
            s
            for s in sqlglot.parse(text, read=dialect, error_level=ErrorLevel.RAISE)
            if s is not None
        ]
    except (ParseError, TokenError) as exc:
        out.error = f"sql: the query does not parse as {dialect}: {_parse_message(exc)}"
        return out
    except Exception as exc:  # sqlglot raising something else is still a query we cannot read
        out.error = f"sql: the query does not parse as {dialect}: {type(exc).__name__}: {exc}"
        return out
    if not statements:
        out.error = "sql: the query is empty"
        return out
    if "/*!" in text:
        out.writes.append(Finding(0, "a `/*! ... */` comment, whose body MySQL executes", "/*!"))
    for index, statement in enumerate(statements, start=1):
        statement = normalize_identifiers(statement, dialect=dialect)
        out.kinds.append(_kind(statement, exp))
        if not isinstance(statement, kinds.reads):
            out.writes.append(
                Finding(index, f"a {out.kinds[-1]} statement", _snippet(statement, dialect))
            )
        else:
            out.limits.append(_limit(statement, exp))
        ctes = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
        for node in statement.walk():
            if isinstance(node, kinds.writes) and node is not statement:
                out.writes.append(
                    Finding(
                        index,
                        f"{_describe(node, exp)} inside the statement",
                        _snippet(node, dialect),
                    )
                )
            elif isinstance(node, exp.Table):
                if node.name and not (node.name in ctes and not node.db):
                    out.tables.add(".".join(p.name for p in node.parts))
            elif isinstance(node, exp.Column):
                out.columns.add(
                    "*" if isinstance(node.this, exp.Star) else node.sql(dialect=dialect)
                )
            elif isinstance(node, exp.Star) and not isinstance(node.parent, exp.Column):
                out.columns.add("*")
            if isinstance(node, exp.Func):
                name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
                out.functions.add(name)
                if name in WRITE_FUNCTIONS:
                    out.writes.append(
                        Finding(
                            index,
                            f"the function `{name}`, which changes state",
                            _snippet(node, dialect),
                        )
                    )
        if isinstance(statement, (exp.Update, exp.Delete)) and not statement.args.get("where"):
            out.unfiltered.append(index)
    return out


def _kind(statement: Any, exp: Any) -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).lower()
    key: str = statement.key
    return {"select": "select", "union": "select", "intersect": "select", "except": "select"}.get(
        key, key
    )


def _describe(node: Any, exp: Any) -> str:
    if isinstance(node, exp.Into):
        return "SELECT ... INTO"
    if isinstance(node, exp.Lock):
        return "a locking read"
    return f"a {_kind(node, exp).upper()}"


def _limit(statement: Any, exp: Any) -> int | None:
    limit = statement.args.get("limit")
    node = limit.expression if limit is not None else None
    fetch = statement.args.get("fetch") if node is None else None
    if fetch is not None:
        node = fetch.args.get("count")
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


def _snippet(node: Any, dialect: str) -> str:
    text: str = node.sql(dialect=dialect)
    return text if len(text) <= 120 else text[:117] + "..."


def _parse_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        e = errors[0]
        return (
            f"{e.get('description', 'syntax error')} at line {e.get('line')}, column {e.get('col')}"
        )
    return str(exc).split("\n")[0]


# ---- builtins -----------------------------------------------------------------


@builtin("sql.read_only", examples=['sql.read_only(args.query, dialect: "postgres")'])
def read_only(query: Query, dialect: Dialect = "postgres") -> bool:
    """True when every statement of `query` is a plain read.

    Not a read: DML, DDL, DCL, transaction control, `SELECT ... INTO`, locking reads,
    `COPY`, `CALL`/`EXEC`, `SET`, `PRAGMA`, data-modifying CTEs, functions that change
    state, MySQL `/*! */` comments, and anything sqlglot parses only as an opaque command.
    A query that does not parse is an error, so the rule fails closed.
    """
    return not analysis(query, dialect).writes


@builtin("sql.writes", examples=['sql.writes(args.query, dialect: "mysql")'])
def writes(query: Query, dialect: Dialect = "postgres") -> list[Any]:
    """What in `query` is not a plain read: a list of `{statement, what, text}` (empty for a read)."""
    return [f.to_dict() for f in analysis(query, dialect).writes]


@builtin("sql.statements", examples=['sql.statements(args.query) - {"select"}'])
def statements(query: Query, dialect: Dialect = "postgres") -> list[Any]:
    """The kind of every statement, in order: `select`, `insert`, `update`, `delete`, `create`, ..."""
    return list(analysis(query, dialect).kinds)


@builtin("sql.statement_count", examples=["sql.statement_count(args.query) == 1"])
def statement_count(query: Query, dialect: Dialect = "postgres") -> int:
    """How many statements `query` holds (stacked queries count each)."""
    return len(analysis(query, dialect).kinds)


@builtin("sql.tables", examples=['sql.tables(args.query, dialect: "snowflake") - {"sales.orders"}'])
def tables(query: Query, dialect: Dialect = "postgres") -> frozenset[Any]:
    """Every table `query` reads or writes, qualified as written and case-folded the dialect's way.

    CTE names are left out; tables inside CTEs, subqueries, joins and set operations are in.
    """
    return frozenset(analysis(query, dialect).tables)


@builtin("sql.columns", examples=['"*" in sql.columns(args.query)'])
def columns(query: Query, dialect: Dialect = "postgres") -> frozenset[Any]:
    """Every column `query` names (`table.column` when qualified), and `*` for a star."""
    return frozenset(analysis(query, dialect).columns)


@builtin("sql.functions", examples=['sql.functions(args.query) & {"pg_sleep", "dblink"}'])
def functions(query: Query, dialect: Dialect = "postgres") -> frozenset[Any]:
    """The lower-case names of every function `query` calls."""
    return frozenset(analysis(query, dialect).functions)


@builtin("sql.denied_functions", examples=['sql.denied_functions(args.query, also: ["lower"])'])
def denied_functions(
    query: Query,
    dialect: Dialect = "postgres",
    also: Annotated[list[Any] | frozenset[Any], "more function names to deny"] = frozenset(),
) -> frozenset[Any]:
    """The functions `query` calls that are on the shipped denylist (or in `also`).

    The denylist holds functions that sleep, read files, run programs, reach the network or
    change state, for every dialect at once (a query may be sent to a database other than
    the one the policy names).
    """
    extra = {str(f).lower() for f in also}
    return frozenset(analysis(query, dialect).functions & (_ALL_DENIED | extra))


@builtin("sql.has_where", examples=["sql.has_where(args.query)"])
def has_where(query: Query, dialect: Dialect = "postgres") -> bool:
    """True when every UPDATE and DELETE in `query` has a WHERE clause (true when there are none)."""
    return not analysis(query, dialect).unfiltered


@builtin("sql.limit", examples=["sql.limit(args.query) <= 1000"])
def limit(query: Query, dialect: Dialect = "postgres") -> int | None:
    """The largest row limit (`LIMIT`, `TOP`, `FETCH FIRST`) of the query's statements, or null
    when one of them has none."""
    limits = analysis(query, dialect).limits
    if not limits or any(n is None for n in limits):
        return None
    return max(n for n in limits if n is not None)


@builtin(
    "sql.limit_rows",
    kind="redactor",
    examples=[
        'redact call run_sql with sql.limit_rows(args.query, limit_to: 1000, dialect: "tsql")'
    ],
)
def limit_rows(
    value: Annotated[str, "the query (give it as the first argument, e.g. `args.query`)"],
    limit_to: Annotated[int, "the most rows a query may return"],
    dialect: Dialect = "postgres",
) -> list[Redaction]:
    """Add a row limit to every read statement that has none, and lower one that is higher.

    The limit is written in the dialect's own syntax (`LIMIT`, `TOP` for T-SQL, ...). A query
    that does not parse is an error: the call is denied rather than sent uncapped.
    """
    analysis(value, dialect)  # raises when the query does not parse
    sqlglot, exp, _ = _sqlglot()
    from sqlglot.errors import ErrorLevel

    parsed = sqlglot.parse(value, read=dialect, error_level=ErrorLevel.RAISE)
    changed = False
    out = []
    for statement in (s for s in parsed if s is not None):
        current = _limit(statement, exp) if isinstance(statement, exp.Query) else None
        if isinstance(statement, exp.Query) and (current is None or current > limit_to):
            statement = statement.limit(limit_to, copy=True)
            changed = True
        out.append(statement.sql(dialect=dialect))
    if not changed:
        return []
    return [(0, len(value), "; ".join(out))]
