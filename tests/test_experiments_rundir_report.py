"""Run directories (create, phases, resume, list, open) and the report built from a real harness run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from agentnotes.errors import InputError
from agentnotes.experiments import (
    ExperimentConfig,
    assemble_script,
    check_idea_code,
    create_run,
    list_runs,
    open_run,
    write_report,
)
from agentnotes.experiments.results import rundir as rd
from agentnotes.experiments.results.plots import make_plots
from agentnotes.experiments.results.report import audit_report
from agentnotes.notes.types import Chunk, Hit

IDEAS = Path(__file__).parent / "ideas"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Reply:
    prompt_tokens: int
    completion_tokens: int


def test_create_run_ids(tmp_path: Path) -> None:
    first = create_run(tmp_path, "Mirror layer vs baseline!", now=WHEN)
    second = create_run(tmp_path, "Mirror layer vs baseline!", now=WHEN)
    chinese = create_run(tmp_path, "镜像层", now=WHEN)
    assert first.id == "20260102-030405-mirror-layer-vs-baseline"
    assert second.id == first.id + "-2"
    assert chinese.id == "20260102-030405-run"
    record = first.record()
    assert (record.id, record.request, record.status) == (first.id, "Mirror layer vs baseline!", "running")


def test_phases_record_outcomes_and_support_resume(tmp_path: Path) -> None:
    run = create_run(tmp_path, "gonnor")
    with run.phase("plan"):
        pass
    with pytest.raises(ValueError), run.phase("codegen-1"):
        raise ValueError("bad code")
    record = run.record()
    assert record.status == "failed" and record.error == "codegen-1: ValueError: bad code"
    assert [(p.name, p.status) for p in record.phases] == [("plan", "done"), ("codegen-1", "failed")]
    assert record.phase("plan").wall_s is not None and run.phase_done("plan") and not run.phase_done("codegen-1")
    with pytest.raises(KeyboardInterrupt), run.phase("codegen-1"):
        raise KeyboardInterrupt
    assert run.record().status == "interrupted"
    # resume: the phase runs again, keeps its place, the run is running again
    with run.phase("codegen-1"):
        assert run.record().status == "running"
    with run.phase("run-1"):
        pass
    record = run.update(status="done")
    assert [(p.name, p.status) for p in record.phases] == [("plan", "done"), ("codegen-1", "done"), ("run-1", "done")]
    assert record.status == "done" and record.error == ""


def test_a_run_whose_process_died_reads_as_interrupted(tmp_path: Path) -> None:
    run = create_run(tmp_path, "x")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    run.update(pid=int(dead.stdout))
    assert run.record().status == "interrupted"
    with run.phase("resume"):  # a resumed process takes the run over
        assert run.record().status == "running" and run.record().pid == os.getpid()


def test_open_and_list_runs(tmp_path: Path) -> None:
    a = create_run(tmp_path, "alpha", now=WHEN)
    b = create_run(tmp_path, "beta", now=WHEN.replace(second=9))
    (tmp_path / "junk").mkdir()
    broken = tmp_path / "20990101-000000-broken"
    broken.mkdir()
    (broken / rd.RECORD).write_text("{oops")
    assert open_run(tmp_path, a.id) == a
    assert open_run(tmp_path, "20260102-030409") == b
    with pytest.raises(InputError, match="ambiguous"):
        open_run(tmp_path, "20260102")
    with pytest.raises(InputError, match="experiments list"):
        open_run(tmp_path, "nope")
    records = list_runs(tmp_path)
    assert [r.id for r in records] == [broken.name, b.id, a.id]
    assert records[0].status == "broken"
    assert list_runs(tmp_path / "missing") == []


def test_usage_idea_and_plan_files(tmp_path: Path) -> None:
    run = create_run(tmp_path, "mirror")
    run.add_usage([Reply(100, 20), Reply(50, 5)])
    record = run.add_usage([Reply(1, 1)])
    assert (record.prompt_tokens, record.completion_tokens) == (151, 26)
    chunk = Chunk(source="/notes/000.txt", start_line=22, end_line=35, text="mirror text", heading_path=("mirror",))
    run.write_idea("mirror vs baseline", [Hit(chunk=chunk, score=0.9)])
    idea = run.read_json(rd.IDEA)
    assert idea["passages"][0] == {"source": "/notes/000.txt", "start_line": 22, "end_line": 35,
                                   "heading_path": ["mirror"], "score": 0.9, "text": "mirror text"}
    run.write_plan({"idea_name": "Mirror", "task": "regression", "risks": ["slow", "small"]})
    assert run.read_text(rd.PLAN_MD) == "# Plan: Mirror\n\n- **idea_name**: Mirror\n- **task**: regression\n- **risks**:\n  - slow\n  - small\n"
    assert run.read_json(rd.PLAN_JSON)["risks"] == ["slow", "small"]
    assert run.read_json("missing.json") is None


def _run_iteration(run: rd.Run, n: int, idea_code: str, config: ExperimentConfig) -> subprocess.CompletedProcess:
    """What run-experiment does for one iteration, with plain python standing in for the sandbox."""
    folder = run.iteration_dir(n)
    run.write_text(f"{rd.ITERATIONS}/{n}/{rd.IDEA_CODE}", idea_code)
    run.write_json(f"{rd.ITERATIONS}/{n}/{rd.STATIC_CHECK}", [p.as_dict() for p in check_idea_code(idea_code)])
    run.write_text(f"{rd.ITERATIONS}/{n}/{rd.EXPERIMENT}", assemble_script(idea_code, config))
    with run.phase(f"run-{n}"):
        proc = subprocess.run([sys.executable, rd.EXPERIMENT], cwd=folder, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
    (folder / "stdout.txt").write_text(proc.stdout)
    (folder / "stderr.txt").write_text(proc.stderr)
    run.write_json(f"{rd.ITERATIONS}/{n}/{rd.RESULT}", {
        "status": "ok" if proc.returncode == 0 else "error", "returncode": proc.returncode, "duration_s": 2.5,
        "isolation": "none (test)", "device": "cpu", "reason": "", "stderr_path": str(folder / "stderr.txt")})
    return proc


def test_report_from_a_real_run(tmp_path: Path) -> None:
    run = create_run(tmp_path, "gonnor vs sgd")
    run.update(model="qwen2.5-coder-1.5b", provider="local")
    run.add_usage([Reply(1200, 300)])
    chunk = Chunk(source="/notes/000.txt", start_line=15, end_line=18, text="normalize the gradient\nthen step")
    run.write_idea("gonnor vs sgd", [Hit(chunk=chunk, score=1.0)])
    run.write_plan({"idea_name": "Gonnor", "task": "classification", "metric": "accuracy"})
    config = ExperimentConfig(task="classification", seeds=(0, 1, 2), steps=30, eval_every=10, print_every=30)
    broken = "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, 3)\n"
    assert _run_iteration(run, 1, broken, config).returncode != 0
    run.write_json(f"{rd.ITERATIONS}/1/{rd.CODE_REVIEW}", {"matches_note": False, "problems": ["changes the output width"]})
    assert _run_iteration(run, 2, (IDEAS / "gonnor.py").read_text(), config).returncode == 0
    run.write_json(f"{rd.ITERATIONS}/2/{rd.CODE_REVIEW}", {"matches_note": True, "problems": []})
    run.write_json(f"{rd.ITERATIONS}/2/{rd.RESULTS_REVIEW}", {"valid": True, "concerns": ["the spread is 12.75 points"],
                                                            "request": "none", "summary": "fair"})
    run.write_json(f"{rd.ITERATIONS}/3/{rd.CODE_REVIEW}", {"unchecked": "no valid critic reply"})
    run.promote(2)
    assert run.read_json(rd.ENVIRONMENT)["torch"]
    assert (run.path / rd.EXPERIMENT).read_text() == (run.path / "iterations/2/experiment.py").read_text()

    path = write_report(run)
    report = path.read_text()
    stats = run.read_json(rd.STATS)
    assert stats["conclusion"] in ("idea_better", "baseline_better", "no_evidence")
    assert run.record().conclusion == stats["conclusion"] and run.record().final_iteration == 2
    assert f"**{stats['summary']}**" in report
    for needle in (
        "# Experiment: Gonnor", "## Conclusion", "picked its learning rate from", "- baseline: ",
        "`/notes/000.txt:15-18`", "> normalize the gradient", "- **task**: classification",
        "| baseline | ", "| idea | ", "test_accuracy (higher is better)", "paired t-test p =",
        "![curves](curves.png)", "![final](final.png)", "## Idea code (iteration 2)", "class Gonnor(torch.optim.Optimizer)",
        "### Iteration 1", "- Code review against the note: **fail**", "  - changes the output width",
        "exit code 1", "the model returned shape (64, 3) but the task needs (64, 4)",
        "### Iteration 2", "- Results review: **pass** — fair",
        "### Iteration 3", "- Code review against the note: **unchecked** — no valid critic reply", "| torch | 2.", "| LLM | qwen2.5-coder-1.5b (local) |",
        "Tokens: 1200 prompt, 300 completion.", "| run-2 | done |", "python experiment.py",
    ):
        assert needle in report, needle
    for png in ("curves.png", "final.png"):
        assert (run.path / png).read_bytes()[:8] == PNG_MAGIC
    # The claim ledger: the critic's invented number is listed; every number the program wrote is traced.
    assert [u.number for u in audit_report(run)] == ["12.75"]
    assert "## Claim ledger" in report and "12.75 (in:" in report
    planted = report.replace(f"p = {stats['p_value']:.3g}", "p = 0.98765", 1)
    assert planted != report
    path.write_text(planted)
    assert [u.number for u in audit_report(run)] == ["0.98765", "12.75"]


def test_report_without_results(tmp_path: Path) -> None:
    run = create_run(tmp_path, "nothing ran")
    with pytest.raises(RuntimeError), run.phase("codegen-1"):
        raise RuntimeError("model unavailable")
    report = write_report(run).read_text()
    assert "No results" in report and "codegen-1: RuntimeError: model unavailable" in report
    assert not (run.path / rd.STATS).exists()


def test_plots_survive_diverged_runs(tmp_path: Path) -> None:
    run = {"seed": 0, "final_metric": 0.5, "steps": [10, 20, 30], "train_loss": [1.0, 0.8, 0.6], "val_metric": [1.0, 0.9, 0.7]}
    dead = {"seed": 1, "final_metric": None, "steps": [10], "train_loss": [2.0], "val_metric": [None]}
    data = {"metric": "test_mse", "higher_is_better": False,
            "arms": {"baseline": {"runs": [run, {**run, "seed": 1}]}, "idea": {"runs": [{**run, "final_metric": 0.4}, dead]}}}
    paths = make_plots(data, tmp_path)
    assert [p.name for p in paths] == ["curves.png", "final.png"]
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in paths)
    assert make_plots({"arms": {}}, tmp_path / "none") == []
    json.dumps(data)  # the fixture itself is valid metrics JSON


def test_a_result_notes_verdict_names_each_condition_in_one_sentence() -> None:
    from agentnotes.experiments.results.result_note import _per_condition

    results = [({"input_scale": 0.01}, "neither arm learned (no better than a constant prediction): nothing can be said here"),
               ({"input_scale": 1.0}, "No evidence of a difference between the idea and the baseline: test_mse 0.47 ± 0.03")]
    assert _per_condition(results) == ("At input scale 0.01 neither arm learned; "
                                       "at input scale 1 no evidence of a difference between the idea and the baseline")


def test_a_verdict_on_an_idea_arm_that_learned_nothing_says_to_check_its_code(tmp_path: Path) -> None:
    def runs(values: list[float]) -> list[dict]:
        return [{"seed": s, "final_metric": v, "diverged": False, "steps": [10, 20], "train_loss": [2.3, 2.2],
                 "val_metric": [v, v], "n_params": 10} for s, v in enumerate(values)]

    def metrics(idea: list[float]) -> dict:
        return {"status": "ok", "task": "digits", "metric": "test_accuracy", "higher_is_better": True,
                "config": {"steps": 20, "seeds": [0, 1, 2], "lr": 0.05, "lr_grid": []},
                "trivial_metric": {str(s): 0.09 for s in range(3)},
                "arms": {"baseline": {"lr": 0.05, "runs": runs([0.95, 0.96, 0.94])}, "idea": {"lr": 0.05, "runs": runs(idea)}}}

    for idea, warned in (([0.09, 0.1, 0.09], True), ([0.90, 0.91, 0.92], False)):
        run = create_run(tmp_path / str(warned), "tropical layer vs MLP")
        run.write_json(rd.METRICS, metrics(idea))
        report = write_report(run).read_text()
        assert ("Check the idea's code before reading this verdict" in report) is warned
        assert ("the idea arm: test_accuracy 0.09333 is no better than" in report) is warned
