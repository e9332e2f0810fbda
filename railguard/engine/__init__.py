"""The runtime: events, verdicts, the compiled guard and `evaluate()`."""
