"""No network, ever; and no Presidio import for policies that do not use it.

Both run in a fresh interpreter, so that what happens at import time is covered too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

NO_NETWORK = """
import socket

attempts = []

def refuse(*args, **kwargs):
    attempts.append(repr(args)[:200])
    raise OSError("network access is disabled in this test")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
"""


def run(code: str, tmp_path: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        },
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_detection_runs_with_networking_disabled(tmp_path: Path) -> None:
    out = run(
        NO_NETWORK
        + f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import json
import railguard
guard = railguard.loads('''policy p {{
  rule mask:
    redact output with pii.mask()
  rule keys:
    deny output when secrets.find(content)
}}''')
v = guard.evaluate(railguard.ModelOutput(content="mail jane@example.co.uk, www.acme.org, +1 415-555-0132"))
from railguard.builtins import pii
found = pii.find("write to a.b@mail.example.com or see https://example.org/x")
print(json.dumps({{"attempts": attempts, "content": v.content, "found": [f["entity"] for f in found]}}))
""",
        tmp_path,
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert result["attempts"] == []
    assert result["content"] == "mail <EMAIL_ADDRESS>, <URL>, <PHONE_NUMBER>"
    assert result["found"] == ["EMAIL_ADDRESS", "URL"]
    assert not (tmp_path / "cache" / "python-tldextract").exists(), "no suffix list cached"


@pytest.mark.parametrize(
    "text",
    [
        "policy plain {\n  deny call drop_table\n}\n",
        # linting checks PII policies without running them: no Presidio either
        "policy pii_rules {\n  recognizer emp /EMP-[0-9]{6}/\n"
        "  deny output when pii.entities(content)\n"
        '  redact output with pii.mask(entities: ["EMAIL_ADDRESS"])\n'
        "  deny call run_sql unless sql.read_only(args.query)\n}\n",
    ],
    ids=["without pii rules", "with pii and sql rules"],
)
def test_linting_imports_no_presidio(tmp_path: Path, text: str) -> None:
    policy = tmp_path / "plain.rail"
    policy.write_text(text, encoding="utf-8")
    out = run(
        f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from railguard.cli import main
try:
    main(["lint", {str(policy)!r}])
except SystemExit:
    pass
heavy = sorted(m for m in ("presidio_analyzer", "spacy", "phonenumbers", "tldextract", "thinc",
                           "sqlglot") if m in sys.modules)
print("HEAVY", heavy)
""",
        tmp_path,
    )
    assert "HEAVY []" in out
