"""run-experiment orchestration with a scripted chat model, the real index, harness and sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import CountingChatModel, RecordingChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agentnotes.errors import ExperimentError
from agentnotes.experiments import load_metrics, validate_metrics
from agentnotes.experiments.guards.claim import input_condition
from agentnotes.experiments.results import rundir as rd
from agentnotes.experiments.results.stats import neither_learned
from agentnotes.index.ingest import ingest
from agentnotes.pipeline.experiment import ExperimentOptions, _find_idea, _plan_from_note, run_experiment
from agentnotes.retrieval.service import retrieve
from agentnotes.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
PLAN_FROM_NOTE = _plan_from_note  # the program's plan, which the fixture below replaces
PLAN = {"idea_name": "mirror layer", "hypothesis": "faster convergence for inputs near zero",
        "idea_rule": "training: (w1*(x+h) + w2*(x-h))/2 + b with h = lr/2; w = (w1+w2)/2 every 50 steps", "parts": ["layer"], "baseline": "MLP + SGD", "task": "regression",
        "metric": "test_mse", "input_scale": 1.0, "risks": []}


@pytest.fixture(autouse=True)
def one_condition(monkeypatch):
    """These tests are about the code loop: the plan's one input scale, not the condition the example note names
    (its grounding: tests/test_idea_sections.py), keeps each run to one condition, and the steps they ask for are
    kept though the example note merges every 50 (the longer runs that needs: the test at the end of this file)."""
    monkeypatch.setattr("agentnotes.pipeline.experiment.input_condition", lambda text: None)
    monkeypatch.setattr("agentnotes.pipeline.experiment.PERIODS_PER_RUN", 0)
    # and the planner (a fake model's first reply) plans, where the example note would be planned by the program
    # (tests/test_idea_sections.py; the run without a planner call: the test at the end of this file)
    monkeypatch.setattr("agentnotes.pipeline.experiment._plan_from_note", lambda *args: None)


@pytest.fixture(autouse=True)
def model_writes_layers(monkeypatch):
    """These tests script the code writer's replies for the example note's layer, whose forward pass the program
    would write from its formulas (tests/test_note_program.py): here the model writes it."""
    monkeypatch.setattr("agentnotes.experiments.guards.formula_code.layer_forward_body", lambda *args: None)


class Recorder:
    def __init__(self) -> None:
        self.phases: list[str] = []
        self.lines: list[str] = []

    def phase(self, name: str, detail: str = "") -> None:
        self.phases.append(name)

    def info(self, message: str) -> None:
        self.lines.append(message)

    def output(self, line: str) -> None:
        self.lines.append(line)


def _settings(monkeypatch):
    monkeypatch.setenv("AGENTNOTES_QUERY_REWRITE", "0")
    settings = load_settings()
    ingest(settings, [REPO / "data"])
    return settings


def test_a_failed_run_feeds_its_traceback_back_and_the_fix_is_reported(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    broken = ("import torch\nimport torch.nn as nn\n\n\nclass Wrong(nn.Module):\n    def __init__(self, i, o):\n"
              "        super().__init__()\n        self.w1 = nn.Parameter(torch.zeros(o, i))\n        self.w2 = nn.Parameter(torch.zeros(o, i))\n\n"
              "    def forward(self, x):\n        h = LR / 2\n        w = (self.w1 + self.w2) / 2\n"
              "        return (torch.matmul(self.w1, x + h) + torch.matmul(self.w2, x - h)) / 2 + w.sum()\n\n\n"
              "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim, linear=Wrong)\n\n\n"
              "def after_step(model, step):\n    if step % 10 != 0:\n        return\n")
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    model = FakeListChatModel(responses=[
        json.dumps(PLAN),
        f"```python\n{broken}```",  # fails to build its arms, before the critic sees it
        f"```python\n{good}```", json.dumps({"matches_note": True, "problems": []}),
        json.dumps({"valid": True, "concerns": [], "request": "none", "summary": "fair comparison"}),
    ])
    recorder = Recorder()
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=60, max_seeds=3, max_attempts=3),
                         recorder, model)
    record = run.record()
    assert record.status == "done" and record.final_iteration == 2
    first = json.loads((run.path / rd.ITERATIONS / "1" / rd.RESULT).read_text())
    assert first["status"] == "failed" and first["isolation"] in ("bwrap", "landlock+seccomp")
    idea = json.loads((run.path / rd.IDEA).read_text())
    assert any(Path(p["source"]).name == "ideas-layers.txt" for p in idea["passages"])
    metrics = json.loads((run.path / rd.METRICS).read_text())
    assert len(metrics["arms"]["baseline"]["runs"]) == len(metrics["arms"]["idea"]["runs"]) == 3
    report = (run.path / rd.REPORT).read_text(encoding="utf-8")
    assert "mirror" in report.lower() and "ideas-layers.txt" in report and "status **done**" in report
    assert any("[idea seed=" in line for line in recorder.lines)
    # The result is written back into the notes: a search finds the run's result note.
    note = settings.results_dir / f"{run.id}.md"
    assert run.id in note.read_text(encoding="utf-8") and "Verdict:" in note.read_text(encoding="utf-8")
    assert "At input scale 1 (60 steps, 3 seeds per arm): " in note.read_text(encoding="utf-8")
    hits = retrieve(settings, "experiment result mirror layer verdict", 5)
    assert any(Path(h.chunk.source) == note for h in hits)
    # A later run's idea passages come from the notes, never from an earlier run's result note, however many
    # result notes would outrank the idea's own note.
    copies = [settings.results_dir / f"earlier-{n}.md" for n in range(12)]
    for copy in copies:
        copy.write_text(note.read_text(encoding="utf-8"), encoding="utf-8")
    ingest(settings, copies)
    options = ExperimentOptions("mirror layer experiment result verdict", k=2)
    passages, _ = _find_idea(settings, rd.create_run(settings.runs_dir, options.request), options, model)
    assert passages and all(settings.results_dir.resolve() not in Path(h.chunk.source).resolve().parents for h in passages)
    assert any(Path(h.chunk.source).name == "ideas-layers.txt" for h in passages)


def _scripted(*replies: str | dict) -> FakeListChatModel:
    """The plan, then `replies` in turn (code as text, critic verdicts as dicts), then an accepting results review."""
    texts = [f"```python\n{r}```" if isinstance(r, str) else json.dumps(r) for r in replies]
    return FakeListChatModel(responses=[json.dumps(PLAN), *texts,
                                        json.dumps({"valid": True, "concerns": [], "request": "none", "summary": "ok"})])


def test_a_periodic_merge_run_at_every_other_step_is_sent_back_before_training(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    inverted = good.replace("if step % AVERAGE_EVERY == 0:", "if step % AVERAGE_EVERY != 0:")
    accept = {"matches_note": True, "problems": []}
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3),
                         Recorder(), _scripted(inverted, good, accept))  # no critic for code built wrong
    problems = json.loads((run.path / rd.ITERATIONS / "1" / rd.STATIC_CHECK).read_text())
    assert [p["kind"] for p in problems] == ["note_period"] and "steps 1, 2, 3" in problems[0]["message"]
    assert not (run.path / rd.ITERATIONS / "1" / rd.METRICS).exists()  # never trained
    assert run.record().status == "done" and run.record().final_iteration == 2


def test_code_the_static_checks_block_gets_another_draw_of_the_same_prompt_before_any_feedback(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    undefined = good.replace("        w = (self.w1 + self.w2) / 2\n", "        w = mean_of(self.w1, self.w2)\n")
    accept = {"matches_note": True, "problems": []}
    model = CountingChatModel(responses=_scripted(undefined, undefined, good, accept).responses)
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3, max_attempts=1,
                                             code_samples=3),
                         Recorder(), model)
    folder = run.path / rd.ITERATIONS / "1"
    assert run.record().status == "done" and run.record().final_iteration == 1
    assert [{key: d[key] for key in ("sample", "blocking")} for d in json.loads((folder / "samples.json").read_text())] == [
        {"sample": 1, "blocking": ["undefined"]}, {"sample": 2, "blocking": ["repeated"]},  # the same reply again
        {"sample": 3, "blocking": []}]
    assert "mean_of" not in (folder / rd.IDEA_CODE).read_text(encoding="utf-8")
    assert json.loads((folder / rd.STATIC_CHECK).read_text()) == []
    first, second, third = model.seen[1:4]  # after the plan: the three draws
    assert first == second and "rejected" not in first  # the same prompt, no feedback
    assert "No worked example this time" in third and "rejected" not in third  # the same reply twice: another prompt


def test_code_whose_arms_fail_to_build_gets_another_draw_before_the_critic(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    crashes = good.replace("def after_step(model, step):\n", "def after_step(model, step):\n    model.merge_now()\n")
    model = CountingChatModel(responses=_scripted(crashes, good, {"matches_note": True, "problems": []}).responses)
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3, max_attempts=1,
                                             code_samples=3),
                         Recorder(), model)
    folder = run.path / rd.ITERATIONS / "1"
    assert run.record().status == "done" and run.record().final_iteration == 1
    drawn = json.loads((folder / "samples.json").read_text())
    assert [(d["sample"], d["blocking"]) for d in drawn] == [(1, ["arms"]), (2, [])] and all(d["seconds"] >= 0 for d in drawn)
    assert "merge_now" not in (folder / rd.IDEA_CODE).read_text(encoding="utf-8")
    assert "merge_now" not in (folder / "sample-2.py").read_text(encoding="utf-8")
    assert not (folder / rd.STATIC_CHECK).read_text().count("kind")  # the drawn code's own record, not the crash's


def test_with_one_sample_blocked_code_goes_back_with_its_problems(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    undefined = good.replace("        w = (self.w1 + self.w2) / 2\n", "        w = mean_of(self.w1, self.w2)\n")
    accept = {"matches_note": True, "problems": []}
    model = CountingChatModel(responses=_scripted(undefined, good, accept).responses)
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3, code_samples=1),
                         Recorder(), model)
    assert run.record().status == "done" and run.record().final_iteration == 2
    assert not (run.path / rd.ITERATIONS / "1" / "samples.json").exists()


def test_code_the_model_repeats_after_a_failure_is_asked_for_anew_without_showing_it(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    crashes = good.replace("def after_step(model, step):\n", "def after_step(model, step):\n    model.merge_now()\n")
    model = _scripted(crashes, crashes, good, {"matches_note": True, "problems": []})  # no critic for code that cannot build
    recorder = Recorder()
    messages: list[str] = []
    recorder.info = messages.append
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3, max_attempts=2), recorder, model)
    assert json.loads((run.path / rd.ITERATIONS / "1" / rd.RESULT).read_text())["status"] == "failed"
    assert run.record().status == "done" and run.record().final_iteration == 2
    assert "merge_now" not in (run.path / rd.ITERATIONS / "2" / rd.IDEA_CODE).read_text(encoding="utf-8")
    assert any("repeated code that already failed" in m for m in messages)


def test_code_the_model_repeats_twice_is_drawn_once_more_before_an_attempt_is_spent(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    crashes = good.replace("def after_step(model, step):\n", "def after_step(model, step):\n    model.merge_now()\n")
    model = _scripted(crashes, crashes, crashes, good, {"matches_note": True, "problems": []})
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3, max_attempts=2),
                         Recorder(), model)
    assert run.record().status == "done" and run.record().final_iteration == 2
    assert "merge_now" not in (run.path / rd.ITERATIONS / "2" / rd.IDEA_CODE).read_text(encoding="utf-8")


def test_feedback_without_code_keeps_the_error_and_drops_the_code() -> None:
    from agentnotes.pipeline.experiment import without_code

    text = without_code("The previous code failed.\nError:\nAttributeError: no merge_now\nPrevious code:\n```python\nx = 1\n```")
    assert "AttributeError: no merge_now" in text and "x = 1" not in text and text.endswith("Do not repeat the previous code.")


def test_code_the_critic_rejects_is_rewritten_before_running(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    model = _scripted(good + "\nDRAFT = 1\n", {"matches_note": False, "problems": ["h must be lr/2"]},
                      good, {"matches_note": True, "problems": []})
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3), Recorder(), model)
    assert not (run.path / rd.ITERATIONS / "1" / rd.RESULT).exists()  # built (arms compared), never ran
    review = json.loads((run.path / rd.ITERATIONS / "1" / rd.CODE_REVIEW).read_text())
    assert review["matches_note"] is False and run.record().final_iteration == 2
    assert json.loads((run.path / rd.ITERATIONS / "2" / rd.CODE_REVIEW).read_text())["matches_note"] is True


def test_code_written_again_as_the_critic_rejected_it_runs_with_the_critics_problems_reported(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    model = _scripted(good, {"matches_note": False, "problems": ["the notes never average the branches"]},
                      "import math\n" + good)  # the same code, one import more: no second review
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3), Recorder(), model)
    assert run.record().status == "done" and run.record().final_iteration == 2
    review = json.loads((run.path / rd.ITERATIONS / "2" / rd.CODE_REVIEW).read_text())
    assert review["matches_note"] is False and review["problems"] == ["the notes never average the branches"]
    report = (run.path / rd.REPORT).read_text(encoding="utf-8")
    assert "the notes never average the branches" in report and "wrote the same code again" in report


def test_the_claims_condition_stays_in_the_sweep_when_neither_arm_learns_there(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    model = _scripted(good, {"matches_note": True, "problems": []})
    model.responses[0] = json.dumps({**PLAN, "input_scale": 0.01})  # 20 steps cannot learn inputs this small
    monkeypatch.setattr("agentnotes.pipeline.experiment.input_condition", input_condition)  # the note names it
    options = ExperimentOptions("mirror vs baseline", seeds=3, steps=20, max_attempts=2, max_seeds=3)
    run = run_experiment(settings, options, Recorder(), model)
    first = load_metrics(run.path / rd.ITERATIONS / "1" / rd.METRICS)
    assert first["config"]["input_scale"] == 0.01 and neither_learned(validate_metrics(first))
    assert not (run.path / rd.ITERATIONS / "1" / rd.RESULTS_REVIEW).exists()  # nothing for the critic to judge
    longer = load_metrics(run.path / rd.ITERATIONS / "2" / rd.METRICS)  # the same condition, a longer budget
    assert longer["config"]["input_scale"] == 0.01 and longer["config"]["steps"] == 80
    conditions = json.loads((run.path / "conditions.json").read_text())
    assert [c["input_scale"] for c in conditions] == [0.01, 1.0]  # the control is added, the condition kept
    assert all(c["state"] != "pending" for c in conditions)
    control = load_metrics(run.path / rd.ITERATIONS / str(conditions[1]["iteration"]) / rd.METRICS)
    assert control["config"]["input_scale"] == 1.0 and control["config"]["steps"] in (20, 80)
    codes = {(run.path / rd.ITERATIONS / str(n) / rd.IDEA_CODE).read_text() for n in run.iterations()}
    assert len(codes) == 1  # one accepted code for every condition
    report = (run.path / rd.REPORT).read_text(encoding="utf-8")
    assert "## Results by condition" in report and "| input scale 0.01 | 80 | 3 |" in report and "| input scale 1 |" in report
    if conditions[0]["state"] == "neither_learned":
        assert "neither arm learned, also with a longer budget" in report


def test_seeds_are_added_while_the_ci_includes_zero(monkeypatch) -> None:
    from agentnotes.experiments.results import stats

    settings = _settings(monkeypatch)
    identical = "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim)\n"
    # An idea arm that trains as the baseline is sent back (tested apart); here it stands for an idea with no effect.
    monkeypatch.setattr(stats, "_trained_alike", lambda base, idea: False)
    model = _scripted(identical, {"matches_note": True, "problems": []})
    model.responses[0] = json.dumps({**PLAN, "parts": ["architecture"]})
    options = ExperimentOptions("plain net vs baseline", seeds=3, steps=20, max_attempts=1, max_seeds=6)
    run = run_experiment(settings, options, Recorder(), model)
    conditions = json.loads((run.path / "conditions.json").read_text())
    assert [(c["seeds"], c["ended_by"]) for c in conditions] == [(6, "seed_budget")]
    assert len(load_metrics(run.path / rd.METRICS)["arms"]["idea"]["runs"]) == 6
    added = load_metrics(run.iteration_dir(2) / rd.ADDED_SEEDS_METRICS)  # only the new seeds trained, no search again
    assert added["config"]["seeds"] == [3, 4, 5] and added["lr_tuning"] is None
    first, together = (load_metrics(run.iteration_dir(n) / rd.METRICS) for n in (1, 2))
    assert together["arms"]["idea"]["runs"][:3] == first["arms"]["idea"]["runs"]
    assert "SEEDS = [0, 1, 2, 3, 4, 5]" in (run.iteration_dir(2) / rd.EXPERIMENT).read_text()  # reruns every seed
    report = (run.path / rd.REPORT).read_text(encoding="utf-8")
    assert "the seed budget was spent" in report
    assert (run.path / rd.ITERATIONS / "1" / rd.PURPOSE).read_text() == "write the idea code"
    assert "includes zero" in (run.path / rd.ITERATIONS / "2" / rd.PURPOSE).read_text()
    assert "- Purpose: write the idea code" in report


def test_an_idea_arm_that_trains_as_the_baseline_is_no_result(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    identical = "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim)\n"
    model = _scripted(identical, {"matches_note": True, "problems": []})
    model.responses[0] = json.dumps({**PLAN, "parts": ["architecture"]})
    options = ExperimentOptions("plain net vs baseline", seeds=3, steps=20, max_attempts=1)
    with pytest.raises(ExperimentError, match="No usable experiment"):
        run_experiment(settings, options, Recorder(), model)
    run = rd.open_run(settings.runs_dir, rd.list_runs(settings.runs_dir)[0].id)
    metrics = load_metrics(run.iteration_dir(1) / rd.METRICS)
    assert "same_as_baseline" in [p.kind for p in validate_metrics(metrics)]
    assert not (run.path / rd.REPORT).exists() or "No evidence" not in (run.path / rd.REPORT).read_text()


SHRINKS_INPUT = ("class IdeaNet(nn.Module):\n    def __init__(self, in_dim, hidden, out_dim):\n        super().__init__()\n"
                 "        self.in_dim, self.hidden, self.out_dim = in_dim, hidden, out_dim\n        self.layers_and_parameters()\n\n"
                 "    def layers_and_parameters(self):\n        self.net = mlp(self.in_dim, self.hidden, self.out_dim)\n\n"
                 "    def forward(self, x):\n        return self.net(x * {scale})\n\n\n"
                 "def build_model(in_dim, hidden, out_dim):\n    return IdeaNet(in_dim, hidden, out_dim)\n")  # input scaled


def test_an_idea_arm_that_learns_nothing_where_the_baseline_learns_goes_back_to_the_model(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    accept = {"matches_note": True, "problems": []}
    model = _scripted(SHRINKS_INPUT.format(scale=1e-7), accept, SHRINKS_INPUT.format(scale=2.0), accept)
    model.responses[0] = json.dumps({**PLAN, "parts": ["architecture"]})
    run = run_experiment(settings, ExperimentOptions("plain net vs baseline", seeds=3, steps=40, max_seeds=3,
                                                     max_attempts=2), Recorder(), model)
    first = [p.kind for p in validate_metrics(load_metrics(run.iteration_dir(1) / rd.METRICS))]
    assert first.count("not_learned") == 1 and not neither_learned(validate_metrics(load_metrics(run.iteration_dir(1) / rd.METRICS)))
    assert (run.path / rd.ITERATIONS / "2" / rd.PURPOSE).read_text().startswith("rewrite the code: The previous code ran but")
    assert run.record().status == "done" and run.record().final_iteration == 2
    assert "2.0" in (run.iteration_dir(2) / rd.IDEA_CODE).read_text()


def test_an_idea_arm_that_learns_nothing_in_every_attempt_gets_no_verdict(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    model = _scripted(SHRINKS_INPUT.format(scale=1e-7), {"matches_note": True, "problems": []})
    model.responses[0] = json.dumps({**PLAN, "parts": ["architecture"]})
    with pytest.raises(ExperimentError, match=r"No usable experiment after 1 attempts \(the last: the idea arm learned nothing while the baseline"):
        run_experiment(settings, ExperimentOptions("plain net vs baseline", seeds=3, steps=40, max_attempts=1),
                       Recorder(), model)
    run = rd.open_run(settings.runs_dir, rd.list_runs(settings.runs_dir)[0].id)
    assert not (run.path / rd.REPORT).exists()


def test_code_split_over_several_blocks_is_joined_in_order() -> None:
    from agentnotes.agents.experimenter import extract_code

    reply = ("The layer:\n```python\nclass Layer(nn.Module):\n    pass\n```\nThe hooks:\n"
             "```python\ndef build_model(i, h, o):\n    return mlp(i, h, o, linear=Layer)\n```\n")
    code = extract_code(reply)
    assert code.index("class Layer") < code.index("def build_model") and "```" not in code
    assert extract_code("def build_model(i, h, o):\n    return mlp(i, h, o)") == "def build_model(i, h, o):\n    return mlp(i, h, o)\n"
    cut = extract_code(reply + "And the rest:\n```python\ndef lr_at(step):\n    return 0.1 * (1 - step /")  # the reply ran out
    assert "```" not in cut and cut.endswith("def lr_at(step):\n    return 0.1 * (1 - step /\n")


def test_code_that_copies_the_prompt_example_rule_is_recognised() -> None:
    from agentnotes.agents.experimenter import EXAMPLE_RULE_MARK, copied_example_rules, idea_examples

    examples = idea_examples(["layer", "update_rule"])
    rule = next(line.split("#")[0].strip() for line in examples.splitlines() if EXAMPLE_RULE_MARK in line)
    copied = f"def forward(self, x):\n    {rule}  # shifted\n"
    own = "def forward(self, x):\n    return F.linear(x + LR / 2, self.w1, self.bias)\n"
    assert copied_example_rules(copied, examples) == [f"{rule}  # shifted"]
    assert copied_example_rules(own, examples) == []
    assert copied_example_rules(copied, examples, note_text=rule) == []  # the user's note says it
    own_marked = "    p.add_(-group['lr'] * p.grad / (p.grad.norm() + 1e-8))  # the example's own rule\n"
    assert copied_example_rules(own_marked, examples) == []  # the mark kept on the idea's own rule
    decay = "def between_steps(self, step):\n    self.w.mul_({})\n"
    layer_example = idea_examples(["layer"])
    assert "self.V.mul_(0.5)" in layer_example  # the example's short rule: its own only with its own number
    assert copied_example_rules(decay.format(0.5), layer_example) == ["self.w.mul_(0.5)"]
    assert copied_example_rules(decay.format(0.9), layer_example) == []  # any other decay is no copy


def test_each_worked_example_passes_the_static_check_and_shows_only_its_kind() -> None:
    from agentnotes.agents.experimenter import extract_code, idea_examples
    from agentnotes.experiments.guards.kinds import KINDS
    from agentnotes.experiments.guards.static_check import blocking, check_idea_code

    for kind in KINDS:
        assert blocking(check_idea_code(extract_code(idea_examples([kind.name])), [kind.name])) == [], kind.name
    assert "make_optimizer" not in idea_examples(["layer"]) and "FlipLinear" not in idea_examples(["update_rule"])
    assert idea_examples(["layer", "layer"]) == idea_examples(["layer"])


def _mirror_with_gonnor(settings, *codes: str) -> tuple[str, rd.Run]:
    """Run "mirror layer together with Gonnor" with `codes` as the code generator's replies, in turn;
    the run must finish in one iteration. Returns its idea code and the run."""
    model = FakeListChatModel(responses=[
        json.dumps({**PLAN, "parts": ["layer", "optimizer"]}), *(f"```python\n{code}```" for code in codes),
        json.dumps({"matches_note": True, "problems": []}),
        json.dumps({"valid": True, "concerns": [], "request": "none", "summary": "ok"}),
    ])
    run = run_experiment(settings, ExperimentOptions("mirror layer together with Gonnor vs baseline", seeds=3, steps=40, max_seeds=3),
                         Recorder(), model)
    assert run.record().status == "done" and run.record().final_iteration == 1
    return (run.path / rd.ITERATIONS / "1" / rd.IDEA_CODE).read_text(encoding="utf-8"), run


@pytest.fixture
def model_writes_every_part(monkeypatch):
    """The model, not the program, writes each part (the example notes' update rule is one the program reads):
    these tests are about how the model's replies for several parts are asked for and merged."""
    monkeypatch.setattr("agentnotes.agents.experimenter.program_reply", lambda *args, **kwargs: "")


@pytest.mark.parametrize("plain_sgd", [False, True])
@pytest.mark.usefixtures("model_writes_every_part")
def test_a_layer_with_its_own_update_rule_is_written_part_by_part_and_merged(monkeypatch, plain_sgd) -> None:
    """The layer's skeleton and the update rule's, side by side: each part is asked for on its own (the
    fake model answers the layer, then the update rule), and each reply keeps its own classes and hooks."""
    settings = _settings(monkeypatch)
    mirror = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    if plain_sgd:  # a layer reply that also returns torch's SGD: the update rule's own reply wins
        mirror += "\n\ndef make_optimizer(params, lr):\n    return torch.optim.SGD(params, lr)\n"
    gonnor = (REPO / "tests" / "ideas" / "gonnor.py").read_text(encoding="utf-8")
    code, run = _mirror_with_gonnor(settings, mirror, gonnor)
    assert "class IdeaLinear" in code and "class Gonnor" in code and "return Gonnor(params, lr)" in code
    assert "def update(" not in code and "IdeaOptimizer" not in code  # the skeleton's unused optimizer is gone
    static = json.loads((run.path / rd.ITERATIONS / "1" / rd.STATIC_CHECK).read_text())
    assert [p for p in static if not p["kind"].startswith("advice_")] == []
    assert "torch.optim.SGD" not in code


@pytest.mark.usefixtures("model_writes_every_part")
def test_a_part_that_copies_the_example_rule_is_rejected_and_asked_again_alone(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    mirror = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    gonnor = (REPO / "tests" / "ideas" / "gonnor.py").read_text(encoding="utf-8")
    from agentnotes.agents.experimenter import EXAMPLE_RULE_MARK
    from agentnotes.experiments.guards.skeleton import load_skeleton

    rule = next(line.split("#")[0].strip() for line in load_skeleton("layer_op").example.splitlines() if EXAMPLE_RULE_MARK in line)
    copied = mirror.replace("return (F.linear(x + h, self.w1) + F.linear(x - h, self.w2)) / 2 + self.bias", rule)
    model = FakeListChatModel(responses=[
        json.dumps({**PLAN, "parts": ["layer", "optimizer"]}),
        *(f"```python\n{code}```" for code in (copied, gonnor, mirror)),  # the update part is kept, not asked again
        json.dumps({"matches_note": True, "problems": []}),
        json.dumps({"valid": True, "concerns": [], "request": "none", "summary": "ok"}),
    ])
    recorder = Recorder()
    run = run_experiment(settings, ExperimentOptions("mirror layer together with Gonnor vs baseline", seeds=3, steps=40,
                                                     max_seeds=3), recorder, model)
    first = json.loads((run.path / rd.ITERATIONS / "1" / rd.STATIC_CHECK).read_text())
    assert "copied_example" in {p["kind"] for p in first}
    assert run.record().status == "done" and run.record().final_iteration == 2
    code = (run.path / rd.ITERATIONS / "2" / rd.IDEA_CODE).read_text(encoding="utf-8")
    assert "F.linear(x + h, self.w1)" in code and "p.grad / norm" in code and rule not in code
    assert any("Kept the parts no problem was found in: update_rule" in line for line in recorder.lines)


def test_code_that_copies_the_example_rule_is_rejected_with_its_other_problems(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    copied = good.replace("return (F.linear(x + h, self.w1) + F.linear(x - h, self.w2)) / 2 + self.bias",
                          "return F.linear(x, self.w1, self.bias) + F.linear(x.flip(-1), self.w2)  # the example's own rule")
    model = RecordingChatModel(responses=[
        json.dumps(PLAN),
        f"```python\n{copied}```",
        f"```python\n{good}```", json.dumps({"matches_note": True, "problems": []}),
        json.dumps({"valid": True, "concerns": [], "request": "none", "summary": "ok"}),
    ])
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3), Recorder(), model)
    problems = json.loads((run.path / rd.ITERATIONS / "1" / rd.STATIC_CHECK).read_text())
    assert {p["kind"] for p in problems} == {"advice_formula", "copied_example", "unused_result"}  # h is left unused
    assert "F.linear(x.flip(-1), self.w2)" in next(p["message"] for p in problems if p["kind"] == "copied_example")
    assert run.record().status == "done" and run.record().final_iteration == 2
    second_ask = model.seen[2]  # plan, first code, second code
    assert "copied the worked example's own rule" in second_ask and "x.flip(-1)" not in second_ask  # not shown again


def test_a_draw_that_copies_the_example_is_followed_by_draws_without_it(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    copied = good.replace("return (F.linear(x + h, self.w1) + F.linear(x - h, self.w2)) / 2 + self.bias",
                          "return F.linear(x, self.w1, self.bias) + F.linear(x.flip(-1), self.w2)  # the example's own rule")
    model = CountingChatModel(responses=_scripted(copied, good, {"matches_note": True, "problems": []}).responses)
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3, max_attempts=1,
                                             code_samples=3),
                         Recorder(), model)
    assert run.record().status == "done" and run.record().final_iteration == 1
    first, second = model.seen[1:3]
    assert "No worked example this time" not in first and "No worked example this time" in second
    assert "rejected" not in second  # a draw of the same request, not feedback


