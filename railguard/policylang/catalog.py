"""Tool catalogs (`tools from "FILE"`): OpenAI function definitions or an MCP `tools/list`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    parameters: dict[str, Any]


class CatalogError(ValueError):
    pass


def load_catalog(path: Path) -> dict[str, Tool]:
    """Read a catalog file; raise `CatalogError` saying what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"tool catalog `{path}` does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read tool catalog `{path}`: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(
            f"tool catalog `{path}` is not JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    return parse_catalog(data)


def parse_catalog(data: Any) -> dict[str, Tool]:
    """Accept `[{"type": "function", "function": {...}}]`, `[{"name", "parameters"}]`,
    an MCP `{"tools": [...]}` result or a JSON-RPC response wrapping one."""
    if isinstance(data, dict) and isinstance(data.get("result"), dict):
        data = data["result"]
    if isinstance(data, dict) and "tools" in data:
        data = data["tools"]
    if not isinstance(data, list):
        raise CatalogError(
            "a tool catalog is a list of function definitions or an MCP `tools/list` result"
        )
    tools: dict[str, Tool] = {}
    for i, entry in enumerate(data):
        if isinstance(entry, dict) and isinstance(entry.get("function"), dict):
            entry = entry["function"]
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise CatalogError(f"tool catalog entry {i} has no `name`")
        schema = entry.get("parameters", entry.get("inputSchema", {}))
        tools[entry["name"]] = Tool(entry["name"], schema if isinstance(schema, dict) else {})
    return tools
