"""Answers on the held-out part of the knowledge-base eval set, with the embedded models: the
fact stated, the passage cited, unanswerable questions declined, and why wrong answers went wrong.

Run: python benchmarks/kb_eval/answers.py [--limit 20] [--part held-out] [-k 3] [--out answers.json]
It runs `agentnotes eval answers` (the steps of `ask`) on N questions of the part taken at even steps
through the file, one in five of them unanswerable. ~1 minute per question on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from evalset import QUESTIONS, ingested_home, parts


def spread(items: list, n: int) -> list:
    """n items taken at even steps through `items` (which is in file order, so all notes are sampled)."""
    return items[:: max(1, len(items) // n)][:n] if n else []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--part", choices=("held-out", "tuned"), default="held-out")
    parser.add_argument("-k", type=int, default=3, help="how many note chunks the model answers from (as 'ask -k')")
    parser.add_argument("--out", type=Path, help="write the report of 'eval answers --json' here")
    args = parser.parse_args()
    items = parts()[args.part]
    answerable = [i for i in items if i.question.answerable]
    unanswerable = [i for i in items if not i.question.answerable]
    wanted = {i.question.question for i in spread(answerable, args.limit - args.limit // 5) + spread(unanswerable, args.limit // 5)}
    lines = [line for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if json.loads(line)["question"] in wanted]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as sink:
        sink.write("\n".join(lines) + "\n")
    home = ingested_home("kb-eval-default")
    command = [sys.executable, "-m", "agentnotes", "eval", "answers", sink.name, "-k", str(args.k), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "AGENTNOTES_HOME": str(home)}, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    report = json.loads(done.stdout)
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print({key: value for key, value in report.items() if key != "per_question"})
    for r in report["per_question"]:
        mark = "ok " if r["correct"] else "BAD"
        print(f"{mark} {r['failure'] or '':<16} {r['question'][:60]:<60} | {' '.join(r['answer'].split())[:140]}")


if __name__ == "__main__":
    main()
