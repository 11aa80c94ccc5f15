"""Code the program writes from a note's formulas never fails the program's own checks (every batch note of
benchmarks/generality/batches and every idea section of the example notes)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from agentnotes.experiments.guards.formula_code import periodic_reply, program_reply
from agentnotes.experiments.guards.idea_sections import formulas_in
from agentnotes.experiments.guards.kinds import PERIODIC, kinds_in_notes
from agentnotes.experiments.guards.note_symbols import unkept_gradient, unkept_state
from agentnotes.experiments.guards.skeleton import fill, skeleton_for
from agentnotes.experiments.guards.static_check import blocking, check_idea_code
from agentnotes.experiments.guards.task import task_in_notes
from agentnotes.notes.types import Chunk, Hit

REPO = Path(__file__).resolve().parent.parent


def _notes() -> list[tuple[str, str]]:
    notes = [(f"{p.parent.name}/{p.stem}", p.read_text(encoding="utf-8"))
             for p in sorted((REPO / "benchmarks" / "generality" / "batches").glob("*/*.md"))]
    sections = re.split(r"【【【(.*?)】】】", (REPO / "data" / "ideas-layers.txt").read_text(encoding="utf-8"))
    return notes + [(sections[i], f"# {sections[i]}\n{sections[i + 1]}") for i in range(1, len(sections), 2)]


@pytest.mark.parametrize(("name", "text"), _notes(), ids=[name for name, _ in _notes()])
def test_what_the_program_writes_passes_its_own_checks(name: str, text: str) -> None:
    task, kinds = task_in_notes(text) or "regression", kinds_in_notes(text)
    skeleton = skeleton_for(kinds, text, task)
    if skeleton is None:
        return
    formulas = formulas_in([Hit(Chunk(name, 1, 99, text, (name,)), 1.0)])
    code = skeleton.code
    parts = skeleton.parts or (skeleton,)
    replies = [program_reply(part, formulas, text, task) for part in parts]
    periodic = [line for line in formulas.splitlines() if re.search(PERIODIC, line, re.IGNORECASE)]
    for part, reply in zip(parts, replies):
        if reply:
            code = fill(part.__class__(**{**part.__dict__, "code": code}) if skeleton.parts else part, reply)
            split = part.split_at_steps() if periodic else None
            if split and (written := periodic_reply(code, split[1].required, periodic)):  # as the code writer does
                code = fill(replace(split[1], code=code), written)
            problems = [p for p in blocking(check_idea_code(code, kinds, []) + unkept_state(code, formulas, kinds)
                                            + unkept_gradient(code, formulas, kinds))
                        if p.kind != "stub" or all(replies)]  # a part the program leaves to the model is a stub still
            assert not problems, f"{name}: {problems}"