def test_a_copied_example_line_beside_the_ideas_own_code_is_removed_and_the_code_runs(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    copied = good.replace("        w = (self.w1 + self.w2) / 2\n", "        self.V.mul_(0.5)  # V = V/2\n        w = (self.w1 + self.w2) / 2\n")
    model = RecordingChatModel(responses=[
        json.dumps(PLAN), f"```python\n{copied}```", json.dumps({"matches_note": True, "problems": []}),
        json.dumps({"valid": True, "concerns": [], "request": "none", "summary": "ok"}),
    ])
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3), Recorder(), model)
    assert run.record().status == "done" and run.record().final_iteration == 1
    fixes = json.loads((run.path / rd.ITERATIONS / "1" / rd.AUTOFIX).read_text())
    assert any("self.V.mul_(0.5)" in fix and "removed: the worked example's own rule" in fix for fix in fixes)
    assert "self.V" not in (run.path / rd.ITERATIONS / "1" / rd.IDEA_CODE).read_text(encoding="utf-8")


def test_on_the_last_attempt_code_the_critic_rejects_runs_flagged(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    model = _scripted(good, {"matches_note": False, "problems": ["not the mirror layer"]})
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3, max_attempts=1), Recorder(), model)
    assert run.record().status == "done" and (run.path / rd.ITERATIONS / "1" / rd.EXPERIMENT).exists()
    assert json.loads((run.path / rd.ITERATIONS / "1" / rd.CODE_REVIEW).read_text())["matches_note"] is False


