#!/usr/bin/env python3
"""Benchmark `schema.valid` on a 10-field tool-argument object against the libraries.

    python bench/bench_schema.py            # full run, tables on stdout
    python bench/bench_schema.py --quick    # fewer rounds, no conformance run (CI smoke)
    python bench/bench_schema.py --json     # machine-readable results on stdout

One schema (`create_invoice`'s arguments: ten fields with formats, an enum, a pattern, a
nested array of objects, `additionalProperties: false`) and one conforming instance. In one
interleaved pool (see timing.measure_interleaved) it times the same check made by:

* ``jsonschema``: the pure-Python reference library's pre-built ``Draft202012Validator``
  with its format checker, ``is_valid`` (the baseline);
* ``fastjsonschema``: a validator compiled to Python code (draft 7 semantics);
* ``jsonschema-rs``: the Rust library's pre-built validator, ``is_valid``, built as
  Railguard builds it (formats asserted, linear-time regex engine);
* ``schema.valid``: Railguard's builtin on the schema compiled at policy load, called as
  the compiled rule calls it;
* ``Guard.evaluate``: a whole decision, one rule ``deny call create_invoice unless
  schema.valid(args, "invoice.json")``, beside the same policy without the condition;

and the slow path, the errors of a failing instance (``schema.errors`` beside jsonschema's
``iter_errors``). It reports medians, p99s and ratios to the baseline, and PASS/FAIL for the
goal of issue 5: ``schema.valid`` at most 2 us.

Unless ``--quick``, it then runs the required tests of the official JSON Schema Test Suite
(``../shared/corpora/json-schema-test-suite``, when present) through each library directly,
formats as annotations (the suite's default), to show which is conformant as well as fast.
The exit status does not depend on speed.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import timing  # noqa: E402

GOAL_US = 2.0
SUITE = ROOT.parent / "shared" / "corpora" / "json-schema-test-suite"
DRAFTS = {
    "draft2020-12": "https://json-schema.org/draft/2020-12/schema",
    "draft2019-09": "https://json-schema.org/draft/2019-09/schema",
    "draft7": "http://json-schema.org/draft-07/schema#",
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "invoice_id": {"type": "string", "format": "uuid"},
        "customer_email": {"type": "string", "format": "email"},
        "customer_id": {"type": "string", "pattern": "^C[0-9]{5}$"},
        "amount": {"type": "number", "exclusiveMinimum": 0},
        "currency": {"type": "string", "enum": ["USD", "EUR", "GBP"]},
        "due": {"type": "string", "format": "date"},
        "paid": {"type": "boolean"},
        "notes": {"type": ["string", "null"], "maxLength": 500},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string"},
                    "qty": {"type": "integer", "minimum": 1},
                    "price": {"type": "number", "minimum": 0},
                },
                "required": ["sku", "qty", "price"],
            },
        },
    },
    "required": ["invoice_id", "customer_email", "amount", "currency", "due"],
    "additionalProperties": False,
}
VALID: dict[str, Any] = {
    "invoice_id": "5f0c8e9a-3b1d-4c2e-9f7a-1b2c3d4e5f60",
    "customer_email": "ana.lima@acme.com",
    "customer_id": "C00042",
    "amount": 1250.5,
    "currency": "EUR",
    "due": "2026-01-31",
    "paid": False,
    "notes": None,
    "tags": ["q4", "priority"],
    "lines": [{"sku": "A-1", "qty": 2, "price": 500.0}, {"sku": "B-7", "qty": 1, "price": 250.5}],
}
INVALID: dict[str, Any] = {
    **{k: v for k, v in VALID.items() if k != "due"},
    "amount": "1250.50",
    "customer_email": "ana at acme",
    "lines": [{"sku": "A-1", "qty": 0}],
    "discount": 5,
}
POLICY = """\
policy bench {
  rule invoice_args:
    deny call create_invoice unless schema.valid(args, "invoice.json")
}
"""
BARE_POLICY = "policy bench {\n  deny call create_invoice when false\n}\n"


def versions() -> dict[str, str]:
    out = {}
    for name in ("jsonschema", "jsonschema-rs", "fastjsonschema", "referencing"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def build_cells(folder: Path) -> dict[str, Callable[[], object]]:
    import jsonschema
    import jsonschema_rs

    import railguard
    from railguard.builtins.registry import LoadContext
    from railguard.builtins.schema import errors, valid
    from railguard.builtins.schemaload import load_schema

    cells: dict[str, Callable[[], object]] = {}
    reference = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert reference.is_valid(VALID) and not reference.is_valid(INVALID)
    cells["jsonschema"] = functools.partial(reference.is_valid, VALID)
    try:
        import fastjsonschema

        fast = fastjsonschema.compile(SCHEMA)
        cells["fastjsonschema"] = functools.partial(fast, VALID)
    except ImportError:
        pass
    rs = jsonschema_rs.validator_for(
        SCHEMA, validate_formats=True, pattern_options=jsonschema_rs.RegexOptions()
    )
    assert rs.is_valid(VALID) and not rs.is_valid(INVALID)
    cells["jsonschema-rs"] = functools.partial(rs.is_valid, VALID)
    compiled = load_schema("invoice.json", LoadContext(folder))
    assert valid(VALID, compiled) and not valid(INVALID, compiled)
    cells["schema.valid"] = functools.partial(valid, VALID, compiled, False, True)

    guard = railguard.load(folder / "bench.rail")
    bare = railguard.loads(BARE_POLICY)
    event = railguard.ToolCall(tool="create_invoice", args=VALID)
    assert guard.evaluate(event).allowed
    assert not guard.evaluate(railguard.ToolCall(tool="create_invoice", args=INVALID)).allowed
    cells["Guard.evaluate"] = functools.partial(guard.evaluate, event)
    cells["Guard.evaluate, no schema rule"] = functools.partial(bare.evaluate, event)

    cells["errors: jsonschema iter_errors"] = lambda: list(reference.iter_errors(INVALID))
    cells["errors: schema.errors"] = functools.partial(errors, INVALID, compiled)
    return cells


def conformance() -> dict[str, dict[str, Any]]:
    """Required tests of each draft through each library directly (formats as annotations,
    the suite's default; remotes registered offline). fastjsonschema knows drafts 4-7."""
    import jsonschema
    import jsonschema_rs
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7, DRAFT201909, DRAFT202012

    remotes = {
        "http://localhost:1234/" + p.relative_to(SUITE / "remotes").as_posix(): json.loads(
            p.read_text(encoding="utf-8")
        )
        for p in (SUITE / "remotes").rglob("*.json")
    }
    specs = {"draft2020-12": DRAFT202012, "draft2019-09": DRAFT201909, "draft7": DRAFT7}
    classes = {
        "draft2020-12": jsonschema.Draft202012Validator,
        "draft2019-09": jsonschema.Draft201909Validator,
        "draft7": jsonschema.Draft7Validator,
    }
    try:
        import fastjsonschema
    except ImportError:  # pragma: no cover
        fastjsonschema = None
    out: dict[str, dict[str, Any]] = {}
    for draft, dialect in DRAFTS.items():
        registry: Registry[Any] = Registry().with_resources(
            (u, Resource.from_contents(c, default_specification=specs[draft]))
            for u, c in remotes.items()
        )
        rs_registry = _rs_registry(remotes, dialect)
        counts = {"jsonschema": [0, 0], "jsonschema-rs": [0, 0], "fastjsonschema": [0, 0]}
        for path in sorted((SUITE / "tests" / draft).glob("*.json")):
            for group in json.loads(path.read_text(encoding="utf-8")):
                schema = group["schema"]
                if isinstance(schema, dict) and "$schema" not in schema:
                    schema = {"$schema": dialect, **schema}
                checks: dict[str, Callable[[Any], bool] | None] = {}
                checks["jsonschema"] = classes[draft](schema, registry=registry).is_valid
                try:
                    checks["jsonschema-rs"] = jsonschema_rs.validator_for(
                        schema, registry=rs_registry, validate_formats=False
                    ).is_valid
                except Exception:
                    checks["jsonschema-rs"] = None
                checks["fastjsonschema"] = None
                if fastjsonschema is not None and draft == "draft7":
                    try:
                        compiled = fastjsonschema.compile(
                            schema, handlers={"http": remotes.__getitem__}, formats={}
                        )
                        checks["fastjsonschema"] = functools.partial(_fast_valid, compiled)
                    except Exception:
                        checks["fastjsonschema"] = None
                for test in group["tests"]:
                    for name, check in checks.items():
                        counts[name][1] += 1
                        try:
                            ok = check is not None and check(test["data"]) == test["valid"]
                        except Exception:
                            ok = False
                        counts[name][0] += ok
        out[draft] = {
            name: {"passed": p, "total": t}
            for name, (p, t) in counts.items()
            if not (name == "fastjsonschema" and draft != "draft7")
        }
    return out


# remotes written for drafts not measured here (and the unreleased `v1`)
_OTHER_DRAFTS = tuple(
    f"http://localhost:1234/{d}/" for d in ("v1", "draft3", "draft4", "draft6", "draft-next")
)


def _rs_registry(remotes: dict[str, Any], dialect: str) -> Any:
    """The remotes jsonschema-rs can register: those of the measured drafts whose own
    references resolve among them (it resolves eagerly, unlike a lazy retriever)."""
    import jsonschema_rs

    docs = {
        u: c if "$schema" in c else {"$schema": dialect, **c}
        for u, c in remotes.items()
        if not u.startswith(_OTHER_DRAFTS)
    }
    usable = []
    for uri, doc in docs.items():
        try:
            jsonschema_rs.Registry([*usable, (uri, doc)])
        except Exception:
            continue
        usable.append((uri, doc))
    return jsonschema_rs.Registry(usable)


def _fast_valid(compiled: Callable[[Any], Any], data: Any) -> bool:
    import fastjsonschema

    try:
        compiled(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    out = [
        f"Railguard schema benchmark: Python {m['python']} on {m['platform']}, {m['cpus']} cpus; "
        f"{report['settings']['rounds']} rounds per cell"
        f"{' (--quick)' if report['settings']['quick'] else ''}",
        "versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        f"a 10-field argument object ({len(json.dumps(VALID))} bytes of JSON), valid; "
        "errors on an invalid one (5 errors)",
        "",
    ]
    res = report["results"]
    base = res["jsonschema"]["median_us"]
    rs = res["jsonschema-rs"]["median_us"]
    rows: list[Any] = []
    for name, cell in res.items():
        rows.append(
            [
                name,
                cell["median_us"],
                cell["p99_us"],
                f"{cell['median_us'] / base:.3f}x",
                f"{cell['median_us'] / rs:.2f}x",
            ]
        )
    out.append("median and p99 per call, us (ratios of medians)")
    out.append(
        timing.format_table(["what", "median", "p99", "vs jsonschema", "vs jsonschema-rs"], rows)
    )
    out.append("")
    out.append("goals")
    for g in report["goals"]:
        out.append(f"  {g['status']:<4}  {g['goal']}: {g['detail']}")
    conf = report.get("conformance")
    if conf:
        out.append("")
        out.append(
            "conformance: required tests of the JSON Schema Test Suite, run through each "
            "library directly (formats as annotations)"
        )
        rows = []
        for draft, libs in conf.items():
            for name, c in libs.items():
                share = 100 * c["passed"] / max(c["total"], 1)
                rows.append([draft, name, f"{c['passed']}/{c['total']}", f"{share:.2f}%"])
        out.append(timing.format_table(["draft", "library", "passed", "share"], rows))
        out.append(
            "  (Railguard's own run, through schema.valid from a policy, is "
            "tests/builtins/schema/test_conformance.py)"
        )
    out.append("")
    out.append("notes")
    out.append(
        "  [1] schema.valid is the registered builtin called on the schema the policy load "
        "compiled (what a compiled rule calls); Guard.evaluate is the whole decision."
    )
    out.append(
        "  [2] cells are timed in interleaved turns, gc off, so machine noise hits them alike."
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, no conformance run")
    parser.add_argument("--json", action="store_true", help="print JSON results instead")
    parser.add_argument("--rounds", type=int, help="timed batches per cell (default 400)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (60 if args.quick else 400)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "invoice.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
        (folder / "bench.rail").write_text(POLICY, encoding="utf-8")
        cells = build_cells(folder)
        stats = timing.measure_interleaved(cells, rounds=rounds, inner=None)
    results = {name: s.as_dict() for name, s in stats.items()}
    value = results["schema.valid"]["median_us"]
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "cpus": os.cpu_count(),
        },
        "versions": versions(),
        "settings": {"rounds": rounds, "quick": args.quick},
        "results": results,
        "goals": [
            {
                "goal": f"schema.valid on a 10-field object <= {GOAL_US:g} us",
                "status": "PASS" if value <= GOAL_US else "FAIL",
                "detail": f"{value:.2f} us median "
                f"({results['jsonschema']['median_us'] / value:.0f}x faster than jsonschema, "
                f"{value / results['jsonschema-rs']['median_us']:.2f}x bare jsonschema-rs)",
                "value": value,
            }
        ],
    }
    if not args.quick and (SUITE / "tests").is_dir():
        report["conformance"] = conformance()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
