#!/usr/bin/env python3
"""Quality and speed of the PII detection, against Presidio measured in the same run.

    python bench/bench_pii.py               # full run, tables on stdout
    python bench/bench_pii.py --quick       # fewer rounds, a sample of the corpus
    python bench/bench_pii.py --speed-only  # the speed table only (no quality, no model)
    python bench/bench_pii.py --json        # machine-readable results on stdout

Quality, on `../shared/corpora/pii/synth_dataset_v2.json` (1,500 synthetic texts): span-level
precision and recall per entity type, pattern-only (the default) and with the small spaCy
model (`en_core_web_sm`, installed by `railguard[ner]`), each also for Presidio alone. A
found span counts as right when it overlaps a labelled span of the same type; the corpus's
DOMAIN_NAME is scored as URL and GPE as LOCATION. Detection runs at the builtins' default
`min_score` (0.4); Presidio at its default threshold (0).

Speed, timed interleaved (see timing.measure_interleaved), medians:

* the pattern path (`scan_text`: normalization, Presidio's recognizers run directly,
  Railguard's additions, context, resolution) against `AnalyzerEngine.analyze` on a blank
  spaCy pipeline, on a 200-character and a 5 KB text (goal: at least 10x faster). Presidio
  keeps no results between calls, so neither may Railguard: its result cache is cleared
  before every call (inside the timed call), and nothing else is kept per text;
* the NER path against a direct `AnalyzerEngine.analyze` with the same model (goal: at most
  1.1x);
* the cold import of Presidio and the load of the small model.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import timing  # noqa: E402

from railguard.builtins.pii import detect, presidio  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "pii" / "synth_dataset_v2.json"
GOAL_SPEEDUP = 10.0
GOAL_NER_RATIO = 1.1
GOAL_RECALL = 0.95
GOAL_PRECISION = 0.9
PATTERN_TYPES = (
    "CREDIT_CARD",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
    "URL",
)
NER_TYPES = ("PERSON", "LOCATION", "ORGANIZATION", "DATE_TIME", "NRP", "AGE")
LABELS = {"DOMAIN_NAME": "URL", "GPE": "LOCATION"}
MODEL = "en_core_web_sm"

TEXT_200 = (
    "Hi team, customer Jane Roe (jane.roe@example.com, +1 415-555-0132) says her card "
    "4111 1111 1111 1111 was charged twice on 2024-03-02. Please refund her today and "
    "reply to her by Friday."
)


def load_corpus() -> list[dict[str, Any]]:
    if not CORPUS.is_file():
        sys.exit(f"the PII corpus is absent: {CORPUS}")
    data: list[dict[str, Any]] = json.loads(CORPUS.read_text(encoding="utf-8"))
    return data


def text_5k(corpus: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for item in corpus:
        parts.append(item["full_text"])
        if sum(len(p) + 2 for p in parts) >= 5120:
            break
    return "\n\n".join(parts)[:5120]


# ---- quality ----------------------------------------------------------------------


def score(
    corpus: list[dict[str, Any]], predict: Any, types: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    tp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    for item in corpus:
        text = item["full_text"]
        gold = [
            (LABELS.get(s["entity_type"], s["entity_type"]), s["start_position"], s["end_position"])
            for s in item["spans"]
        ]
        pred = [p for p in predict(text) if p[0] in types]
        for g in gold:
            if g[0] not in types:
                continue
            if any(p[0] == g[0] and p[1] < g[2] and g[1] < p[2] for p in pred):
                tp[g[0]] += 1
            else:
                fn[g[0]] += 1
        for p in pred:
            if not any(p[0] == g[0] and p[1] < g[2] and g[1] < p[2] for g in gold):
                fp[p[0]] += 1
    out = {}
    for t in types:
        labelled = tp[t] + fn[t]
        if labelled == 0:
            continue
        out[t] = {
            "labelled": labelled,
            "found": tp[t] + fp[t],
            "precision": tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 0.0,
            "recall": tp[t] / labelled,
        }
    return out


def ours(options: detect.Options) -> Any:
    def predict(text: str) -> list[tuple[str, int, int]]:
        return [(h.entity, h.start, h.end) for h in detect.detect_hits(text, options)]

    return predict


def theirs(model: str | None) -> Any:
    engine = presidio.analyzer(model)

    def predict(text: str) -> list[tuple[str, int, int]]:
        return [
            (r.entity_type, r.start, r.end)
            for r in engine.analyze(text, language=presidio.LANGUAGE)
        ]

    return predict


# ---- speed ------------------------------------------------------------------------


def cold_import_s() -> float:
    code = "import time; t = time.perf_counter(); import presidio_analyzer; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def uncached(text: str, options: detect.Options) -> Any:
    """One check as a policy runs it (`scan_text`), with the result cache cleared first, so
    that every call scans the text again, as Presidio does."""
    detect.clear_cache()
    return detect.scan_text(text, options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, 300 texts")
    parser.add_argument(
        "--speed-only", action="store_true", help="the pattern path's speed only, no model"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    corpus = load_corpus()
    sample = corpus[:300] if args.quick else corpus
    results: dict[str, Any] = {"corpus_texts": 0 if args.speed_only else len(sample)}

    import_s = cold_import_s()
    t0 = time.perf_counter()
    detect.pattern_path()
    blank = presidio.analyzer(None)
    results["build_s"] = time.perf_counter() - t0
    has_model = presidio.model_installed(MODEL) and not args.speed_only
    if has_model:
        t0 = time.perf_counter()
        with_model = presidio.analyzer(MODEL)
        results["model_load_s"] = time.perf_counter() - t0
    results["import_s"] = import_s

    pattern_opts = detect.Options()
    results["quality"] = {}
    if not args.speed_only:
        results["quality"]["pattern"] = score(sample, ours(pattern_opts), PATTERN_TYPES)
        results["quality"]["presidio_pattern"] = score(sample, theirs(None), PATTERN_TYPES)
    if has_model:
        ner_opts = detect.Options(model=MODEL)
        results["quality"]["ner"] = score(sample, ours(ner_opts), PATTERN_TYPES + NER_TYPES)
        results["quality"]["presidio_ner"] = score(sample, theirs(MODEL), PATTERN_TYPES + NER_TYPES)

    rounds = 10 if args.quick else 40
    speed: dict[str, Any] = {}
    for name, text in (("200 chars", TEXT_200), ("5 KB", text_5k(corpus))):
        fns = {
            "presidio": lambda t=text: blank.analyze(t, language="en"),
            "railguard": lambda t=text: uncached(t, pattern_opts),
        }
        stats = timing.measure_interleaved(fns, rounds=rounds, inner=None, block=4)
        speed[name] = {
            "chars": len(text),
            "presidio_us": stats["presidio"].median_us,
            "railguard_us": stats["railguard"].median_us,
            "speedup": stats["presidio"].median_us / stats["railguard"].median_us,
        }
        if has_model:
            ner_opts = detect.Options(model=MODEL)
            fns = {
                "presidio_ner": lambda t=text: with_model.analyze(t, language="en"),
                "railguard_ner": lambda t=text, o=ner_opts: uncached(t, o),
            }
            stats = timing.measure_interleaved(fns, rounds=rounds, inner=None, block=4)
            speed[name]["presidio_ner_us"] = stats["presidio_ner"].median_us
            speed[name]["railguard_ner_us"] = stats["railguard_ner"].median_us
            speed[name]["ner_ratio"] = (
                stats["railguard_ner"].median_us / stats["presidio_ner"].median_us
            )
    results["speed"] = speed

    if args.json:
        print(json.dumps(results, indent=2))
        return
    report(results, has_model)


def report(results: dict[str, Any], has_model: bool) -> None:
    q = results["quality"]
    if q:
        report_quality(results, has_model)
    report_speed(results, has_model)


def report_quality(results: dict[str, Any], has_model: bool) -> None:
    print(f"PII corpus: {results['corpus_texts']} texts ({CORPUS.name})\n")
    q = results["quality"]
    rows = []
    for t in PATTERN_TYPES + (NER_TYPES if has_model else ()):
        row: list[object] = [t]
        for key in ("pattern", "presidio_pattern", "ner", "presidio_ner"):
            m = q.get(key, {}).get(t)
            row += ["-", "-"] if m is None else [f"{m['precision']:.3f}", f"{m['recall']:.3f}"]
        labelled = next((q[k][t]["labelled"] for k in q if t in q[k]), 0)
        rows.append([*row, labelled])
    print(
        timing.format_table(
            [
                "entity",
                "P pattern",
                "R pattern",
                "P Presidio",
                "R Presidio",
                "P +NER",
                "R +NER",
                "P Presidio+NER",
                "R Presidio+NER",
                "labelled",
            ],
            rows,
        )
    )
    ok = all(
        q["pattern"][t]["recall"] >= GOAL_RECALL and q["pattern"][t]["precision"] >= GOAL_PRECISION
        for t in PATTERN_TYPES
        if t in q["pattern"]
    )
    print(
        f"\npattern entities: recall >= {GOAL_RECALL} and precision >= {GOAL_PRECISION}: "
        f"{'PASS' if ok else 'FAIL'}\n"
    )


def report_speed(results: dict[str, Any], has_model: bool) -> None:
    print(
        "speed: medians of interleaved batches; the pattern path is `scan_text` with its "
        "result cache cleared before every call (each call scans the text again)\n"
    )
    rows = []
    for name, s in results["speed"].items():
        rows.append(
            [
                f"{name} ({s['chars']})",
                f"{s['presidio_us']:.0f}",
                f"{s['railguard_us']:.0f}",
                f"{s['speedup']:.1f}x",
                f"{s.get('presidio_ner_us', 0):.0f}" if has_model else "-",
                f"{s.get('railguard_ner_us', 0):.0f}" if has_model else "-",
                f"{s['ner_ratio']:.2f}x" if has_model else "-",
            ]
        )
    print(
        timing.format_table(
            [
                "text",
                "Presidio blank us",
                "pattern path us",
                "speedup",
                "Presidio+model us",
                "NER path us",
                "NER/Presidio",
            ],
            rows,
        )
    )
    for name, s in results["speed"].items():
        print(
            f"{name}: pattern path >= {GOAL_SPEEDUP:.0f}x faster: "
            f"{'PASS' if s['speedup'] >= GOAL_SPEEDUP else 'FAIL'}"
            + (
                f"; NER path <= {GOAL_NER_RATIO}x Presidio: "
                f"{'PASS' if s['ner_ratio'] <= GOAL_NER_RATIO else 'FAIL'}"
                if has_model
                else ""
            )
        )
    print(
        f"\ncold import of presidio_analyzer: {results['import_s']:.2f} s; pattern path and "
        f"blank analyzer built in {results['build_s']:.2f} s"
        + (f"; small model loaded in {results['model_load_s']:.2f} s" if has_model else "")
    )


if __name__ == "__main__":
    main()