def test_code_written_wholly_from_the_notes_formulas_skips_the_code_critic(monkeypatch, tmp_path) -> None:
    """An update rule whose formulas form a whole program: the program writes `update`, no model is asked
    for code, and no critic compares the notes' own formulas with themselves; a constant of a remark the program
    leaves out (μ of another method) does not block it."""
    settings = _settings(monkeypatch)
    note = tmp_path / "sign-mix.md"
    note.write_text("# sign mix\n\n每步先算 d = κ*a + (1-κ)*g\nw ← w − η·sign(d)\n然后 a = ρ*a + (1-ρ)*g\n"
                    "κ = 0.8, ρ = 0.95。\n和 heavy-ball 动量 (μ = 0.9) 不是一回事。\n", encoding="utf-8")
    ingest(settings, [note])
    plan = {**PLAN, "idea_name": "sign mix", "idea_rule": "w = w - lr*sign(0.8*a + 0.2*g)", "parts": ["update_rule"],
            "task": "classification", "metric": "test_accuracy"}
    model = FakeListChatModel(responses=[
        json.dumps(plan), json.dumps({"valid": True, "concerns": [], "request": "none", "summary": "ok"})])
    recorder = Recorder()
    run = run_experiment(settings, ExperimentOptions("sign mix vs SGD", seeds=3, steps=40, max_seeds=3), recorder, model)
    assert run.record().status == "done" and run.record().final_iteration == 1
    review = json.loads((run.path / rd.ITERATIONS / "1" / rd.CODE_REVIEW).read_text())
    assert review == {"skipped": "every function written from the note's formulas"}
    assert "written from the notes' formulas" in (run.path / rd.ITERATIONS / "1" / rd.IDEA_CODE).read_text()


