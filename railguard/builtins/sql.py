"""SQL safety on sqlglot: what a query reads, whether it writes, and a row cap.

Every builtin here reads one `Analysis` of (dialect, text), made once and kept in a bounded
LRU cache, so a rule set that asks five questions about one query parses it once.

The analysis is built to be hard to talk past:

* a statement is a plain read only if it is a query (`SELECT`, set operations, `VALUES`)
  and nothing inside it writes: no data-modifying CTE, `SELECT ... INTO`, locking read,
  or function that changes state;
* anything sqlglot cannot parse, or parses only as an opaque `Command`, is not a read;
* MySQL runs the body of `/*! ... */` comments (MariaDB also `/*M! ... */`), which every
  other parser skips: such a comment makes the query not read-only;
* where servers, or their settings, split the same text differently, every reading must be
  a read: text with look-alike characters (full-width letters, Cyrillic and Greek letters
  that look Latin) is analysed again after folding them; text with a backslash again with
  the other rule for backslashes in strings (`standard_conforming_strings`,
  `NO_BACKSLASH_ESCAPES`); text with non-ASCII spaces again with them read as the name
  letters PostgreSQL and MySQL take them for;
* what sqlglot reads but the server does not is refused, not guessed at: `{# ... #}`
  template comments, `U&"..."` escaped names, and T-SQL reserved words that sqlglot takes
  for an alias where T-SQL starts a new statement (`SELECT * FROM t SHUTDOWN`);
* a row cap is checked after it is written: the capped query must read no more than the
  original.

sqlglot itself is imported on first use, so that policies without SQL load fast.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from railguard.builtins.registry import Choices, EvalError, Redaction, builtin
from railguard.builtins.sqlspans import Located, excerpt, locate, node_span, statement_spans

DIALECTS = (
    "athena bigquery clickhouse databricks doris drill duckdb hive materialize mysql oracle "
    "postgres presto redshift risingwave snowflake spark spark2 sqlite starrocks teradata "
    "trino tsql"
).split()

Query = Annotated[str, "the SQL text"]
Dialect = Annotated[
    str,
    "the SQL dialect (postgres, mysql, sqlite, tsql, snowflake, bigquery, duckdb, ...); "
    "a policy's `dialect` setting supplies it when left out",
    Choices(tuple(DIALECTS)),
]

# Functions that read files, run programs, reach the network, sleep or change state.
DENIED_FUNCTIONS: dict[str, frozenset[str]] = {
    "postgres": frozenset(
        "pg_sleep pg_sleep_for pg_sleep_until pg_read_file pg_read_binary_file pg_ls_dir "
        "pg_stat_file lo_import lo_export lo_unlink lo_from_bytea lo_put dblink dblink_exec "
        "dblink_connect pg_terminate_backend pg_cancel_backend pg_reload_conf pg_rotate_logfile "
        "set_config nextval setval pg_advisory_lock pg_advisory_xact_lock pg_try_advisory_lock "
        "copy_from query_to_xml current_setting pg_execute_server_program "
        "pg_advisory_lock_shared pg_advisory_xact_lock_shared pg_try_advisory_lock_shared "
        "pg_try_advisory_xact_lock pg_try_advisory_xact_lock_shared pg_notify pg_file_write "
        "pg_file_rename pg_file_unlink pg_file_sync pg_logdir_ls pg_ls_logdir pg_ls_waldir "
        "pg_ls_tmpdir pg_ls_archive_statusdir lo_creat lo_create lo_open lowrite lo_truncate "
        "lo_get loread dblink_send_query dblink_open dblink_fetch dblink_connect_u "
        "pg_create_restore_point pg_switch_wal pg_promote pg_logical_emit_message "
        "pg_create_physical_replication_slot pg_create_logical_replication_slot "
        "pg_drop_replication_slot pg_stat_reset "
        "query_to_xmlschema query_to_xml_and_xmlschema cursor_to_xml table_to_xml "
        "table_to_xmlschema table_to_xml_and_xmlschema schema_to_xml database_to_xml".split()
    ),
    "mysql": frozenset(
        "sleep benchmark load_file get_lock release_lock sys_exec sys_eval master_pos_wait "
        "extractvalue updatexml release_all_locks source_pos_wait wait_for_executed_gtid_set "
        "wait_until_sql_thread_after_gtids sys_get sys_set".split()
    ),
    "tsql": frozenset(
        "xp_cmdshell xp_regread xp_regwrite xp_dirtree xp_fileexist openrowset opendatasource "
        "openquery sp_executesql sp_oacreate sp_configure waitfor fn_xe_file_target_read_file "
        "fn_get_audit_file fn_trace_gettable".split()
    ),
    "sqlite": frozenset("load_extension readfile writefile edit fts3_tokenizer".split()),
    "oracle": frozenset(
        "dbms_pipe.receive_message utl_http.request utl_inaddr.get_host_address dbms_lock.sleep "
        "utl_file.fopen dbms_java.runjava".split()
    ),
    "snowflake": frozenset(
        "system$wait system$cancel_query system$cancel_all_queries system$abort_session "
        "system$abort_transaction".split()
    ),
    "bigquery": frozenset(["external_query"]),
    "duckdb": frozenset(
        "read_text read_blob read_csv read_csv_auto read_json read_json_auto read_json_objects "
        "read_ndjson read_ndjson_auto read_ndjson_objects read_parquet parquet_scan read_xlsx "
        "sniff_csv getenv sqlite_scan sqlite_attach postgres_scan postgres_attach postgres_query "
        "postgres_execute mysql_query mysql_execute query query_table".split()
    ),
}
_ALL_DENIED = frozenset().union(*DENIED_FUNCTIONS.values())
# Functions that change state, whatever the dialect: a query calling one is not a read.
WRITE_FUNCTIONS = frozenset(
    "nextval setval lo_import lo_export lo_unlink lo_from_bytea lo_put dblink_exec "
    "set_config pg_terminate_backend pg_cancel_backend pg_reload_conf pg_rotate_logfile "
    "pg_advisory_lock pg_advisory_xact_lock pg_try_advisory_lock get_lock release_lock "
    "sys_exec xp_cmdshell xp_regwrite sp_configure sp_oacreate load_extension writefile edit "
    "pg_notify pg_file_write pg_file_rename pg_file_unlink lo_creat lo_create lowrite "
    "lo_truncate pg_advisory_lock_shared pg_advisory_xact_lock_shared "
    "pg_try_advisory_lock_shared pg_try_advisory_xact_lock pg_try_advisory_xact_lock_shared "
    "pg_create_restore_point "
    "pg_switch_wal pg_promote pg_logical_emit_message pg_create_physical_replication_slot "
    "pg_create_logical_replication_slot pg_drop_replication_slot pg_stat_reset "
    "postgres_execute mysql_execute".split()
)

# Where servers, or their settings, split the same text differently (see `_readings`).
_BACKSLASH_OPTIONAL = frozenset("postgres materialize risingwave mysql doris starrocks".split())
_UNICODE_NAMES = frozenset(
    "postgres materialize risingwave redshift mysql doris starrocks duckdb".split()
)
# Dialects where a CTE may refer to itself without `WITH RECURSIVE`.
_IMPLICIT_RECURSION = frozenset("tsql snowflake sqlite oracle teradata".split())
# Letters that look Latin but that NFKC leaves alone: Cyrillic and Greek.
_LOOKALIKES = str.maketrans(
    dict(
        zip(
            "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04bb"
            "\u04cf\u051b\u051d\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421"
            "\u0422\u0425\u0423\u0405\u0406\u0408\u03bf\u03b1\u03bd\u03c1\u03c4\u03b5"
            "\u03b9\u03ba\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f"
            "\u03a1\u03a4\u03a5\u03a7",
            "aeopcyxijsdhlqwABEKMHOPCTXYSIJoavpteikABEZHIKMNOPTYX",
            strict=True,
        )
    )
)
# T-SQL needs no `;` between statements: a reserved word that begins a statement, where
# sqlglot reads an alias, is a second statement to T-SQL (`SELECT * FROM t SHUTDOWN`).
_TSQL_STATEMENT_WORDS = frozenset(
    "ALTER BACKUP BEGIN BREAK BULK CHECKPOINT CLOSE COMMIT CONTINUE CREATE DBCC DEALLOCATE "
    "DECLARE DELETE DENY DROP DUMP EXEC EXECUTE FETCH GOTO GRANT IF INSERT KILL LOAD MERGE "
    "OPEN PRINT RAISERROR READTEXT RECONFIGURE RESTORE RETURN REVERT REVOKE ROLLBACK SAVE "
    "SELECT SET SETUSER SHUTDOWN TRUNCATE UPDATE UPDATETEXT USE WAITFOR WHILE WITH "
    "WRITETEXT".split()
)
# T-SQL table hints that make a read take or hold locks, as FOR UPDATE does.
_LOCKING_HINTS = frozenset(
    "UPDLOCK XLOCK TABLOCK TABLOCKX HOLDLOCK SERIALIZABLE REPEATABLEREAD READCOMMITTEDLOCK".split()
)
# MySQL and MariaDB run the body of these comments.
_EXECUTABLE_COMMENT = re.compile(r"/\*[mM]?!")
# Text that sqlglot reads and the servers do not: `{# ... #}` is a comment only to sqlglot
# (MySQL reads `{` and a `#` comment to the end of the line); `U&"..."` is an escaped
# PostgreSQL name that sqlglot reads as `U & "..."`.
_NOT_UNDERSTOOD = re.compile(r"\{#|[uU]&\"")

_COMMON_DIALECTS = ("postgres", "mysql", "sqlite", "tsql", "snowflake", "bigquery", "duckdb")

_CACHE_CHARS = 8_000_000  # the cache holds at most this many characters of query text


@dataclass(frozen=True, slots=True)
class Finding:
    """Why a statement is not a plain read: which statement, what, and where in the text."""

    statement: int
    what: str
    text: str
    span: tuple[int, int] | None = None  # where in the query text, when known

    def to_dict(self) -> dict[str, Any]:
        return {"statement": self.statement, "what": self.what, "text": self.text}


@dataclass(slots=True)
class Analysis:
    kinds: list[str] = field(default_factory=list)
    writes: list[Finding] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)
    columns: set[str] | None = None  # on the first `sql.columns`: few policies ask
    functions: set[str] = field(default_factory=set)
    unfiltered: list[int] = field(default_factory=list)  # UPDATE/DELETE without WHERE
    limits: list[int | None] = field(default_factory=list)  # per query statement
    error: str | None = None
    error_at: dict[str, Any] = field(default_factory=dict)  # a parse error's line and column
    lexical: bool = False  # the error is the tokenizer's (an unterminated string, ...)
    capped: dict[int, str | None] = field(default_factory=dict)  # sql.limit_rows, by limit


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
        raise EvalError(result.error, {"sql": {"dialect": dialect, **result.error_at}})
    return result


# ---- analysis -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Kinds:
    """sqlglot's expression classes, sorted into what reads and what does not."""

    reads: tuple[type, ...]
    writes: tuple[type, ...]


