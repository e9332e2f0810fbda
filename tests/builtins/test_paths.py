"""`path.within` and `path.normalize` on paths an attacker writes for another OS."""

from __future__ import annotations

import pytest

from railguard.builtins.paths import normalize, within


@pytest.mark.parametrize(
    ("value", "inside"),
    [
        ("C:/Windows/win.ini", False),
        ("C:\\Windows\\win.ini", False),
        ("c:win.ini", False),
        ("\\\\server\\share\\x", False),
        ("//etc/passwd", False),
        ("reports\\..\\..\\etc\\passwd", False),
        ("reports/./q3.csv", True),
        ("/workspace", True),
        ("/workspace2/x", False),
    ],
)
def test_within_a_posix_root(value: str, inside: bool) -> None:
    assert within(value, "/workspace") is inside


def test_a_drive_root_contains_its_own_paths() -> None:
    assert within("notes\\a.txt", "C:\\work")
    assert within("c:/work/../work/b", "C:/work")
    assert not within("../x", "C:/work")
    assert normalize("a", "C:/work") == "C:/work/a"
