"""How many idea notes the program writes whole from their formulas, without the model (no LLM, seconds).

Run: python benchmarks/reader_reach.py [--compare REV]

For each batch of idea notes in benchmarks/generality/batches/N/ (written after the formula reader, each
measured as soon as it was written: see docs/experiments.md), the share whose hook the program writes
whole (guards/formula_code.py) for the kinds and task the note itself names, with the static checks
passing. With --compare, the same count for a git revision, checked out in a temporary worktree and run in
a subprocess, as the baseline of the same run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import REPO, row

BATCHES = REPO / "benchmarks" / "generality" / "batches"
_COUNT = """
import json, sys
from pathlib import Path
from agentnotes.notes.types import Chunk, Hit
from agentnotes.experiments.guards.kinds import kinds_in_notes
from agentnotes.experiments.guards.skeleton import skeleton_for, fill
from agentnotes.experiments.guards.idea_sections import formulas_in
from agentnotes.experiments.guards.formula_code import program_reply, written_by_program
from agentnotes.experiments.guards.static_check import blocking, check_idea_code
from agentnotes.experiments.guards.task import task_in_notes
from agentnotes.experiments.guards.notation import plain_letters
written = {}
for path in sorted(Path(sys.argv[1]).glob("*/*.md")):
    text = plain_letters(path.read_text(encoding="utf-8"))  # as run-experiment reads its passages
    task = task_in_notes(text) or "regression"
    kinds = kinds_in_notes(text)
    skeleton = skeleton_for(kinds, text, task)
    ok = skeleton is not None
    code = skeleton.code if ok else ""
    for part in (skeleton.parts or (skeleton,)) if ok else ():
        try:
            reply = program_reply(part, formulas_in([Hit(Chunk(str(path), 1, 99, text, (path.stem,)), 1.0)]), text, task)
        except TypeError:  # a revision whose program_reply takes no task
            reply = program_reply(part, formulas_in([Hit(Chunk(str(path), 1, 99, text, (path.stem,)), 1.0)]), text)
        if not reply:
            ok = False
            break
        code = fill(part.__class__(**{**part.__dict__, "code": code}) if skeleton.parts else part, reply)
    ok = ok and written_by_program(skeleton, code) and not blocking(check_idea_code(code, kinds, []))
    written[f"{path.parent.name}/{path.stem}"] = ok
print(json.dumps(written))
"""


def count(tree: Path) -> dict[str, bool]:
    """Note -> whether the program at `tree` writes it whole (run in a subprocess importing that tree)."""
    done = subprocess.run([sys.executable, "-c", _COUNT, str(BATCHES)], capture_output=True, text=True, check=True,
                          cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", default="", help="a git revision to count as the baseline, e.g. 0ea8df7")
    args = parser.parse_args()
    now = count(REPO)
    before: dict[str, bool] = {}
    if args.compare:
        with tempfile.TemporaryDirectory() as tmp:
            worktree = Path(tmp) / "tree"
            subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.compare], cwd=REPO, check=True,
                           capture_output=True)
            try:
                before = count(worktree)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=REPO, capture_output=True)
    print(row("batch", "notes", "written", args.compare or "", widths=(10, 8, 10, 10)))
    for batch in sorted({name.split("/")[0] for name in now}, key=int):
        names = [n for n in now if n.startswith(batch + "/")]
        baseline = sum(before.get(n, False) for n in names) if before else ""
        print(row(batch, len(names), sum(now[n] for n in names), baseline, widths=(10, 8, 10, 10)))
    missed = [n for n, ok in now.items() if not ok]
    print(f"all: {sum(now.values())}/{len(now)}" + (f" ({sum(before.values())}/{len(before)} at {args.compare})" if before else ""))
    print("not written whole: " + (", ".join(missed) or "none"))


if __name__ == "__main__":
    main()