@functools.cache
def _sqlglot() -> tuple[Any, _Kinds, type[Exception]]:
    """sqlglot's expressions module, its classes sorted, and its tokenizer's error."""
    from sqlglot import exp
    from sqlglot.errors import TokenError

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    write_names = (
        "Insert Update Delete Merge Create Drop Alter TruncateTable Command Copy Set Grant "
        "Revoke Transaction Commit Rollback Into Lock Pragma LoadData Use Cache Uncache "
        "Refresh Analyze Attach Detach Execute Kill Comment Export Install Declare Summarize "
        "DML DDL Put Get ExecuteSql StoredProcedure Block IfBlock WhileBlock Return"
    ).split()
    kinds = _Kinds(
        reads=(exp.Query, exp.Values),
        writes=tuple(getattr(exp, n) for n in write_names if hasattr(exp, n)),
    )
    return exp, kinds, TokenError


def _analyze(dialect: str, text: str) -> Analysis:
    result = _analyze_text(dialect, text)
    if result.error is None:
        for reading in _readings(dialect, text):
            other = _analyze_text(dialect, reading.text, reading.tokenizer)
            _merge(result, other, reading)
    return result


@dataclass(frozen=True, slots=True)
class _Reading:
    """Another way to read the text: `server` when a server may run it so (a setting
    decides, or it takes a character for another kind), not only a person read it so."""

    what: str
    text: str
    server: bool
    tokenizer: Any = None


