"""End to end with the real embedded LLM on CPU: ask with citations, and run-experiment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MIRROR_SECTION = (3, 12)  # lines of the mirror-layer section in data/ideas-layers.txt

pytestmark = pytest.mark.slow


def agentnotes(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agentnotes", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture()
def example_notes() -> None:
    result = agentnotes("ingest", str(REPO / "data"))
    assert result.returncode == 0, result.stderr


def test_ask_cites_the_right_lines(example_notes) -> None:
    result = agentnotes("ask", "What problem does the mirror layer solve?", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["in_notes"] and answer["answer"]
    assert answer["tokens"]["prompt"] > 0 and answer["timings"]["first_token_s"] > 0
    cited = [(Path(c["source"]).name, c["start_line"], c["end_line"]) for c in answer["citations"]]
    assert any(name == "ideas-layers.txt" and start <= MIRROR_SECTION[1] and end >= MIRROR_SECTION[0]
               for name, start, end in cited), cited


def test_ask_says_plainly_when_the_notes_do_not_answer(example_notes) -> None:
    result = agentnotes("ask", "What is the boiling point of mercury in Kelvin?", "--json")
    answer = json.loads(result.stdout)
    assert not answer["in_notes"] and answer["citations"] == []


def test_make_qa_writes_questions_whose_string_is_in_the_named_note(example_notes, tmp_path) -> None:
    out = tmp_path / "qa.jsonl"
    result = agentnotes("eval", "make-qa", "--n", "3", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(summary["pairs"]) >= 1 and len(lines) <= 3 and len(lines) + len(summary["dropped"]) <= 6
    for line in lines:
        note = (REPO / "data" / line["source"]).read_text(encoding="utf-8").splitlines()
        assert line["contains"] in "\n".join(note[line["start_line"] - 1 : line["end_line"]]) and line["question"]
    assert agentnotes("eval", "make-qa", "--out", str(out)).returncode != 0  # never overwrites without --force


def test_run_experiment_plans_writes_runs_and_reports(example_notes) -> None:
    result = agentnotes("run-experiment", "mirror vs baseline", "--seeds", "3", "--max-seeds", "3", "--steps", "200",
                        "--attempts", "4", "--json", timeout=1800)
    summary = json.loads(result.stdout) if result.returncode == 0 else None
    from agentnotes.experiments.results.rundir import list_runs
    from agentnotes.settings import load_settings

    records = list_runs(load_settings().runs_dir)
    assert len(records) == 1, result.stderr
    run_dir = load_settings().runs_dir / records[0].id
    phases = [p.name for p in records[0].phases]
    assert phases[:3] == ["find-idea", "plan", "codegen-1"]
    plan = json.loads((run_dir / "plan.json").read_text())
    assert plan["task"] in ("regression", "classification", "digits", "digits_image", "sequence")
    ran = [json.loads(p.read_text()) for p in sorted(run_dir.glob("iterations/*/result.json"))]
    assert all(r["isolation"] in ("bwrap", "landlock+seccomp") for r in ran)
    if summary is not None:  # a usable result: both arms over 3 seeds, judged and reported
        assert summary["status"] == "done"
        metrics = json.loads((run_dir / "metrics.json").read_text())
        assert all(len(metrics["arms"][arm]["runs"]) == 3 for arm in ("baseline", "idea"))
        assert (run_dir / "report.md").exists() and (run_dir / "curves.png").exists()
        conditions = json.loads((run_dir / "conditions.json").read_text())
        assert all(c["state"] in ("done", "neither_learned") for c in conditions)
        assert (load_settings().results_dir / f"{records[0].id}.md").exists()  # written back into the notes
        question = "What was the verdict of the experiment run on the mirror layer?"
        found = json.loads(agentnotes("search", question, "-k", "3", "--no-rewrite", "--json").stdout)
        assert records[0].id in json.dumps(found[0]), found  # the run's note is the best match
        answer = json.loads(agentnotes("ask", question, "--json").stdout)
        # the embedded model may still decline (its greedy reply shifts with the prefix cache); when it answers,
        # the answer must come from the run's note
        assert not answer["in_notes"] or any(records[0].id in c["source"] for c in answer["citations"]), answer
    else:  # no usable code within the budget: a clear error object naming the run, and a resumable record
        error = json.loads(result.stdout)["error"]
        assert "No usable experiment" in error["message"] and Path(error["run_dir"]).name == records[0].id
        assert records[0].status == "failed"


def test_search_and_eval_retrieval_print_their_tables(example_notes, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no folded cells
    result = agentnotes("search", "mirror layer weights near zero", "-k", "2", "--no-rewrite")
    assert result.returncode == 0, result.stderr
    assert "ideas-layers.txt" in result.stdout
    questions = tmp_path / "qa.jsonl"
    questions.write_text('{"question": "mirror layer weights near zero", "source": "ideas-layers.txt", "contains": "w1 = w2 = w"}\n'
                         '{"question": "Which hotel did I book?", "source": null, "contains": null}\n', encoding="utf-8")
    result = agentnotes("eval", "retrieval", str(questions), "--no-rewrite")
    assert result.returncode == 0, result.stderr
    assert "1 question(s) the notes do not answer" in result.stdout
    report = json.loads(agentnotes("eval", "retrieval", str(questions), "--no-rewrite", "--json").stdout)
    assert (report["questions"], report["skipped_unanswerable"]) == (1, 1)
