"""File-path tests that resolve `..` lexically, never touching the file system."""

from __future__ import annotations

import posixpath
import re
from typing import Annotated

from railguard.builtins.registry import EvalError, builtin

_DRIVE = re.compile(r"[A-Za-z]:")


def normalize(value: str, base: str = "/") -> str:
    """An absolute, normalized path: backslashes count as separators, `..` resolved.

    A Windows drive path keeps its drive (`C:/Windows`), so it is never inside a POSIX root.
    """
    if "\0" in value:
        raise EvalError("path: the path contains a NUL byte")
    text = value.replace("\\", "/")
    if _DRIVE.match(text):  # `C:/x` or `C:x`: a Windows drive, never inside a POSIX root
        return text[:2].upper() + posixpath.normpath("/" + text[2:].lstrip("/"))
    base = base.replace("\\", "/")
    if _DRIVE.match(base):
        return normalize(base[:2] + posixpath.join("/" + base[2:], text))
    out = posixpath.normpath(posixpath.join(base, text))
    if out.startswith("//"):
        out = "/" + out.lstrip("/")
    return out


@builtin("path.within", examples=['path.within(args.path, "/srv/data")'])
def within(
    value: Annotated[str, "the path to test; a relative path is taken relative to `root`"],
    root: Annotated[str, "the directory the path must stay inside"],
) -> bool:
    """True when `value`, with `..` and `.` resolved, names `root` or something inside it.

    Resolution is lexical: symbolic links are not followed, so `root` should contain none
    that lead outside it. A path with a NUL byte is an error (the rule fails closed).
    """
    base = normalize(root)
    target = normalize(value, base)
    return target == base or target.startswith(base.rstrip("/") + "/")


@builtin("path.normalize", examples=['startswith(path.normalize(args.path), "/tmp/")'])
def normalized(value: Annotated[str, "the path to normalize"]) -> str:
    """The absolute path with `.`, `..` and repeated slashes resolved, backslashes as slashes."""
    return normalize(value)