def _readings(dialect: str, text: str) -> list[_Reading]:
    """The other readings of `text`, which must be reads too."""
    out = []
    if not text.isascii():
        folded = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
        if folded != text:
            out.append(_Reading("after folding look-alike characters", folded, server=False))
        spaced = "".join("_" if not c.isascii() and c.isspace() else c for c in text)
        if spaced != text and dialect in _UNICODE_NAMES:
            out.append(_Reading("when non-ASCII spaces are read as letters", spaced, server=True))
    if "\\" in text and dialect in _BACKSLASH_OPTIONAL:
        tokenizer, escapes = _backslash_tokenizer(dialect)
        rule = "escape quotes" if escapes else "are plain characters"
        out.append(_Reading(f"when backslashes in strings {rule}", text, True, tokenizer))
    return out


@functools.cache
def _backslash_tokenizer(dialect: str) -> tuple[Any, bool]:
    """The dialect's tokenizer with the other rule for backslashes in strings, and whether
    backslashes escape under it."""
    from sqlglot.dialects.dialect import Dialect

    base = Dialect.get_or_raise(dialect).tokenizer_class
    escapes = "\\" not in base.STRING_ESCAPES
    rule = (
        [*base.STRING_ESCAPES, "\\"] if escapes else [e for e in base.STRING_ESCAPES if e != "\\"]
    )
    return type(f"{base.__name__}OtherBackslash", (base,), {"STRING_ESCAPES": rule}), escapes


def _merge(result: Analysis, other: Analysis, reading: _Reading) -> None:
    """Fold the analysis of another reading into `result`: it, too, must be a read."""
    if other.error is not None:
        # A server that cannot split the text into tokens runs none of it, unless it runs
        # the statements before the one it cannot read (MySQL does): so only without `;`.
        if not (reading.server and other.lexical and ";" not in reading.text):
            result.writes.append(Finding(0, f"text that does not parse {reading.what}", ""))
        return
    for f in other.writes:
        span = f.span if reading.tokenizer is not None else None  # folding moves offsets
        result.writes.append(Finding(f.statement, f"{f.what} ({reading.what})", f.text, span))
    if len(other.kinds) != len(result.kinds):
        what = f"{len(other.kinds)} statements, not {len(result.kinds)}, {reading.what}"
        result.writes.append(Finding(0, what, ""))
    result.functions |= other.functions
    if reading.server:
        result.tables |= other.tables


