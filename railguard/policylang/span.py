"""Source spans: where in which file a node, token or diagnostic sits."""

from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    """A half-open character range in a source file, with 1-based line and column."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span(
            self.file,
            self.line,
            self.column,
            other.end_line,
            other.end_column,
            self.start,
            other.end,
        )

    @staticmethod
    def at(file: str, text: str, start: int, end: int | None = None) -> Span:
        """The span of `text[start:end]`, computing lines and columns from offsets."""
        end = start if end is None else end
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        end_line = line + text.count("\n", start, end)
        end_column = end - (text.rfind("\n", 0, end) + 1) + 1
        return Span(file, line, column, end_line, end_column, start, end)


NO_SPAN = Span("<builtin>", 0, 0, 0, 0, 0, 0)
