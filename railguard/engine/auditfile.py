"""The decision log's embedded sink: hash-chained JSON lines, append-only, rotated by size.

Each line is one record with `seq` (1, 2, ...), `prev` (the previous record's `hash`) and
`hash` (sha256 of the record's canonical JSON without `hash`). Editing, deleting or
reordering a record breaks the chain at that record; `railguard audit verify` finds it.

Files: records go to `PATH`; when it passes `rotate_bytes`, it is renamed to
`PATH.000001` (then `.000002`, ...) and a new `PATH` continues the same chain.

Concurrent writers (the sidecar's worker processes) share one file safely: every append
happens under an exclusive `flock` on `PATH.lock`, and a writer that finds the file grown
since its own last write reads the chain's tail from it first. One `write()` per batch, of
whole lines only, so no reader ever sees interleaved partial lines.

Durability: `flush="record"` writes each record before `write()` returns (it survives the
process being killed; `fsync=True` also survives power loss, at the cost of a disk sync per
record); `flush="batch"` buffers records and a background thread writes and fsyncs them
every `interval_s` (a crash loses at most that interval).

A torn last line (a crash in the middle of a write) is never built upon: the writer that
opens the file next cuts it off and appends a `recovered` record carrying its length and
hash, so the chain stays whole and the loss stays visible.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any, Literal

from railguard.engine.auditlog import canonical

GENESIS = "sha256:" + "0" * 64
_TAIL_BYTES = 1 << 20  # how far back from the end a writer looks for the last record


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return "sha256:" + hashlib.sha256(canonical(body)).hexdigest()


def segments(path: Path) -> list[Path]:
    """The log's files, oldest first: rotated segments, then the live file."""
    rotated = sorted(p for p in path.parent.glob(path.name + ".*") if p.suffix[1:].isdigit())
    return [*rotated, *([path] if path.exists() else [])]


class JsonlFile:
    def __init__(
        self,
        path: str | Path,
        *,
        flush: Literal["record", "batch"] = "record",
        fsync: bool = False,
        interval_s: float = 0.2,
        rotate_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        if flush not in ("record", "batch"):
            raise ValueError(f"`flush` must be `record` or `batch`, not `{flush}`")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.flush = flush
        self.fsync = fsync or flush == "batch"
        self.interval_s = interval_s
        self.rotate_bytes = rotate_bytes
        self._lock = threading.Lock()  # guards `_pending` and `_closed`
        self._io = threading.Lock()  # this process's appends, in order
        self._lockfile = open(str(self.path) + ".lock", "a+b")  # noqa: SIM115  (held for the sink's life)
        self._fd: int | None = None
        self._inode: int | None = None
        self._known_size = -1  # the file's size after our last write
        self._seq = 0
        self._prev = GENESIS
        self._pending: list[dict[str, Any]] = []
        self._closed = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        if flush == "batch":
            self._thread = threading.Thread(
                target=self._flusher, name="railguard-audit", daemon=True
            )
            self._thread.start()

    # -- the sink interface

    def write(self, record: dict[str, Any]) -> None:
        if self.flush == "record":
            with self._io:
                if self._closed:
                    raise ValueError("the decision log is closed")
                self._append([record])
            return
        with self._lock:  # a batch: queue it; the flusher writes and syncs outside this lock
            if self._closed:
                raise ValueError("the decision log is closed")
            self._pending.append(record)

    def close(self) -> None:
        with self._io, self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread is not None:
            self._wake.set()
            self._thread.join()
        self.flush_now()
        with self._io:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._lockfile.close()

    def flush_now(self) -> None:
        """Write and sync what a batch holds."""
        with self._io:
            with self._lock:
                pending, self._pending = self._pending, []
            if pending:
                self._append(pending)

    def _flusher(self) -> None:
        while not self._wake.wait(self.interval_s):
            self.flush_now()

    # -- appending, under the file lock

    def _append(self, records: list[dict[str, Any]]) -> None:
        fcntl.flock(self._lockfile, fcntl.LOCK_EX)
        try:
            self._open_current()
            data = b"".join([self._chain(record) for record in records])
            assert self._fd is not None
            _write_all(self._fd, data)
            if self.fsync:
                os.fsync(self._fd)
            self._known_size += len(data)
            if self._known_size >= self.rotate_bytes:
                self._rotate()
        finally:
            fcntl.flock(self._lockfile, fcntl.LOCK_UN)

    def _chain(self, record: dict[str, Any]) -> bytes:
        """The record's line: its canonical JSON with `seq` and `prev`, and `hash` (of
        exactly those bytes) added last; one encoding serves for the hash and the line."""
        self._seq += 1
        body = {k: v for k, v in record.items() if k != "hash"}
        body["seq"] = self._seq
        body["prev"] = self._prev
        text = canonical(body)
        self._prev = "sha256:" + hashlib.sha256(text).hexdigest()
        return text[:-1] + b',"hash":"' + self._prev.encode() + b'"}\n'

    def _open_current(self) -> None:
        """Open the live file (again, if another process rotated it) and catch up with
        records other writers appended since our last write."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        if self._fd is None or st is None or st.st_ino != self._inode:
            if self._fd is not None:
                os.close(self._fd)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            st = os.fstat(self._fd)
            self._inode = st.st_ino
            self._known_size = -1
        if st.st_size != self._known_size:
            self._catch_up(st.st_size)

    def _catch_up(self, size: int) -> None:
        """Read the chain's last record from the file (or the newest segment when the live
        file is empty); cut off a torn tail and record that it was."""
        self._known_size = size
        if size == 0:
            last = _last_record_of(segments(self.path)[:-1])
            self._seq, self._prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
            return
        with open(self.path, "rb") as f:
            start = max(0, size - _TAIL_BYTES)
            f.seek(start)
            tail = f.read()
        cut = tail.rfind(b"\n") + 1  # bytes after the last newline are a torn line
        torn = tail[cut:]
        complete = tail[:cut].rstrip(b"\n").rsplit(b"\n", 1)[-1]
        last = json.loads(complete) if complete else _last_record_of(segments(self.path)[:-1])
        self._seq, self._prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
        if torn:
            os.truncate(self.path, start + cut)
            self._known_size = start + cut
            note = {
                "recovered": "a torn record was cut off the end of the log (a crash while writing)",
                "torn_bytes": len(torn),
                "torn_sha256": hashlib.sha256(torn).hexdigest(),
            }
            data = self._chain(note)
            assert self._fd is not None
            _write_all(self._fd, data)
            self._known_size += len(data)

    def _rotate(self) -> None:
        n = len(segments(self.path)) if self.path.exists() else 0
        os.rename(self.path, self.path.with_name(f"{self.path.name}.{n:06d}"))
        assert self._fd is not None
        os.close(self._fd)
        self._fd = None
        self._open_current()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _last_record_of(files: list[Path]) -> dict[str, Any] | None:
    for path in reversed(files):
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - _TAIL_BYTES))
            lines = f.read().rstrip(b"\n").rsplit(b"\n", 1)
        if lines and lines[-1]:
            data: dict[str, Any] = json.loads(lines[-1])
            return data
    return None