def _analyze_text(
    dialect: str, text: str, tokenizer: Any = None, with_columns: bool = False
) -> Analysis:
    exp, kinds, token_error = _sqlglot()

    out = Analysis()
    unknown = _NOT_UNDERSTOOD.search(text)
    if unknown is not None:
        at = _line_column(text, unknown.start())
        problem = f"`{unknown.group()}` is read differently by sqlglot and by databases"
        out.error_at = {"line": at[0], "column": at[1], "problem": problem}
        out.error = f"sql: the query does not parse as {dialect}: {problem} at {_where(at)}"
        return out
    try:
        statements, tokens = parse_statements(dialect, text, tokenizer)
    except Exception as exc:  # whatever sqlglot raises, the query is one we cannot read
        problem, position = _parse_problem(exc, text)
        out.error_at = {"problem": problem}
        if position is not None:
            out.error_at.update(line=position[0], column=position[1])
            problem += f" at {_where(position)}"
        out.error = f"sql: the query does not parse as {dialect}: {problem}"
        out.lexical = isinstance(exc, token_error)
        return out
    if not statements:
        out.error = "sql: the query is empty"
        return out
    comment = _EXECUTABLE_COMMENT.search(text)
    if comment is not None:
        what = f"a `{comment.group()} ... */` comment, whose body MySQL executes"
        close = text.find("*/", comment.end())
        where = (comment.start(), len(text) if close < 0 else close + 2)
        out.writes.append(Finding(0, what, comment.group(), where))
    # Names are folded the dialect's way (`Orders` is `orders` in postgres, `ORDERS` in
    # snowflake) where they are read, not over the whole tree: it costs a third of a parse.
    fold = fold_names(dialect)
    spans: tuple[tuple[int, int], ...] | None = None  # of the statements, when one writes
    if with_columns:
        out.columns = set()
    mask = ~0 if with_columns else ~(_COLUMN | _STAR)
    for index, statement in enumerate(statements, start=1):
        out.kinds.append(_kind(statement, exp))
        if not isinstance(statement, kinds.reads):
            if spans is None:
                spans = statement_spans(tokens)
            span = spans[index - 1] if len(spans) == len(statements) else None
            quoted = excerpt(text, span) if span else _snippet(statement, dialect)
            out.writes.append(Finding(index, f"{_a(out.kinds[-1])} statement", quoted, span))
        else:
            out.limits.append(statement_limit(statement, exp))
        ctes: set[str] = set()  # the CTE names defined anywhere in the statement
        unqualified: list[tuple[Any, str]] = []  # tables that may name one of them
        for node in statement.walk():
            category = _CATEGORIES.get(type(node))
            if category is None:
                category = _categorize(type(node), exp, kinds)
            category &= mask
            if not category and dialect != "tsql":
                continue
            unfiltered = category & _FILTERED and not node.args.get("where")
            if unfiltered and index not in out.unfiltered[-1:]:
                out.unfiltered.append(index)  # also a DELETE in a CTE
            if category & _WRITE and node is not statement:
                out.writes.append(
                    Finding(
                        index,
                        f"{_describe(node, exp)} inside the statement",
                        _snippet(node, dialect),
                        node_span(node, text),
                    )
                )
            elif category & _TABLE:
                if node.name:  # not a table function
                    parts = [fold(p) for p in node.parts]
                    if len(parts) == 1:
                        unqualified.append((node, parts[0]))
                    else:
                        out.tables.add(".".join(parts))
            elif category & _CTE:
                alias = node.args.get("alias")
                if alias is not None and isinstance(alias.this, exp.Identifier):
                    ctes.add(fold(alias.this))
            elif category & _COLUMN and out.columns is not None:
                # names as folded, without quotes: `"ssn"` is the column `ssn` in postgres
                out.columns.add(_column_name(node, exp, fold))
            elif category & _STAR and out.columns is not None:
                if not isinstance(node.parent, exp.Column):
                    out.columns.add("*")
            elif category & _HINT and _locking_hints(node, exp):
                hints = ", ".join(_locking_hints(node, exp))
                out.writes.append(Finding(index, f"a locking table hint ({hints})", hints))
            elif dialect == "tsql" and _tsql_statement_word(node, exp):
                problem = (
                    f"`{node.name}` is a reserved word that T-SQL reads as the start of "
                    "another statement, not as a name"
                )
                out.error = f"sql: the query does not parse as tsql: {problem}"
                out.error_at = {"problem": problem, "statement": index}
                return out
            if category & _FUNC:
                for name in function_names(node, exp):
                    out.functions.add(name)
                    if name in WRITE_FUNCTIONS:
                        out.writes.append(
                            Finding(
                                index,
                                f"the function `{name}`, which changes state",
                                _snippet(node, dialect),
                                node_span(node, text, call=True),
                            )
                        )
        for table, name in unqualified:
            # Only a name some CTE has can name one: the search up the tree is for those.
            if name not in ctes or not _names_cte(table, name, exp, dialect, fold):
                out.tables.add(name)
    return out


# What the walk does with a node depends only on its class: sorted once per class, since
# an isinstance test against the tuple of writing classes costs more than the parse.
_WRITE, _TABLE, _COLUMN, _STAR, _HINT, _FUNC, _FILTERED, _CTE = 1, 2, 4, 8, 16, 32, 64, 128
_CATEGORIES: dict[type, int] = {}


