"""optimize-prompt on the answer prompt with the embedded model: held-out score before and after.

Run: python benchmarks/optimize_prompt.py [--budget 40] [--start PROMPT.md]
(--start: search from this answer prompt instead of the shipped one, e.g. benchmarks/answer_prompt_earlier.md,
the version before the shipped one, which declined most questions)
Questions: ../shared/eval/retrieval_dev.jsonl and benchmarks/retrieval_extra.jsonl over ../shared/notes,
and benchmarks/unanswerable.jsonl (the answer must decline); one in three is held out.
A new version is kept only if it beats the starting prompt on the held-out questions.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import NOTES, QUESTIONS, UNANSWERABLE, require_notes, temp_home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=40, help="answer calls for scoring")
    parser.add_argument("--start", type=Path, help="an answer prompt file to start from (default: the shipped one)")
    args = parser.parse_args()
    require_notes()
    home = temp_home("optimize")
    questions = home / "questions.jsonl"
    files = [path for path in [*QUESTIONS, UNANSWERABLE] if path.exists()]
    questions.write_text("\n".join(path.read_text(encoding="utf-8").strip() for path in files) + "\n", encoding="utf-8")
    from agentnotes.index.ingest import ingest
    from agentnotes.optimize.run import optimize_prompt
    from agentnotes.settings import load_settings

    settings = load_settings()
    if args.start:
        from agentnotes.prompt_versions import PromptVersions

        versions = PromptVersions(settings.prompts_dir, "answer")
        versions.use(versions.add(args.start.read_text(encoding="utf-8")))
    ingest(settings, [NOTES])
    start = time.perf_counter()
    result = optimize_prompt(settings, "answer", questions, args.budget)
    print(f"train {result.train_questions} / held-out {result.val_questions} questions, budget {args.budget}")
    print(f"held-out score (cites the right chunk, or declines): start {result.val_before:.3f} -> best {result.val_after:.3f}"
          f" ({result.val_after / result.val_before:.2f}x)" if result.val_before else
          f"held-out score: start {result.val_before:.3f} -> best {result.val_after:.3f}")
    print(f"{result.candidates} candidate(s) scored on the held-out split, {result.metric_calls} scoring calls, "
          f"{time.perf_counter() - start:.0f}s; saved version: {result.saved_version or 'none (no proven gain)'}")
    for edit in result.edits:
        print(f"  proposed: {edit}")


if __name__ == "__main__":
    main()
