"""Tests of the `sql.*` builtins against corpora: adversarial queries and benign ones."""