def _categorize(cls: type, exp: Any, kinds: _Kinds) -> int:
    category = 0
    for flag, classes in (
        (_WRITE, kinds.writes),
        (_TABLE, (exp.Table,)),
        (_COLUMN, (exp.Column,)),
        (_STAR, (exp.Star,)),
        (_HINT, (exp.WithTableHint,)),
        (_FUNC, (exp.Func,)),
        (_FILTERED, (exp.Update, exp.Delete)),
        (_CTE, (exp.CTE,)),
    ):
        if issubclass(cls, classes):
            category |= flag
    _CATEGORIES[cls] = category
    return category


def _column_name(node: Any, exp: Any, fold: Callable[[Any], str]) -> str:
    """`column` or `table.column`, folded; `*` for `t.*`."""
    args = node.args
    this = args.get("this")
    if type(this) is exp.Star:
        return "*"
    if args.get("db") is not None:  # `db.table.column`: rare, the general way
        return ".".join(fold(p) for p in node.parts)
    table = args.get("table")
    return fold(this) if table is None else f"{fold(table)}.{fold(this)}"


def _names_cte(table: Any, name: str, exp: Any, dialect: str, fold: Callable[[Any], str]) -> bool:
    """Whether the unqualified `table` names a CTE in scope where it stands, not a table.

    A CTE is in scope in the body of the query that defines it and in the CTEs after it
    (in all of them, itself too, under RECURSIVE; in itself too where recursion needs no
    keyword); elsewhere the name is a table's, even when a CTE of that name is defined in
    another part of the statement.
    """

    def named(cte: Any) -> bool:
        alias = cte.args.get("alias")
        return (
            alias is not None
            and isinstance(alias.this, exp.Identifier)
            and fold(alias.this) == name
        )

    child, node = table, table.parent
    while node is not None:
        if isinstance(node, exp.With):
            ctes = node.expressions
            at = ctes.index(child)
            if node.args.get("recursive"):
                seen = ctes
            else:
                seen = ctes[: at + 1] if dialect in _IMPLICIT_RECURSION else ctes[:at]
            if any(named(c) for c in seen):
                return True
        else:
            scope = node.args.get("with_")
            defined = (
                scope.expressions if isinstance(scope, exp.With) and scope is not child else []
            )
            if any(named(c) for c in defined):
                return True
        child, node = node, node.parent
    return False


def parse_statements(dialect: str, text: str, tokenizer: Any = None) -> tuple[list[Any], list[Any]]:
    """The statements of `text`, and its tokens; raises what sqlglot raises."""
    exp = _sqlglot()[0]
    parsed, tokens = _parse(dialect, text, tokenizer)
    # `SELECT 1; /* done */` ends in a `Semicolon` that holds only the comment
    return [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)], tokens


def _parse(dialect: str, text: str, tokenizer: Any = None) -> tuple[list[Any], list[Any]]:
    from sqlglot.errors import ErrorLevel

    d = _dialect(dialect)
    if tokenizer is not None:
        tokens = tokenizer(dialect=d).tokenize(text)
        return list(d.parser(error_level=ErrorLevel.RAISE).parse(tokens, text)), tokens
    # One tokenizer and parser per dialect and thread: both reset themselves on each use,
    # and making them costs a tenth of a short parse.
    readers: dict[str, tuple[Any, Any]] = _READERS.__dict__.setdefault("by_dialect", {})
    reader = readers.get(dialect)
    if reader is None:
        reader = readers[dialect] = (d.tokenizer(), d.parser(error_level=ErrorLevel.RAISE))
    tokenize, parser = reader
    tokens = tokenize.tokenize(text)
    return list(parser.parse(tokens, text)), tokens


_READERS = threading.local()


@functools.cache
def fold_names(dialect: str) -> Callable[[Any], str]:
    """The dialect's folding of a name part (`Orders` is `orders` in postgres), remembered
    by (name, quoted) where the dialect folds a name the same wherever it stands."""
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect

    d = _dialect(dialect)
    if type(d).normalize_identifier is not Dialect.normalize_identifier:
        return lambda part: str(d.normalize_identifier(part).name)  # BigQuery: it depends
    memo: dict[tuple[str, bool], str] = {}

    def fold(part: Any) -> str:
        if type(part) is not exp.Identifier:
            return str(d.normalize_identifier(part).name)
        key = (part.this, bool(part.args.get("quoted")))
        name = memo.get(key)
        if name is None:
            if len(memo) > 50_000:
                memo.clear()
            name = memo[key] = str(d.normalize_identifier(part.copy()).name)
        return name

    return fold


@functools.cache
def _dialect(name: str) -> Any:
    from sqlglot.dialects.dialect import Dialect

    return Dialect.get_or_raise(name)


def _locking_hints(node: Any, exp: Any) -> list[str]:
    """The T-SQL table hints of `WITH (...)` that take or hold locks (`UPDLOCK`, ...)."""
    names = [h.name.upper() for h in node.expressions if isinstance(h, exp.Var)]
    return [n for n in names if n in _LOCKING_HINTS]


