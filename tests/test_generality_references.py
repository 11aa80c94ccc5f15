"""The generality suite's hand-written reference code (benchmarks/generality/reference/) against the lab.

(a) every reference, assembled into a real experiment.py, passes its idea's behaviour checks in the
sandbox, and those checks fail without the idea's code and on a neighbouring idea's code;
(b) the guards leave every reference alone: autofix changes nothing, the static checks find nothing
blocking, with the kinds and formulas that guards/idea_sections.py reads from the idea's own note.
Parameter ids start with the idea's split ("tuned-" or "heldout-"), so `-k heldout` reads the
held-out third on its own.
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from agentnotes.experiments.guards.autofix import apply_fixes
from agentnotes.experiments.guards.parameter_starts import start_parameters_as_noted
from agentnotes.experiments.guards.formula_code import program_reply
from agentnotes.experiments.guards.idea_sections import formula_lines, formulas_in, kinds_in_sections, note_pairs
from agentnotes.experiments.guards.mechanisms import missing_mechanism
from agentnotes.experiments.guards.skeleton import fill, skeleton_for
from agentnotes.experiments.guards.note_symbols import (
    missing_bias_case,
    missing_note_symbols,
    missing_period,
    reduced_against_zero,
    reversed_selection,
    stock_recurrent_cell,
    unkept_gradient,
    unkept_state,
    unused_note_values,
)
from agentnotes.experiments.guards.static_check import blocking, check_idea_code
from agentnotes.experiments.lab.assemble import assemble_script
from agentnotes.experiments.lab.config import ExperimentConfig
from agentnotes.notes.chunker import chunk_note
from agentnotes.notes.reader import read_note
from agentnotes.notes.types import Chunk, Hit
from agentnotes.runner.sandbox import run_sandboxed

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SUITE = BENCHMARKS / "generality"
CHECKERS = (SUITE / "checks.py", BENCHMARKS / "idea_checks.py")
KIND_ORDER = ("update_rule", "layer", "activation", "weight_op", "init", "loss", "data", "schedule", "regulariser",
              "architecture")
SPLIT_SEED = 15
CONFIG_CHECK = re.compile(r"^(task|baseline_optimizer):")

IDEAS: list[dict[str, Any]] = tomllib.loads((SUITE / "ideas.toml").read_text(encoding="utf-8"))["idea"]
TESTABLE = [idea for idea in IDEAS if idea["testable"]]


def _params(ideas: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(idea, id=f"{idea['split']}-{idea['id']}") for idea in ideas]


def _reference(idea: dict[str, Any]) -> str:
    return (SUITE / "reference" / f"{idea['id']}.py").read_text(encoding="utf-8")


def _own_checks(idea: dict[str, Any]) -> list[str]:
    """The idea's behaviour checks without the *_kept and config checks (which other code may pass too)."""
    return [c for c in idea["checks"].split(",") if not c.endswith("_kept") and c != "plain_sgd" and not CONFIG_CHECK.match(c)]


def _config(idea: dict[str, Any]) -> ExperimentConfig:
    """The experiment config the request asks for: the idea's task and, where named, the baseline's optimizer."""
    optimizer = re.search(r"baseline_optimizer:(\w+)", idea["checks"])
    return ExperimentConfig(task=idea["task"], seeds=(0, 1, 2), steps=20,
                            **({"baseline_optimizer": optimizer[1]} if optimizer else {}))


def _run_checks(folder: Path, code: str, config: ExperimentConfig, checks: list[str]) -> dict[str, str]:
    """Assemble experiment.py from `code` and run the behaviour checks on it in the sandbox."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "experiment.py").write_text(assemble_script(code, config), encoding="utf-8")
    for checker in CHECKERS:
        shutil.copy(checker, folder / checker.name)
    result = run_sandboxed([sys.executable, "checks.py", ",".join(checks), "experiment.py"], folder, use_gpu=False)
    lines = result.stdout_path.read_text().strip().splitlines()
    assert lines, f"checker {result.status}: {result.stderr_path.read_text()[-800:]}"
    return json.loads(lines[-1])


def _hits(idea: dict[str, Any]) -> list[Hit]:
    return [Hit(chunk, 1.0) for chunk in chunk_note(read_note(SUITE / idea["note"]))]


def _split_by_rule() -> dict[str, str]:
    """The split ideas.toml describes: per kind (contract order) a seeded shuffle, every third held out;
    then the untestable ideas the same way."""
    rng = random.Random(SPLIT_SEED)
    ordered = []
    for kind in KIND_ORDER:
        ids = sorted(idea["id"] for idea in TESTABLE if idea["kinds"][0] == kind)
        rng.shuffle(ids)
        ordered += ids
    untestable = sorted(idea["id"] for idea in IDEAS if not idea["testable"])
    rng.shuffle(untestable)
    return {i: "heldout" if n % 3 == 2 else "tuned" for group in (ordered, untestable) for n, i in enumerate(group)}


def _load_checks_module() -> Any:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("generality_checks", CHECKERS[0])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def test_the_suite_is_complete_and_split_by_its_rule() -> None:
    assert {idea["split"] for idea in IDEAS} == {"tuned", "heldout"}
    assert {idea["id"]: idea["split"] for idea in IDEAS} == _split_by_rule()
    assert len(TESTABLE) >= 24 and len(IDEAS) - len(TESTABLE) >= 3
    assert {idea["kinds"][0] for idea in TESTABLE} == set(KIND_ORDER)
    known = set(_load_checks_module().CHECKS)
    for idea in IDEAS:
        assert (SUITE / idea["note"]).is_file(), idea["id"]
        if idea["testable"]:
            assert (SUITE / "reference" / f"{idea['id']}.py").is_file(), idea["id"]
            assert {c.partition(":")[0] for c in idea["checks"].split(",")} <= known, idea["id"]
        else:
            assert idea["refusal"].startswith("Not testable") and idea["refusal_terms"], idea["id"]


@pytest.mark.parametrize("idea", _params(TESTABLE))
def test_reference_passes_its_behaviour_checks(tmp_path: Path, idea: dict[str, Any]) -> None:
    results = _run_checks(tmp_path, _reference(idea), _config(idea), idea["checks"].split(","))
    assert results == {check: "ok" for check in idea["checks"].split(",")}


def test_behaviour_checks_fail_without_the_idea(tmp_path: Path) -> None:
    """No idea code: every idea's own checks fail (a check that passes on the baseline tests nothing)."""
    checks = sorted({c for idea in TESTABLE for c in _own_checks(idea)})
    results = _run_checks(tmp_path, "", ExperimentConfig(task="classification", seeds=(0, 1, 2), steps=20), checks)
    assert [c for c, outcome in results.items() if outcome == "ok"] == []


