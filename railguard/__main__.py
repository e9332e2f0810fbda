"""`python -m railguard`: the same as the `railguard` command."""

from railguard.cli import main

main()