def test_a_rewrite_the_critic_asked_for_that_finds_no_usable_code_keeps_the_results_before_it(monkeypatch) -> None:
    settings = _settings(monkeypatch)
    from agentnotes.experiments.guards.problems import Problem

    symptom = [Problem("no_learning", "idea arm: the training loss never moved in any seed")]
    for module in ("agentnotes.pipeline.experiment", "agentnotes.experiments.results.stats"):  # the symptom, wherever read
        monkeypatch.setattr(f"{module}.validate_metrics", lambda m: symptom)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    accept = {"matches_note": True, "problems": []}
    suspect = {"valid": False, "concerns": ["the idea arm may have a bug"], "request": "fix_bug", "summary": ""}
    broken = "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim, linear=NoSuchLayer)\n"
    model = FakeListChatModel(responses=[json.dumps(PLAN), f"```python\n{good}```", json.dumps(accept), json.dumps(suspect),
                                         *[f"```python\n{broken}```"] * 4])
    recorder = Recorder()
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3, max_attempts=2),
                         recorder, model)
    assert run.record().status == "done" and run.record().final_iteration == 1
    assert any("found no usable code" in line for line in recorder.lines)


def test_the_planner_reads_the_idea_s_own_sections_not_its_neighbours(monkeypatch) -> None:
    from agentnotes.notes.chunker import chunk_note
    from agentnotes.notes.reader import read_note
    from agentnotes.notes.types import Hit
    from agentnotes.pipeline.experiment import _plan

    settings = _settings(monkeypatch)
    chunks = chunk_note(read_note(REPO / "data" / "ideas-layers.txt"))
    gonnor = next(c for c in chunks if "gonnor" in " ".join(c.heading_path).lower())
    mirror = next(c for c in chunks if "mirror" in " ".join(c.heading_path).lower())
    model = RecordingChatModel(responses=[json.dumps(PLAN)])
    request = "mirror vs baseline"
    _plan(model, settings, rd.create_run(settings.runs_dir, request), ExperimentOptions(request), request,
          [Hit(gonnor, 2.0), Hit(mirror, 1.0)])
    assert mirror.text[:40] in model.seen[0] and gonnor.text[:40] not in model.seen[0]


