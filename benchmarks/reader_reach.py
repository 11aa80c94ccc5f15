"""How many idea notes the program writes whole from their formulas, without the model (no LLM, seconds), and
how many it reads the right kinds of.

Run: python benchmarks/reader_reach.py [--compare REV] [--list]

For each batch of idea notes in benchmarks/generality/batches/N/ (written after the formula reader, each
measured as soon as it was written: see docs/experiments.md), the share whose hook the program writes
whole (guards/formula_code.py) for the kinds and task the note itself names, with the static checks
passing; and the share whose kinds (guards/kinds.py) are those of benchmarks/generality/kind_labels.tsv, each
note's kinds as labelled by readers who saw the note and the kinds' one-line definitions, never the code (a
penalty said of the outputs is a loss to some and a regulariser to others: the two count as one family). With
--compare, the same counts for a git revision, checked out in a temporary worktree and run in a subprocess, as
the baseline of the same run.
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
KIND_LABELS = REPO / "benchmarks" / "generality" / "kind_labels.tsv"
_ONE_FAMILY = {"regulariser": "loss"}
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
    written[f"{path.parent.name}/{path.stem}"] = {"written": bool(ok), "kinds": kinds}
print(json.dumps(written))
"""


def count(tree: Path) -> dict[str, dict]:
    """Note -> whether the program at `tree` writes it whole, and the kinds it reads (run in a subprocess importing
    that tree)."""
    done = subprocess.run([sys.executable, "-c", _COUNT, str(BATCHES)], capture_output=True, text=True, check=True,
                          cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def labelled_kinds() -> dict[str, set[str]]:
    """Note ("3/adabelief") -> its labelled kinds' families; an untestable idea has none."""
    labels = {}
    for line in KIND_LABELS.read_text(encoding="utf-8").splitlines():
        name, kinds = line.split("\t")
        labels[name.removesuffix(".md")] = {_ONE_FAMILY.get(k, k) for k in kinds.split(",") if k != "untestable"}
    return labels


def kinds_right(reading: dict, label: set[str] | None) -> bool:
    """Whether the kinds read are the labelled ones (a note with no label counts as wrong)."""
    return label is not None and {_ONE_FAMILY.get(k, k) for k in reading["kinds"]} == label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", default="", help="a git revision to count as the baseline, e.g. 0ea8df7")
    parser.add_argument("--list", action="store_true", help="also list the notes not written whole and those misread")
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
    labels = labelled_kinds()
    written = {name: [reading[name]["written"] for reading in (now, before) if name in reading] for name in now}
    right = {name: [kinds_right(reading[name], labels.get(name)) for reading in (now, before) if name in reading]
             for name in now}
    widths = (6, 6, 8, 17, 12, 16)
    print(row("batch", "notes", "written", f"written {args.compare}" if before else "", "kinds right",
              f"kinds {args.compare}" if before else "", widths=widths))
    for batch in sorted({name.split("/")[0] for name in now}, key=int):
        names = [n for n in now if n.startswith(batch + "/")]
        then = [sum(rows[1] for n in names if len(rows := table[n]) > 1) if before else "" for table in (written, right)]
        print(row(batch, len(names), sum(written[n][0] for n in names), then[0], sum(right[n][0] for n in names), then[1],
                  widths=widths))
    for label, table in (("written whole", written), ("kinds right", right)):
        print(f"{label}: {sum(v[0] for v in table.values())}/{len(table)}"
              + (f" ({sum(v[1] for v in table.values() if len(v) > 1)} at {args.compare})" if before else ""))
    if args.list:
        print("not written whole: " + (", ".join(n for n, v in written.items() if not v[0]) or "none"))
        print("kinds misread: " + (", ".join(f"{n} {now[n]['kinds']}" for n, v in right.items() if not v[0]) or "none"))


if __name__ == "__main__":
    main()