def _neighbour(idea: dict[str, Any]) -> dict[str, Any]:
    """The next testable idea of the same kind (cyclically): plausible code for the wrong idea."""
    same = [other for other in TESTABLE if other["kinds"][0] == idea["kinds"][0]]
    return same[(same.index(idea) + 1) % len(same)]


@pytest.mark.parametrize("idea", _params(TESTABLE))
def test_behaviour_checks_fail_on_a_neighbouring_ideas_code(tmp_path: Path, idea: dict[str, Any]) -> None:
    results = _run_checks(tmp_path, _reference(_neighbour(idea)), _config(idea), _own_checks(idea))
    assert [c for c, outcome in results.items() if outcome == "ok"] == []


@pytest.mark.parametrize("idea", _params(TESTABLE))
def test_guards_leave_the_reference_alone(idea: dict[str, Any]) -> None:
    code, hits = _reference(idea), _hits(idea)
    kinds, pairs = kinds_in_sections(idea["request"], hits), note_pairs(idea["request"], hits)
    fixed, fixes = apply_fixes(code, kinds, pairs)
    assert [str(f) for f in fixes] == [] and fixed == code
    assert [str(p) for p in blocking(check_idea_code(code, kinds, pairs))] == []
    assert missing_period(code, "\n".join(h.chunk.text for h in hits), kinds) == []
    assert missing_bias_case(code, "\n".join(h.chunk.text for h in hits), kinds) == []
    assert missing_note_symbols(code, formula_lines(idea["request"], hits)) == []
    assert unused_note_values(code, formula_lines(idea["request"], hits)) == []
    assert stock_recurrent_cell(code, formula_lines(idea["request"], hits), kinds) == []
    assert unkept_state(code, formula_lines(idea["request"], hits), kinds) == []
    assert unkept_gradient(code, formula_lines(idea["request"], hits), kinds) == []
    assert reversed_selection(code, "\n".join(h.chunk.text for h in hits)) == []
    assert reduced_against_zero(code, formula_lines(idea["request"], hits)) == []
    assert missing_mechanism(code, "\n".join(h.chunk.text for h in hits), kinds) == []
    assert start_parameters_as_noted(code, "\n".join(h.chunk.text for h in hits)) == (code, [])


def _program_code(idea: dict[str, Any]) -> str | None:
    """The idea code as the program writes it from the idea's note (guards/formula_code.py), which is the idea's
    section as run-experiment finds it, when it writes every function of the skeleton; None when the model
    would be asked for any."""
    text = (SUITE / idea["note"]).read_text(encoding="utf-8")
    hits = [Hit(Chunk(idea["note"], 1, text.count("\n") + 1, text), 1.0)]
    skeleton = skeleton_for(idea["kinds"], text, idea["task"])
    filled = []
    for part in (skeleton.parts or (skeleton,)) if skeleton else ():
        reply = program_reply(part, formulas_in(hits), text, idea["task"])
        if not reply:
            return None
        filled.append(fill(part, reply).strip())
    return "\n\n\n".join(filled) + "\n" if filled else None


WRITTEN = [idea for idea in TESTABLE if idea["split"] == "tuned" and _program_code(idea)]


@pytest.mark.parametrize("idea", _params(WRITTEN))
def test_code_the_program_writes_from_a_tuned_ideas_formulas_passes_its_behaviour_checks(tmp_path: Path,
                                                                                         idea: dict[str, Any]) -> None:
    results = _run_checks(tmp_path, _program_code(idea), _config(idea), idea["checks"].split(","))
    assert results == {check: "ok" for check in idea["checks"].split(",")}


def test_the_program_writes_several_tuned_ideas_whole() -> None:
    assert len(WRITTEN) >= 5
