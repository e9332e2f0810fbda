"""policies/common/files.rail: file tools stay in /workspace and never write dotfiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.policylang.lint import lint

POLICY = Path(__file__).parent / "files.rail"


@pytest.fixture(scope="module")
def guard() -> railguard.Guard:
    return railguard.load(POLICY)


def call(tool: str, **args: Any) -> dict[str, Any]:
    return {"kind": "call", "tool": tool, "args": args}


def read(path: Any) -> dict[str, Any]:
    return call("read_file", path=path)


def write(path: Any) -> dict[str, Any]:
    return call("write_file", path=path, content="x = 1\n")


def move(source: str, destination: str, tool: str = "move_file") -> dict[str, Any]:
    return call(tool, source=source, destination=destination)


def row(name: str, event: dict[str, Any], decision: str, *rules: str) -> Any:
    return pytest.param(event, decision, sorted("files." + r for r in rules), id=name)


ROWS = [
    # -- inside the workspace -------------------------------------------------------
    row("absolute path", read("/workspace/src/app.py"), "allow"),
    row("relative path", read("src/app.py"), "allow"),
    row("the root itself", call("list_directory", path="/workspace"), "allow"),
    row("dot segments that stay inside", read("/workspace/src/../docs/./index.md"), "allow"),
    row("reading a dotfile", read("/workspace/.env.example"), "allow"),
    row("writing a file", write("/workspace/src/app.py"), "allow"),
    row("two dots inside a name", write("/workspace/notes..txt"), "allow"),
    row("creating a folder", call("create_directory", path="build/out"), "allow"),
    row("moving a file", move("/workspace/a.txt", "/workspace/archive/a.txt"), "allow"),
    row("copying a dotfile out", move("/workspace/.env.example", "env.txt", "copy_file"), "allow"),
    row("not a file tool", call("run_sql", path="/etc/passwd"), "allow"),
    # -- escaping the workspace -----------------------------------------------------
    row("absolute path outside", read("/etc/passwd"), "deny", "path_in_workspace"),
    row("parent segments", read("../../etc/passwd"), "deny", "path_in_workspace"),
    row(
        "parent segments after the root",
        read("/workspace/../etc/shadow"),
        "deny",
        "path_in_workspace",
    ),
    row(
        "sibling with the same prefix",
        read("/workspace-old/secrets.txt"),
        "deny",
        "path_in_workspace",
    ),
    row("backslash parent segments", read("..\\..\\etc\\passwd"), "deny", "path_in_workspace"),
    row("repeated slashes", read("//etc/passwd"), "deny", "path_in_workspace"),
    row("home folder", read("~/.ssh/id_rsa"), "deny", "path_in_workspace"),
    row("environment variable", read("$HOME/.aws/credentials"), "deny", "path_in_workspace"),
    row("braced variable", read("/workspace/${HOME}/x"), "deny", "path_in_workspace"),
    row("Windows drive", read("C:\\Users\\ana\\secrets.txt"), "deny", "path_in_workspace"),
    row("NUL byte", read("/workspace/a.txt\x00/../../etc/passwd"), "deny", "path_in_workspace"),
    row("missing path", call("read_file"), "deny", "path_in_workspace"),
    row("path as a list", read(["/workspace/a"]), "deny", "path_in_workspace"),
    row("listing outside", call("list_directory", path="/"), "deny", "path_in_workspace"),
    row(
        "search outside",
        call("search_files", path="/home", pattern="*.pem"),
        "deny",
        "path_in_workspace",
    ),
    row("move out", move("/workspace/a.txt", "/tmp/a.txt"), "deny", "move_in_workspace"),
    row("move in", move("/etc/passwd", "/workspace/passwd"), "deny", "move_in_workspace"),
    row("copy to home", move("a.txt", "~/a.txt", "copy_file"), "deny", "move_in_workspace"),
    row(
        "move without destination",
        call("move_file", source="/workspace/a.txt"),
        "deny",
        "move_in_workspace",
        "dotfile_move",
    ),
    row(
        "list of paths",
        call("read_multiple_files", paths=["/workspace/a.txt"]),
        "deny",
        "path_lists",
    ),
    # -- dotfiles -------------------------------------------------------------------
    row("write .env", write("/workspace/.env"), "deny", "dotfile_write"),
    row("write relative dotfile", write(".bashrc"), "deny", "dotfile_write"),
    row("write inside .git", write("/workspace/.git/hooks/pre-commit"), "deny", "dotfile_write"),
    row("write inside .ssh", write("home/.ssh/authorized_keys"), "deny", "dotfile_write"),
    row(
        "dotfile behind dot segments", write("/workspace/src/./../.npmrc"), "deny", "dotfile_write"
    ),
    row("dotfile behind backslashes", write("src\\..\\.profile"), "deny", "dotfile_write"),
    row("edit a dotfile", call("edit_file", path=".gitignore", edits=[]), "deny", "dotfile_write"),
    row(
        "append to a dotfile",
        call("append_file", path=".env", content="K=v"),
        "deny",
        "dotfile_write",
    ),
    row("delete a dotfile", call("delete_file", path=".git"), "deny", "dotfile_write"),
    row(
        "create a dot-folder",
        call("create_directory", path="/workspace/.cache"),
        "deny",
        "dotfile_write",
    ),
    row(
        "move a dotfile away", move("/workspace/.env", "/workspace/env.bak"), "deny", "dotfile_move"
    ),
    row("move onto a dotfile", move("/workspace/x", "/workspace/.env"), "deny", "dotfile_move"),
    row("copy onto a dotfile", move("x", ".git/config", "copy_file"), "deny", "dotfile_move"),
    row(
        "write outside and a dotfile",
        write("/home/ana/.bashrc"),
        "deny",
        "path_in_workspace",
        "dotfile_write",
    ),
]


@pytest.mark.parametrize(("event", "decision", "rules"), ROWS)
def test_decision(
    guard: railguard.Guard, event: dict[str, Any], decision: str, rules: list[str]
) -> None:
    verdict = guard.evaluate(event)
    assert verdict.decision == decision, verdict.explain()
    assert sorted(v.rule for v in verdict.violations) == rules, verdict.explain()


def test_every_rule_is_exercised(guard: railguard.Guard) -> None:
    fired: set[str] = set()
    for param in ROWS:
        fired.update(param.values[2])
    (policy,) = guard.policies
    assert {r.id for r in policy.rules} - fired == set()


def test_the_policy_lints_clean() -> None:
    assert [str(d) for d in lint(POLICY)] == []