def _tsql_statement_word(node: Any, exp: Any) -> bool:
    return (
        isinstance(node, exp.Identifier)
        and not node.quoted
        and node.name.upper() in _TSQL_STATEMENT_WORDS
    )


_SQL_NAMES: dict[type, str] = {}  # a function class's name, a class method of sqlglot's


def function_names(node: Any, exp: Any) -> list[str]:
    """A function's lower-case name and, when it is called as `schema.name(...)`, every
    qualified form too (`pg_sleep`, `pg_catalog.pg_sleep`), so a denylist may name either."""
    cls = type(node)
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
    else:
        name = _SQL_NAMES.get(cls) or _SQL_NAMES.setdefault(cls, node.sql_name().lower())
    parent = node.parent
    if not (isinstance(parent, exp.Dot) and parent.expression is node):
        return [name]
    qualifiers = _dotted(parent.this, exp)
    return [name] + [".".join([*qualifiers[i:], name]) for i in range(len(qualifiers))]


def _dotted(node: Any, exp: Any) -> list[str]:
    if isinstance(node, exp.Identifier):
        return [node.name.lower()]
    if isinstance(node, exp.Dot):
        return _dotted(node.this, exp) + _dotted(node.expression, exp)
    if isinstance(node, exp.Column):
        return [p.name.lower() for p in node.parts]
    return []


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _where(at: tuple[int, int]) -> str:
    return f"line {at[0]}, column {at[1]}"


def _kind(statement: Any, exp: Any) -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).lower()
    key: str = statement.key
    return _KIND_NAMES.get(key, key)


_KIND_NAMES = {
    "subquery": "select",
    "union": "select",
    "intersect": "select",
    "except": "select",
    "truncatetable": "truncate",
    "loaddata": "load data",
}


def _describe(node: Any, exp: Any) -> str:
    if isinstance(node, exp.Into):
        return "SELECT ... INTO"
    if isinstance(node, exp.Lock):
        return "a locking read"
    return _a(_kind(node, exp).upper())


def _a(word: str) -> str:
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def statement_limit(statement: Any, exp: Any) -> int | None:
    """The statement's row limit (`LIMIT`, `TOP`, `FETCH FIRST`); none for `PERCENT` and
    `WITH TIES`, which are no cap."""
    capped = statement.args.get("limit") or statement.args.get("fetch")
    if capped is None:
        return None
    options = capped.args.get("limit_options")
    if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
        return None
    node = capped.args.get("count") if isinstance(capped, exp.Fetch) else capped.expression
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


def _snippet(node: Any, dialect: str) -> str:
    text: str = node.sql(dialect=dialect)
    return text if len(text) <= 120 else text[:117] + "..."


def _parse_problem(exc: Exception, text: str) -> tuple[str, tuple[int, int] | None]:
    """What the parser could not read and where, in words that do not name sqlglot's
    classes and tokens."""
    errors = getattr(exc, "errors", None)
    if not errors:  # the tokenizer's: `Error tokenizing '<the text so far>'`
        if type(exc).__name__ == "TokenError":
            return (
                "the text cannot be split into tokens (an unterminated string, quoted name "
                "or comment?)",
                None,
            )
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", None
    error = errors[0]
    description = str(error.get("description") or "syntax error")
    found = str(error.get("highlight") or "")
    at = None
    if error.get("line") and error.get("col"):  # sqlglot gives the column a token ends at
        at = (error["line"], max(1, error["col"] - len(found) + 1))
    missing = _MISSING_PART.match(description)
    if missing is not None:
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", missing.group(2)).upper()
        problem = f"an incomplete {words}"
    elif description.startswith("Expected table name"):
        problem = "expected a table name"
    elif description.startswith("Expecting "):
        problem = f"expected `{description.removeprefix('Expecting ').strip()}`"
    elif description.startswith("Invalid expression / Unexpected token"):
        problem = "unexpected text"
        if found:
            return f"unexpected `{found[:40]}`", at
    else:
        problem = re.sub(r"<[^<>]*>", "", description).strip() or "syntax error"
    if " but got " not in description and found and found != text.strip():
        problem += f" near `{found[:40]}`"
    elif description.endswith("SENTINEL, line: 1, col: 1, start: 0, end: 0, comments: []>"):
        problem += ", found the end of the query"
    return problem, at


# `Required keyword: 'this' missing for <class 'sqlglot.expressions.query.Where'>`
_MISSING_PART = re.compile(r"Required keyword: '(\w+)' missing for <class '[\w.]*?(\w+)'>")


# ---- evidence for violations ---------------------------------------------------
# Each takes its builtin's arguments; only a matched rule calls it.

_MAX_ITEMS = 20


def _located(query: str, dialect: str) -> Located:
    try:
        return locate(query, dialect)
    except Exception:  # spans are a courtesy: report the rest without them
        return Located(())


def _spanned(query: str, item: dict[str, Any], span: tuple[int, int] | None) -> dict[str, Any]:
    if span is not None:
        item.update(start=span[0], end=span[1], text=excerpt(query, span))
    return item


