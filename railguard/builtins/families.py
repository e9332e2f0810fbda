"""Imports every builtin family so that its declarations land in the registry."""

from railguard.builtins import collections, numbers, paths, redaction, sql, strings, urls

__all__ = ["collections", "numbers", "paths", "redaction", "sql", "strings", "urls"]