def test_a_run_trains_long_enough_for_an_operation_the_notes_do_every_n_steps_to_act_three_times(monkeypatch) -> None:
    from agentnotes.pipeline.experiment import _steps_for_period

    monkeypatch.setattr("agentnotes.pipeline.experiment.PERIODS_PER_RUN", 3)  # as shipped (the fixture above sets 0)
    said = Recorder()
    note = "# 每 N 步重置分类头\n\n每 500 步：head.reset_parameters()"
    assert _steps_for_period(300, ["weight_op"], note, said) == 1500 and "every 500 steps" in said.lines[0]
    assert _steps_for_period(2000, ["weight_op"], note, said) == 2000  # enough already
    assert _steps_for_period(300, ["regulariser"], "指标每 500 步记一次", said) == 300  # no operation on the weights
    assert _steps_for_period(300, ["weight_op"], "每步之后投影到固定符号", said) == 300  # every step: no period


def test_the_results_critic_reads_the_claim_and_the_numbers_not_the_ideas_formulas() -> None:
    from agentnotes.agents.experimenter import Plan, review_results
    from agentnotes.prompts import load_prompt

    model = RecordingChatModel(responses=[json.dumps({"valid": True, "concerns": [], "request": "none", "summary": "fair"})])
    plan = Plan(**{**PLAN, "condition": "inputs close to zero"})
    review, _ = review_results(model, load_prompt("review_results"), plan, "baseline: test_mse 0.5; idea: test_mse 0.4")
    assert review.valid and "test_mse 0.4" in model.seen[0]
    assert plan.hypothesis in model.seen[0] and "inputs close to zero" in model.seen[0]
    assert plan.idea_rule not in model.seen[0] and "w1*(x+h)" not in model.seen[0]


def test_a_run_whose_note_gives_kinds_and_formulas_makes_no_planner_call(monkeypatch) -> None:
    from agentnotes.pipeline import experiment

    monkeypatch.setattr(experiment, "_plan_from_note", PLAN_FROM_NOTE)
    settings = _settings(monkeypatch)
    good = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    model = FakeListChatModel(responses=[f"```python\n{good}```", json.dumps({"matches_note": True, "problems": []}),
                                         json.dumps({"valid": True, "concerns": [], "request": "none", "summary": "ok"})])
    run = run_experiment(settings, ExperimentOptions("mirror vs baseline", seeds=3, steps=40, max_seeds=3, max_attempts=1),
                         Recorder(), model)
    plan = json.loads((run.path / rd.PLAN_JSON).read_text())
    assert run.record().status == "done" and "no planner call" in plan["corrections"][0]
    assert plan["kinds"] == ["layer", "weight_op"] and "(w1*(x+h) + w2*(x-h))/2" in plan["idea_rule"]