def _writes_details(query: str, dialect: str = "postgres") -> dict[str, Any] | None:
    found = analysis(query, dialect).writes[:_MAX_ITEMS]
    if not found:
        return None
    where = _located(query, dialect)
    items = [
        _spanned(
            query,
            {"statement": f.statement, "what": f.what, "text": f.text},
            f.span or where.statement(f.statement),
        )
        for f in found
    ]
    return {"sql": {"dialect": dialect, "writes": items}}


def _statements_details(query: str, dialect: str = "postgres") -> dict[str, Any]:
    kinds = analysis(query, dialect).kinds
    where = _located(query, dialect)
    items = [
        _spanned(query, {"statement": i, "kind": kind}, where.statement(i))
        for i, kind in enumerate(kinds[:_MAX_ITEMS], start=1)
    ]
    return {"sql": {"dialect": dialect, "statements": items}}


def _occurrences(
    query: str, found: dict[str, list[tuple[int, tuple[int, int]]]], names: Iterable[str]
) -> list[dict[str, Any]]:
    """Every place each of `names` stands in `query`, in text order."""
    items = [
        _spanned(query, {"name": name, "statement": statement}, span)
        for name in names
        for statement, span in found.get(name, [])
    ]
    return sorted(items, key=lambda i: i.get("start", 0))[:_MAX_ITEMS]


def _tables_details(query: str, dialect: str = "postgres") -> dict[str, Any]:
    names = analysis(query, dialect).tables
    items = _occurrences(query, _located(query, dialect).tables, names)
    return {"sql": {"dialect": dialect, "tables": items}}


def _functions_details(query: str, dialect: str = "postgres") -> dict[str, Any]:
    names = analysis(query, dialect).functions
    items = _occurrences(query, _located(query, dialect).functions, names)
    return {"sql": {"dialect": dialect, "functions": items}}


def _denied_details(
    query: str, dialect: str = "postgres", also: Iterable[Any] = ()
) -> dict[str, Any] | None:
    names = denied_functions(query, dialect, also)
    if not names:
        return None
    items = _occurrences(query, _located(query, dialect).functions, names)
    return {"sql": {"dialect": dialect, "functions": items}}


def _unfiltered_details(query: str, dialect: str = "postgres") -> dict[str, Any] | None:
    unfiltered = analysis(query, dialect).unfiltered
    if not unfiltered:
        return None
    where = _located(query, dialect)
    items = [_spanned(query, {"statement": i}, where.statement(i)) for i in unfiltered]
    return {"sql": {"dialect": dialect, "without_where": items}}


# ---- builtins -----------------------------------------------------------------


def _prepare() -> None:
    """Import sqlglot, and ready the dialects most policies name (their tokenizer and
    parser run once), when a policy that uses SQL builtins loads: not on the first event,
    where that first use (10-35 ms a dialect, far more on a busy machine) counts against
    `checker_ms` and could fail the check closed."""
    _sqlglot()
    for name in _COMMON_DIALECTS:
        fold_names(name)
        _parse(name, "SELECT 1")


@builtin(
    "sql.read_only",
    details=_writes_details,
    prepare=_prepare,
    examples=['sql.read_only(args.query, dialect: "postgres")'],
)
def read_only(query: Query, dialect: Dialect = "postgres") -> bool:
    """True when every statement of `query` is a plain read.

    Not a read: DML, DDL, DCL, transaction control, `SELECT ... INTO`, locking reads,
    `COPY`, `CALL`/`EXEC`, `SET`, `PRAGMA`, data-modifying CTEs, functions that change
    state, MySQL `/*! */` comments, and anything sqlglot parses only as an opaque command.
    Where a server may split the text otherwise (backslashes in strings, non-ASCII spaces,
    look-alike letters), every reading must be a read. A query that does not parse is an
    error, so the rule fails closed.
    """
    return not analysis(query, dialect).writes


@builtin(
    "sql.writes",
    details=_writes_details,
    prepare=_prepare,
    examples=['sql.writes(args.query, dialect: "mysql")'],
)
def writes(query: Query, dialect: Dialect = "postgres") -> list[Any]:
    """What in `query` is not a plain read: a list of `{statement, what, text}` (empty for a read)."""
    return [f.to_dict() for f in analysis(query, dialect).writes]


@builtin(
    "sql.statements",
    details=_statements_details,
    prepare=_prepare,
    examples=['sql.statements(args.query) - {"select"}'],
)
def statements(query: Query, dialect: Dialect = "postgres") -> list[Any]:
    """The kind of every statement, in order: `select`, `insert`, `update`, `delete`, `create`, ..."""
    return list(analysis(query, dialect).kinds)


@builtin(
    "sql.statement_count",
    details=_statements_details,
    prepare=_prepare,
    examples=["sql.statement_count(args.query) == 1"],
)
def statement_count(query: Query, dialect: Dialect = "postgres") -> int:
    """How many statements `query` holds (stacked queries count each)."""
    return len(analysis(query, dialect).kinds)


