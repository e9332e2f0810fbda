"""Fixtures: the real sidecar on a free loopback port, serving shipped policies."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sidecar_helpers import POLICIES, Sidecar

EXTRA = """\
policy extras {
  default allow
  rule long_input:
    warn input when len(content) > 40
      message "a long input"
  rule nested_context:
    deny input when context.tenant == "blocked"
      message "tenant {context.tenant} is blocked"
}

policy trial {
  mode shadow
  rule no_sql:
    deny call run_sql
      message "would refuse SQL"
}
"""


@pytest.fixture(scope="session")
def policy_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Copies of policies/finance and policies/common, and a policy with warn and shadow rules."""
    root = tmp_path_factory.mktemp("policies")
    finance = shutil.copytree(POLICIES / "finance", root / "finance", ignore=_no_tests)
    common = shutil.copytree(POLICIES / "common", root / "common", ignore=_no_tests)
    extra = root / "extras.rail"
    extra.write_text(EXTRA)
    return [finance, common, extra]


def _no_tests(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n.endswith(".py") or n == "__pycache__"]


@pytest.fixture(scope="session")
def sidecar(policy_dirs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    log = tmp_path_factory.mktemp("logs") / "sidecar.log"
    server = Sidecar(policy_dirs, "--no-watch", log=log)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def secured(policy_dirs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    """The same policies behind a bearer token (from the environment)."""
    log = tmp_path_factory.mktemp("logs") / "secured.log"
    server = Sidecar(policy_dirs, "--no-watch", token="s3cret-token", log=log)
    yield server
    server.stop()
