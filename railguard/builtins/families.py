"""Imports every builtin family so that its declarations land in the registry."""

from railguard.builtins import (
    collections,
    injection,
    numbers,
    paths,
    pii,
    redaction,
    schema,
    secrets,
    session,
    sql,
    strings,
    tokens,
    urls,
)

__all__ = [
    "collections",
    "injection",
    "numbers",
    "paths",
    "pii",
    "redaction",
    "schema",
    "secrets",
    "session",
    "sql",
    "strings",
    "tokens",
    "urls",
]