@builtin(
    "sql.tables",
    details=_tables_details,
    prepare=_prepare,
    examples=['sql.tables(args.query, dialect: "snowflake") - {"sales.orders"}'],
)
def tables(query: Query, dialect: Dialect = "postgres") -> frozenset[Any]:
    """Every table `query` reads or writes, qualified as written and case-folded the dialect's way.

    CTE names are left out where the CTE is in scope (a CTE named like a table does not hide
    the table elsewhere in the statement); tables inside CTEs, subqueries, joins and set
    operations are in.
    """
    return frozenset(analysis(query, dialect).tables)


@builtin(
    "sql.columns",
    details=_statements_details,
    prepare=_prepare,
    examples=['"*" in sql.columns(args.query)'],
)
def columns(query: Query, dialect: Dialect = "postgres") -> frozenset[Any]:
    """Every column `query` names (`table.column` when qualified), and `*` for a star.

    Names are case-folded the dialect's way and written without quotes.
    """
    result = analysis(query, dialect)
    if result.columns is None:  # the analysis every rule shares leaves columns out
        found = _analyze_text(dialect, query, with_columns=True).columns or set()
        for reading in _readings(dialect, query):
            if reading.server:
                other = _analyze_text(dialect, reading.text, reading.tokenizer, True)
                found |= other.columns or set()
        result.columns = found
    return frozenset(result.columns)


@builtin(
    "sql.functions",
    details=_functions_details,
    prepare=_prepare,
    examples=['sql.functions(args.query) & {"pg_sleep", "dblink"}'],
)
def functions(query: Query, dialect: Dialect = "postgres") -> frozenset[Any]:
    """The lower-case names of every function `query` calls."""
    return frozenset(analysis(query, dialect).functions)


@builtin(
    "sql.denied_functions",
    details=_denied_details,
    prepare=_prepare,
    examples=['sql.denied_functions(args.query, also: ["lower"])'],
)
def denied_functions(
    query: Query,
    dialect: Dialect = "postgres",
    also: Annotated[list[Any] | frozenset[Any], "more function names to deny"] = frozenset(),
) -> frozenset[Any]:
    """The functions `query` calls that are on the shipped denylist (or in `also`).

    The denylist holds functions that sleep, read files, run programs, reach the network or
    change state, for every dialect at once (a query may be sent to a database other than
    the one the policy names). A function called as `schema.name(...)` matches by its name
    or any qualified form (`pg_sleep`, `dbms_lock.sleep`).
    """
    called = analysis(query, dialect).functions
    extra = {str(f).lower() for f in also} if also else ()
    return frozenset(f for f in called if f in _ALL_DENIED or f in extra)


@builtin(
    "sql.has_where",
    details=_unfiltered_details,
    prepare=_prepare,
    examples=["sql.has_where(args.query)"],
)
def has_where(query: Query, dialect: Dialect = "postgres") -> bool:
    """True when every UPDATE and DELETE in `query` has a WHERE clause (true when there are none)."""
    return not analysis(query, dialect).unfiltered


@builtin(
    "sql.limit",
    details=_statements_details,
    prepare=_prepare,
    examples=["sql.limit(args.query) <= 1000"],
)
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
    prepare=_prepare,
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

    The limit is written into the query's own text in the dialect's syntax (`LIMIT`, `TOP`
    for T-SQL, ...), the rest left as written; `WITH TIES`, `PERCENT` and the like are kept
    inside a capped subquery. A query that does not parse is an error: the call is denied
    rather than sent uncapped. So is a capped query that is not capped or reads more than
    the original (other statements, tables, writes or denied functions).
    """
    before = analysis(value, dialect)  # raises when the query does not parse
    if limit_to not in before.capped:  # kept with the cached analysis
        before.capped[limit_to] = _capped(value, limit_to, dialect, before)
    rewritten = before.capped[limit_to]
    return [] if rewritten is None else [(0, len(value), rewritten)]


def _capped(value: str, limit_to: int, dialect: str, before: Analysis) -> str | None:
    """`value` with every read statement capped at `limit_to` rows, or None when none
    needs it: the text edited in place where that reads the same, else written anew."""
    from railguard.builtins.sqlcap import cap_rows, regenerate

    rewritten = cap_rows(value, dialect, limit_to)
    if rewritten is None:
        return None
    try:
        _check_rewrite(before, rewritten, dialect, limit_to)
    except EvalError:
        rewritten = regenerate(value, dialect, limit_to)
        if rewritten is None:
            raise
        _check_rewrite(before, rewritten, dialect, limit_to)
    return rewritten


def _check_rewrite(before: Analysis, text: str, dialect: str, limit_to: int) -> None:
    """Raise unless the capped `text` is capped and reads no more than the query it was
    made from."""
    after = CACHE.get(dialect, text)
    if after.error is not None:
        raise EvalError(f"sql: the row-capped query does not parse: {after.error}")
    if any(n is None or n > limit_to for n in after.limits):
        raise EvalError(f"sql: the query could not be capped at {limit_to} rows: {text}")
    new_denied = (after.functions & _ALL_DENIED) - before.functions
    if (
        (after.writes and not before.writes)
        or len(after.kinds) != len(before.kinds)
        or not after.tables <= before.tables
        or new_denied
    ):
        raise EvalError(f"sql: the row-capped query reads differently from the original: {text}")
