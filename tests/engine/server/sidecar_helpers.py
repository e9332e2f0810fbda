"""Start the real sidecar (`python -m railguard serve`) on a free loopback port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
POLICIES = ROOT / "policies"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sidecar:
    """One `railguard serve` process; `stop()` sends SIGTERM and waits."""

    def __init__(
        self,
        paths: Sequence[str | Path],
        *args: str,
        token: str | None = None,
        env: dict[str, str] | None = None,
        wait: str | None = "/readyz",
        log: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        cmd = [sys.executable, "-m", "railguard", "serve", *map(str, paths)]
        cmd += ["--port", str(self.port), *args]
        full_env = {k: v for k, v in os.environ.items() if k != "RAILGUARD_TOKEN"}
        if token is not None:
            full_env["RAILGUARD_TOKEN"] = token
        full_env.update(env or {})
        self.log = log
        out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=ROOT
        )
        if wait is not None:
            self.wait_for(wait)

    def wait_for(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the sidecar exited with {self.proc.returncode}: {self.logs()}")
            try:
                status, _ = self.get(path)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the sidecar did not answer {path} in {timeout} s: {self.logs()}")

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        all_headers = {"content-type": "application/json"}
        if self.token:
            all_headers["authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                status = r.status
                ctype = r.headers.get("content-type", "")
        except urllib.error.HTTPError as err:
            raw = err.read()
            status = err.code
            ctype = err.headers.get("content-type", "")
        return status, json.loads(raw) if "json" in ctype else raw.decode()

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def post(self, path: str, data: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        body = raw if raw is not None else json.dumps(data).encode()
        return self.request("POST", path, body)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
