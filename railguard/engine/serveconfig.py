"""`railguard serve` settings: defaults, a YAML/JSON config file, command-line overrides.

The settings travel to uvicorn's worker processes as JSON in `RAILGUARD_SERVE_CONFIG`; the
token itself never does: each worker reads it from its file or environment variable.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_CONFIG = "RAILGUARD_SERVE_CONFIG"
DEFAULT_TOKEN_ENV = "RAILGUARD_TOKEN"


@dataclass(frozen=True)
class ServeConfig:
    paths: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 8181
    workers: int = 1
    token_file: str | None = None
    token_env: str = DEFAULT_TOKEN_ENV
    max_body_bytes: int = 2 * 1024 * 1024
    max_depth: int = 64
    max_batch: int = 1000
    watch: bool = True
    watch_interval: float = 1.0
    graceful_timeout: float = 30.0
    allow_imports: list[str] = field(default_factory=list)
    schema_roots: dict[str, str] = field(default_factory=dict)
    sessions: str = "memory://"  # the session store: memory:// (per worker) or redis://host:port/db
    shadow: list[str] = field(
        default_factory=list
    )  # a candidate set, decided on and never enforced
    audit: str | None = None  # the decision log's file
    audit_payloads: str = "hash"  # none | hash | redacted | full
    audit_flush: str = "record"  # record | batch
    audit_fsync: bool = False
    audit_rotate_bytes: int = 64 * 1024 * 1024
    approver_token_file: str | None = None  # the approvers' token (distinct from the agents')
    approver_token_env: str = "RAILGUARD_APPROVER_TOKEN"
    approval_ttl: float = 3600.0  # seconds a request waits for a decision, an approval for its use
    approval_webhook: str | None = None  # announce new requests: {"text": ...} (Slack, Teams)
    approval_page_url: str | None = None  # the sidecar's public URL, for links in announcements
    log_level: str = "info"

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}

    def replace(self, **changes: Any) -> ServeConfig:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        return cls(**json.loads(text))

    def token(self) -> str | ValueError | None:
        """The bearer token (None: no authentication), or the reason it cannot be read."""
        if self.token_file:
            try:
                text = Path(self.token_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                return ValueError(f"cannot read the token file `{self.token_file}`: {exc.strerror}")
            if not text:
                return ValueError(f"the token file `{self.token_file}` is empty")
            return text
        value = os.environ.get(self.token_env, "").strip()
        return value or None


def load_config(path: str | Path) -> ServeConfig | ValueError:
    """Read a config file (YAML or JSON object with ServeConfig's field names)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        return ValueError(f"cannot read `{path}`: {exc.strerror}")
    except yaml.YAMLError as exc:
        return ValueError(f"`{path}` is not YAML or JSON: {exc}")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return ValueError(f"`{path}` must hold a mapping of settings")
    unknown = sorted(set(data) - ServeConfig.names())
    if unknown:
        return ValueError(
            f"`{path}`: unknown setting `{unknown[0]}`; known: {', '.join(sorted(ServeConfig.names()))}"
        )
    try:
        return ServeConfig(**data)
    except TypeError as exc:
        return ValueError(f"`{path}`: {exc}")
