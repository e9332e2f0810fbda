#!/usr/bin/env python3
"""Quality of the prompt-injection indicators on public corpora, with a held-out split.

    python bench/injection_quality.py              # tables on stdout, PASS/FAIL lines
    python bench/injection_quality.py --quick      # fewer planted contexts per attack
    python bench/injection_quality.py --markdown   # the tables as docs/injection.md shows them
    python bench/injection_quality.py --split train --misses   # list what the train split misses
    python bench/injection_quality.py --honest docs .venv/lib   # flagged paragraphs of docs
    python bench/injection_quality.py --honest .venv/lib --suffix .py   # ... of source code
    python bench/injection_quality.py --honest /usr/share/doc --suffix .html --pages   # web pages

Corpora (`../shared/corpora/prompt-injection/`, see its README):

* PurpleLlama: the attack text (`user_input`) of its 251 cases, alone;
* BIPIA: its text and code attack strings, each planted into clean e-mails and tables
  (at the start, in the middle at a line or sentence break, and at the end);
* BIPIA's clean e-mails and tables alone, for the false-positive rate.

A text counts as flagged when `injection.flagged` would say so: the combined score reaches
the default threshold (0.5). The split is fixed: PurpleLlama cases whose `prompt_id` is a
multiple of 3, the 4th and 5th attack string of every BIPIA category, and every 3rd clean
context are held out; the patterns were tuned by looking at misses and false positives of
the train split only. Goals: at least 80% of attacks flagged, at most 2% of clean contexts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from railguard.builtins.injection import THRESHOLD, combined, scan  # noqa: E402
from railguard.builtins.injection.scanner import MAX_CHARS  # noqa: E402
from railguard.builtins.registry import EvalError  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "prompt-injection"
GOAL_DETECTION = 0.80
GOAL_FALSE_POSITIVES = 0.02
SPLITS = ("train", "held-out")


def flagged(text: str) -> bool:
    return combined(scan(text)) >= THRESHOLD


def purplellama() -> list[dict[str, Any]]:
    """`{split, category, text}` per PurpleLlama case."""
    cases = json.loads((CORPUS / "purplellama" / "prompt_injection.json").read_text("utf-8"))
    return [
        {
            "split": "held-out" if c["prompt_id"] % 3 == 0 else "train",
            "category": c["injection_variant"],
            "text": c["user_input"],
        }
        for c in cases
    ]


def bipia_attacks() -> list[dict[str, Any]]:
    out = []
    for name in ("text_attack_train.json", "code_attack_train.json"):
        data = json.loads((CORPUS / "bipia" / name).read_text("utf-8"))
        for category, attacks in data.items():
            for i, attack in enumerate(attacks):
                split = "held-out" if i >= 3 else "train"
                out.append({"split": split, "category": category, "text": attack})
    return out


def contexts() -> list[dict[str, Any]]:
    out = []
    for kind, name in (
        ("email", "email_contexts_train.jsonl"),
        ("table", "table_contexts_train.jsonl"),
    ):
        lines = (CORPUS / "bipia" / name).read_text("utf-8").splitlines()
        for i, line in enumerate(x for x in lines if x.strip()):
            split = "held-out" if i % 3 == 0 else "train"
            out.append({"split": split, "category": kind, "text": json.loads(line)["context"]})
    return out


def plant(context: str, attack: str, where: str) -> str:
    if where == "start":
        return f"{attack}\n{context}"
    if where == "end":
        return f"{context}\n{attack}"
    middle = len(context) // 2
    cut = max(context.rfind("\n", 0, middle), context.rfind(". ", 0, middle) + 1)
    cut = cut if cut > 0 else middle
    return f"{context[:cut]}\n{attack}\n{context[cut:]}"


def planted(per_kind: int) -> list[dict[str, Any]]:
    """Each BIPIA attack planted into `per_kind` clean e-mails and tables of its own split,
    at three positions."""
    pools: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in contexts():
        pools[(c["split"], c["category"])].append(c["text"])
    out = []
    for n, a in enumerate(bipia_attacks()):
        for kind in ("email", "table"):
            pool = pools[(a["split"], kind)]
            for k in range(per_kind):
                context = pool[(n * per_kind + k) % len(pool)]
                for where in ("start", "middle", "end"):
                    out.append(
                        {
                            "split": a["split"],
                            "category": a["category"],
                            "text": plant(context, a["text"], where),
                            "attack": a["text"],
                        }
                    )
    return out


def rates(rows: list[dict[str, Any]]) -> dict[str, dict[str, list[int]]]:
    """split -> category -> [flagged, total] (with `all` for the split's total)."""
    table: dict[str, dict[str, list[int]]] = {s: defaultdict(lambda: [0, 0]) for s in SPLITS}
    for r in rows:
        hit = int(r["flagged"])
        for cat in (r["category"], "all"):
            table[r["split"]][cat][0] += hit
            table[r["split"]][cat][1] += 1
    return table


def render(title: str, table: dict[str, dict[str, list[int]]], what: str) -> list[str]:
    cats = [*sorted({c for s in SPLITS for c in table[s]} - {"all"}), "all"]
    out = [f"### {title}", "", f"| category | train {what} | held-out {what} |", "|---|---|---|"]
    for cat in cats:
        cells = []
        for s in SPLITS:
            hit, n = table[s].get(cat, [0, 0])
            cells.append(f"{hit}/{n} ({100 * hit / n:.1f}%)" if n else "-")
        name = f"**{cat}**" if cat == "all" else cat
        out.append(f"| {name} | {cells[0]} | {cells[1]} |")
    return [*out, ""]


def honest(folders: list[str], suffixes: list[str], pages: bool) -> int:
    """Scan every paragraph (or, with `pages`, the whole) of the files with `suffixes`
    under `folders` (honest text: documentation, READMEs, web pages, source code) and list
    those flagged."""
    paragraphs = flagged_ones = size = 0
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix not in suffixes or not path.is_file():
                continue
            text = path.read_text("utf-8", errors="replace")
            for para in [text] if pages else text.split("\n\n"):
                if len(para) > MAX_CHARS:
                    continue  # data, not text: `injection.find` refuses it
                paragraphs += 1
                size += len(para)
                try:
                    hits = scan(para)
                except EvalError as exc:  # a policy fails closed on it: counted as flagged
                    flagged_ones += 1
                    print(f"{path}: {exc}")
                    continue
                if combined(hits) >= THRESHOLD:
                    flagged_ones += 1
                    shown = [(h.rule, para[h.start : h.end][:50]) for h in hits[:3]]
                    print(f"{path}: {shown}")
    what = "files" if pages else "paragraphs"
    print(f"{flagged_ones} of {paragraphs} {what} flagged ({size / 1e6:.1f} MB)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="plant into fewer contexts")
    parser.add_argument("--markdown", action="store_true", help="tables only, as markdown")
    parser.add_argument("--misses", action="store_true", help="list misses and false positives")
    parser.add_argument("--split", choices=SPLITS, help="with --misses: only this split")
    parser.add_argument(
        "--honest", nargs="+", metavar="DIR", help="list flagged paragraphs of docs under DIR"
    )
    parser.add_argument(
        "--suffix",
        action="append",
        help="with --honest: the files to read (default: .md and .rst; repeat for more)",
    )
    parser.add_argument(
        "--pages", action="store_true", help="with --honest: scan each file whole, as a page"
    )
    args = parser.parse_args()
    if args.honest:
        return honest(args.honest, args.suffix or [".md", ".rst"], args.pages)
    if not CORPUS.is_dir():
        print(f"SKIP: the corpus folder {CORPUS} is absent")
        return 0
    per_kind = 1 if args.quick else 3
    groups = {
        "PurpleLlama attacks (`user_input` alone)": (purplellama(), "flagged"),
        "BIPIA attacks planted into clean e-mails and tables": (planted(per_kind), "flagged"),
        "BIPIA clean e-mails and tables (false positives)": (contexts(), "flagged"),
    }
    lines: list[str] = []
    totals: dict[str, dict[str, list[int]]] = {}
    for title, (rows, what) in groups.items():
        for r in rows:
            r["flagged"] = flagged(r["text"])
        table = rates(rows)
        totals[title] = {s: table[s]["all"] for s in SPLITS}
        lines += render(title, table, what)
        if args.misses:
            clean = "false positives" in title
            for r in rows:
                if args.split and r["split"] != args.split:
                    continue
                if r["flagged"] == clean:
                    text = r.get("attack", r["text"])
                    hits = [(h.rule, r["text"][h.start : h.end][:60]) for h in scan(r["text"])]
                    print(f"[{r['split']}] {r['category']}: {text[:160]!r} {hits}")
    print("\n".join(lines))
    if args.markdown:
        return 0
    ok = True
    for title, by_split in totals.items():
        clean = "false positives" in title
        for s in SPLITS:
            hit, n = by_split[s]
            rate = hit / n if n else 0.0
            good = rate <= GOAL_FALSE_POSITIVES if clean else rate >= GOAL_DETECTION
            goal = f"<= {GOAL_FALSE_POSITIVES:.0%}" if clean else f">= {GOAL_DETECTION:.0%}"
            ok = ok and good
            print(f"{'PASS' if good else 'FAIL'}: {title}, {s}: {rate:.1%} (goal {goal})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
