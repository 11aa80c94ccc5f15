"""How often the model picks the idea's own kind where the reader reads several kinds in one note (real embedded LLM).

Run: python benchmarks/kind_choice.py [--from-batch N] [--to-batch N]

For every batch note of benchmarks/generality/batches/ whose kinds the reader (guards/kinds.py) reads as several
(not a pair the lab joins into one shape, skeleton COMBINED, nor a penalty read as a loss and a regulariser): the kind
the model chooses as run-experiment asks it (agents/kind_choice.py), against the note's labelled kinds
(benchmarks/generality/kind_labels.tsv). Baseline, same notes: the reader's kinds as they are. Batches from BLIND_FROM on were written after the choice was built and are reported apart.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from _common import REPO, row, temp_home
from reader_reach import BATCHES, kinds_right, labelled_kinds

sys.path.insert(0, str(REPO))
from agentnotes.agents.kind_choice import choose_kind  # noqa: E402
from agentnotes.experiments.guards.kinds import ONE_FAMILY, kinds_in_notes  # noqa: E402
from agentnotes.experiments.guards.notation import plain_letters  # noqa: E402
from agentnotes.experiments.guards.skeleton import COMBINED  # noqa: E402
from agentnotes.llm.provider import get_chat_model  # noqa: E402
from agentnotes.prompts import load_prompt  # noqa: E402
from agentnotes.settings import load_settings  # noqa: E402

BLIND_FROM = 61  # the first batch written after the choice was built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-batch", type=int, default=0)
    parser.add_argument("--to-batch", type=int, default=10_000)
    args = parser.parse_args()
    temp_home("kind-choice")
    settings = load_settings()
    model = get_chat_model(settings, temperature=0.3, max_tokens=1200, seed=0)  # as run-experiment's
    prompt = load_prompt("choose_kind", settings.prompts_dir)
    labels = labelled_kinds()
    counts = {False: [0, 0, 0], True: [0, 0, 0]}  # blind -> [notes, right as read, right as chosen]
    seconds: list[float] = []
    for path in sorted(BATCHES.glob("*/*.md"), key=lambda p: (int(p.parent.name), p.name)):
        batch = int(path.parent.name)
        if not args.from_batch <= batch <= args.to_batch:
            continue
        text, name = plain_letters(path.read_text(encoding="utf-8")), f"{batch}/{path.stem}"
        kinds = kinds_in_notes(text)
        if len(kinds) < 2 or frozenset(kinds) in COMBINED or set(kinds) <= ONE_FAMILY:
            continue
        start = time.perf_counter()
        chosen, _ = choose_kind(model, prompt, text, kinds)
        seconds.append(time.perf_counter() - start)
        tally = counts[batch >= BLIND_FROM]
        tally[0] += 1
        tally[1] += kinds_right({"kinds": kinds}, labels.get(name))
        tally[2] += kinds_right({"kinds": [chosen]}, labels.get(name))
        print(f"{name}: read {kinds}, chosen {chosen}, labelled {sorted(labels.get(name) or [])}", flush=True)
    widths = (30, 8, 14, 16)
    print(row("notes with several kinds", "notes", "right as read", "right as chosen", widths=widths))
    for blind, label in ((False, f"batches before {BLIND_FROM} (tuned)"), (True, f"batches {BLIND_FROM}+ (blind)")):
        print(row(label, *counts[blind], widths=widths))
    if seconds:
        print(f"seconds per choice: {statistics.median(seconds):.1f} (median of {len(seconds)}; the first loads the model)")


if __name__ == "__main__":
    main()
