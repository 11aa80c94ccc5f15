"""run-experiment: find the idea in the notes, plan, write code, review it, run it in the
sandbox, judge the results, write the report. Every step is recorded in the run directory,
so an interrupted run resumes where it stopped."""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from agentnotes.agents import experimenter as agents
from agentnotes.agents.experimenter import MAX_KINDS, RULE_CHARS
from agentnotes.agents.kind_choice import choose_kind
from agentnotes.errors import AgentNotesError, ExperimentError, LLMError
from agentnotes.experiments.results import rundir as rd
from agentnotes.experiments.results.added_seeds import added_seeds_config, merged
from agentnotes.experiments.lab.assemble import assemble_script, explain_failure
from agentnotes.experiments.guards.autofix import Fix, apply_fixes
from agentnotes.experiments.guards.baseline import (
    COMPARISON,
    Baseline,
    baseline_from_request,
    baselines_listed,
    compares_with_an_activation,
)
from agentnotes.experiments.guards.claim import (
    class_imbalance_condition,
    expected_effect,
    input_condition,
    inverted,
    label_noise_condition,
    math_formulas,
    stated_claim,
    train_size_condition,
)
from agentnotes.experiments.guards.complete import drop_definitions, merge_piece
from agentnotes.experiments.guards.constants import define_note_constants
from agentnotes.experiments.guards.confounds import cannot_learn, compare, confound_problems, diff_table
from agentnotes.experiments.guards.formula_code import written_by_program
from agentnotes.experiments.guards.kinds import ONE_FAMILY, allowed_changes, hooks_for
from agentnotes.experiments.guards.note_code import define_note_functions
from agentnotes.experiments.guards.mechanisms import missing_mechanism
from agentnotes.experiments.guards.note_program import note_program
from agentnotes.experiments.guards.notation import plain_letters
from agentnotes.experiments.guards.note_symbols import (
    add_note_bias_guard,
    add_note_period,
    missing_bias_case,
    missing_note_symbols,
    missing_own_parameters,
    missing_period,
    note_period,
    period_mismatch,
    reduced_against_zero,
    reversed_selection,
    stock_recurrent_cell,
    unkept_gradient,
    unkept_state,
    unused_note_values,
)
from agentnotes.experiments.guards.parameter_starts import start_parameters_as_noted
from agentnotes.experiments.guards.setup_sizes import setup_sizes
from agentnotes.experiments.guards.skeleton import COMBINED, blameless_parts, skeleton_for, written_part
from agentnotes.experiments.lab.config import CONDITION_FIELDS, ExperimentConfig, condition_label, condition_of, settings_of
from agentnotes.experiments.guards.failure_hints import hints_for
from agentnotes.experiments.guards.idea_sections import (
    formula_lines,
    formulas_in,
    idea_headings,
    idea_passages,
    kinds_in_sections,
    names_in_notes,
    note_pairs,
    own_text,
    passages_for_hook,
    text_of,
)
from agentnotes.experiments.guards.problems import Problem, format_problems
from agentnotes.experiments.results.ledger import audit_statement, measured_values
from agentnotes.experiments.results.report import CONDITIONS, write_report
from agentnotes.experiments.results.result_note import write_result_note
from agentnotes.experiments.guards.task import setup_part, task_in_notes
from agentnotes.experiments.guards.testability import refusal
from agentnotes.experiments.guards.static_check import blocking, check_idea_code, missing_hooks
from agentnotes.experiments.guards.step_reach import unreached_steps
from agentnotes.experiments.results.stats import (
    BLOCKING,
    Comparison,
    compare_arms,
    idea_alone_unlearned,
    idea_bug_symptoms,
    load_metrics,
    neither_learned,
    validate_metrics,
)

from agentnotes.experiments.lab.template import describe_interface
from agentnotes.notes.types import Chunk, Hit
from agentnotes.pipeline import sweep
from agentnotes.pipeline.execute import ExperimentOptions, Reporter, describe_arms, probe_formulas, run_iteration
from agentnotes.prompts import load_prompt
from agentnotes.settings import Settings

CODE_BLOCK = re.compile(r"```python\n.*?```", re.DOTALL)
_DEFINITION = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*=\s*([^=，。,;；：:）\n]+)")  # a name = what computes it

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from agentnotes.agents.llm_call import LLMReply
    from agentnotes.runner.sandbox import RunResult


def hits_from_idea(idea: dict) -> list[Hit]:
    """The note passages saved in idea.json, as hits again, their styled letters plain (`𝓛` as `L`)."""
    return [
        Hit(Chunk(p["source"], p["start_line"], p["end_line"], plain_letters(p["text"]), tuple(p.get("heading_path", ()))),
            p.get("score", 0.0))
        for p in idea.get("passages", [])
    ]


def _find_idea(settings: Settings, run: rd.Run, options: ExperimentOptions, model: BaseChatModel) -> tuple[list[Hit], str]:
    """The note sections found for the request, and what names the idea's own section among them
    (idea_sections.names_in_notes: the request, or the title the request's rewrite points at); the request's rewrite
    is written by the run's own model (greedy, so any loaded model writes the same), which loads once."""
    if not run.phase_done("find-idea"):
        from agentnotes.retrieval.filters import NoteFilter
        from agentnotes.retrieval.service import retrieve

        with run.phase("find-idea"):  # earlier runs' result notes are not the idea's notes: searched without them
            rewrites: list[str] = []
            hits = retrieve(settings, options.request, options.k, sections=True, model=model, on_rewrite=rewrites.append,
                            only=NoteFilter(outside=str(settings.results_dir)))
            if not hits:
                raise ExperimentError("No note passage matches this request. Run 'agentnotes ingest PATH' first.")
            rewrite = "".join(rewrites)
            names = names_in_notes(options.request, rewrite, hits)
            run.write_idea(options.request, [*hits, *_rest_of_idea_note(settings, names, hits)], names, rewrite)
    idea = run.read_json(rd.IDEA)
    return hits_from_idea(idea), idea.get("names", options.request)


def _rest_of_idea_note(settings: Settings, names: str, hits: Sequence[Hit]) -> list[Hit]:
    """The sections of the idea's note under the heading that names the idea that the search did not find (its
    "Setup" when the search found its "Rule"; retrieval/sections.py `sections_under`)."""
    from agentnotes.index.knowledge_base import open_knowledge_base
    from agentnotes.retrieval.sections import sections_under

    with open_knowledge_base(settings) as kb:
        return sections_under(kb.chunks(), idea_headings(names, hits), hits)


# How many times a run lets an operation the notes do every N steps act, at the least.
PERIODS_PER_RUN = 3


def _steps_for_period(steps: int, kinds: Sequence[str], note_text: str, reporter: Reporter) -> int:
    """The steps each run trains: `steps`, or PERIODS_PER_RUN periods of a weight operation the notes do every N steps
    where `steps` is fewer (an operation every 500 steps never acts in a run of 300: both arms would be the same)."""
    period = note_period(note_text) if "weight_op" in kinds else None
    if period is None or steps >= PERIODS_PER_RUN * period:
        return steps
    reporter.info(f"The notes do their operation every {period} steps: each run trains {PERIODS_PER_RUN * period} steps "
                  f"(not {steps}), so it acts {PERIODS_PER_RUN} times.")
    return PERIODS_PER_RUN * period


def _baseline(request: str, kinds: Sequence[str], names: str, hits: Sequence[Hit]) -> Baseline:
    """The baseline the request names, with the optimizer of the idea's own setup part (its "## 实验" or "## Setup"
    subsection included) and list of baselines where it names none."""
    text = text_of(idea_passages(names, hits))
    return baseline_from_request(request, kinds, setup_part(text), baselines_listed(text))


def _ground_plan(plan: agents.Plan, request: str, hits: Sequence[Hit], names: str | None = None) -> agents.Plan:
    """The plan corrected by the idea's own note sections and the request, each change said in
    `corrections`: the kinds their formulas show, their formula lines as the rule when the planner's
    rule holds none of their formulas (the lines that define an output it never names
    added when it holds some), the task their words name, the baseline the request names, a hypothesis
    that inverts the note, the input scale of a condition the note names and the plan left out (or set where the note
    names none), the share of wrong training labels, the number of training examples and the training set's imbalance ratio the
    note runs the idea with."""
    names = names or request  # what names the idea's own section among the hits (names_in_notes)
    updates: dict[str, object] = {}
    corrections = []
    note_text = text_of(idea_passages(names, hits))
    if (kinds := kinds_in_sections(names, hits)[:MAX_KINDS]) and set(kinds) != set(plan.kinds):  # the first, as registered
        updates["kinds"] = kinds
        corrections.append(f"kinds {plan.kinds} -> {kinds}: the kinds the note's own formulas show")
    elif not kinds and compares_with_an_activation(request) and plan.kinds != ["activation"]:
        updates["kinds"] = ["activation"]
        corrections.append(f"kinds {plan.kinds} -> ['activation']: the note shows no kind and the request compares "
                           "the idea with an activation alone")
    formulas = formula_lines(names, hits)
    rule = re.sub(r"\s+", "", plan.idea_rule)
    if (math := math_formulas(formulas)) and not any(formula in rule for formula in math):
        short = len(formulas) < RULE_CHARS[0]  # a rule that short would not be a valid plan: the planner's follows
        updates["idea_rule"] = f"{formulas}\n{plan.idea_rule}"[:RULE_CHARS[1]] if short \
            else _first_lines(formulas, RULE_CHARS[1])
        corrections.append("the rule holds none of the note's formulas: the note's formula lines "
                           + ("come before it" if short else "replace it"))
    elif left_out := [line for line in formulas.splitlines() if _defines_unsaid(line, plan.idea_rule)]:
        added = "\n".join(left_out)[:RULE_CHARS[1] // 2]
        updates["idea_rule"] = f"{plan.idea_rule[:RULE_CHARS[1] - len(added) - 1]}\n{added}"
        corrections.append(f"the rule leaves out formulas of the note: added {added!r}")
    if (task := task_in_notes(note_text)) and task != plan.task:
        updates["task"] = task
        corrections.append(f"task {plan.task} -> {task}: the task the note's own words name")
    baseline = _baseline(request, updates.get("kinds", plan.kinds), names, hits).describe()
    if plan.baseline != baseline:
        updates["baseline"] = baseline
    own = own_text(names, hits)  # never another idea's condition
    said = input_condition(own)
    if plan.input_scale == 1.0 and said:
        updates["input_scale"], words = said
        updates["condition"] = plan.condition or words
        corrections.append(f"input scale 1.0 -> {said[0]:g}: the note names the condition \"{words}\"")
    elif plan.input_scale != 1.0 and not said:  # the planner's own condition, which the note never names
        updates.update(input_scale=1.0, condition="", hypothesis=stated_claim(plan.idea_name, plan.effect, ""))
        corrections.append(f"input scale {plan.input_scale:g} -> 1.0: the note names no condition on the inputs")
    task = str(updates.get("task", plan.task))
    for field, found, said_as in (
            ("label_noise", _on_classes(label_noise_condition, own, task), lambda v: f"{v:.0%}"),
            ("train_size", train_size_condition(own), lambda v: str(v or "all")),
            ("class_imbalance", _on_classes(class_imbalance_condition, own, task), lambda v: f"{v:g}" if v else "none")):
        if found and found[0] != getattr(plan, field):
            updates[field], words = found
            updates["condition"] = str(updates.get("condition") or plan.condition or words)
            corrections.append(f"{field.replace('_', ' ')} {said_as(getattr(plan, field))} -> {said_as(found[0])}: "
                               f"the note runs the idea with \"{words}\"")
    if inverted(plan.hypothesis, note_text):
        updates["hypothesis"] = stated_claim(plan.idea_name, plan.effect, str(updates.get("condition", plan.condition)))
        corrections.append(f"the hypothesis \"{plan.hypothesis}\" inverts the note, which expects no harm from the idea")
    return plan.model_copy(update={**updates, "corrections": [*plan.corrections, *corrections]})


def _defines_unsaid(line: str, rule: str) -> bool:
    """The note line computes, from names, an output the plan's rule never names (`xor = -a*b` where the rule says
    only AND; not `lr = 0.05`, and not `y = w*x + b` where the rule defines its own y)."""
    return any(re.search(r"[A-Za-z]", computed) and not re.search(rf"(?<!\w){re.escape(output)}(?!\w)", rule)
               for output, computed in _DEFINITION.findall(line))


def _first_lines(text: str, limit: int) -> str:
    """The first lines of `text` that fit in `limit` characters (a rule in LaTeX is longer than the formulas it
    counts as: guards/idea_sections.py `formulas_in`)."""
    kept = ""
    for line in text.splitlines():
        if len(kept) + len(line) + 1 > limit:
            break
        kept += line + "\n"
    return kept.strip() or text[:limit]


def _plan_from_note(request: str, hits: Sequence[Hit], names: str) -> agents.Plan | None:
    """The plan read from the idea's own note sections by the program, where they give every part the planner's would
    be replaced by (`_ground_plan`): the kinds their formulas show, formula lines enough for the rule; the task their
    words name (the lab's default, regression, where they name none, as the planner is told), the condition, the
    effect and the claim from their words. None where kinds or formulas are missing: the planner plans."""
    kinds, formulas = kinds_in_sections(names, hits)[:MAX_KINDS], formula_lines(names, hits)
    if not kinds or len(formulas) < RULE_CHARS[0] or not math_formulas(formulas):
        return None
    passages = idea_passages(names, hits)
    task = task_in_notes(text_of(passages)) or ExperimentConfig.task
    headings = list(dict.fromkeys(h.chunk.heading_path[-1] for h in passages if h.chunk.heading_path))
    name = (headings[0] if len(headings) == 1 else COMPARISON.split(request.strip(), maxsplit=1)[0])[:100]  # its title
    own = own_text(names, hits)
    scale, condition = input_condition(own) or (1.0, "")
    noise, noisy_words = _on_classes(label_noise_condition, own, task) or (0.0, "")
    size, few_words = train_size_condition(own) or (0, "")
    imbalance, imbalanced_words = _on_classes(class_imbalance_condition, own, task) or (0.0, "")
    condition = condition or noisy_words or few_words or imbalanced_words
    effect = expected_effect(text_of(passages))
    return agents.Plan(idea_name=name, hypothesis=stated_claim(name, effect, condition), kinds=kinds, effect=effect,
                       idea_rule=_first_lines(formulas, RULE_CHARS[1]), condition=condition, task=task, input_scale=scale,
                       label_noise=noise, train_size=size, class_imbalance=imbalance,
                       corrections=["the plan read from the note's own sections (kinds, formulas, task, condition, "
                                    "expected effect): no planner call"])


def _on_classes(reader: Callable[[str], tuple[float, str] | None], own: str, task: str) -> tuple[float, str] | None:
    """What `reader` finds in the idea's own sections (a condition on the training labels or classes: its setting and
    the note's words); None where it finds none or the task has no classes."""
    return reader(own) if task != "regression" else None


def _plan(model: BaseChatModel, settings: Settings, run: rd.Run, options: ExperimentOptions, names: str,
          hits: Sequence[Hit]) -> agents.Plan:
    if not run.phase_done("plan"):
        with run.phase("plan"):
            plan = _plan_from_note(options.request, hits, names)
            if plan is None:
                plan, replies = agents.make_plan(  # the idea's own sections: a neighbour's words would enter the hypothesis
                    model, load_prompt("plan_experiment", settings.prompts_dir), options.request,
                    idea_passages(names, hits), seed=options.llm_seed)
                run.add_usage(replies)
            plan = _ground_plan(plan, options.request, hits, names)
            if _several_kinds_of_one_idea(plan, names, hits):
                plan, replies = _one_kind(model, settings, plan, own_text(names, hits), options.llm_seed)
                run.add_usage(replies)
            run.write_plan(plan)
    return agents.Plan.model_validate(run.read_json(rd.PLAN_JSON))


def _several_kinds_of_one_idea(plan: agents.Plan, names: str, hits: Sequence[Hit]) -> bool:
    """Whether the plan holds several kinds for a request that names one idea (one section of the notes), kinds the
    lab does not join into one shape (a layer that also merges its weights every N steps is one: skeleton COMBINED)
    and not one family (a penalty read as a loss and a regulariser). A request that combines ideas ("mirror together
    with Gonnor") keeps the kinds of each."""
    return len(plan.kinds) > 1 and frozenset(plan.kinds) not in COMBINED and not set(plan.kinds) <= ONE_FAMILY \
        and len(idea_headings(names, hits)) <= 1


def _one_kind(model: BaseChatModel, settings: Settings, plan: agents.Plan, note_text: str,
              seed: int) -> tuple[agents.Plan, list[LLMReply]]:
    """The plan with the one of its kinds the model reads as the idea (a note's setup, measurements and asides name
    other parts of training beside the idea's own), and the model's replies. The plan as it was when the model gives
    no valid choice."""
    try:
        kind, replies = choose_kind(model, load_prompt("choose_kind", settings.prompts_dir), note_text, plan.kinds, seed)
    except LLMError:
        return plan, []
    return plan.model_copy(update={"kinds": [kind], "corrections": [
        *plan.corrections, f"kinds {plan.kinds} -> ['{kind}']: one idea, one kind; the model read '{kind}' as the idea's"]}), \
        replies


def _without_imports(code: str) -> str:
    """The code's syntax tree without its imports, to tell whether two replies are the same code; the code as it
    is when it does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    tree.body = [node for node in tree.body if not isinstance(node, ast.Import | ast.ImportFrom)]
    return ast.dump(tree)


def _failure_feedback(run: rd.Run, n: int, code: str, result: RunResult) -> str:
    """What the code generator needs to fix a failed run: its code and the mapped traceback."""
    script = (run.iteration_dir(n) / rd.EXPERIMENT).read_text(encoding="utf-8")
    stderr = result.stderr_path.read_text(encoding="utf-8", errors="replace") if result.stderr_path.exists() else ""
    why = explain_failure(stderr, script) if stderr.strip() else result.reason
    hints = "".join(f"Hint: {hint}\n" for hint in hints_for(why))
    return (f"The previous code failed when run ({result.status}: {result.reason}).\nError:\n{why}\n{hints}"
            f"Previous code (fix the failing line; do not repeat the error):\n```python\n{code}```")


def _review_code(model: BaseChatModel, settings: Settings, plan: agents.Plan, hits: Sequence[Hit], code: str, seed: int) -> tuple[agents.CodeReview | None, list]:
    try:
        return agents.review_code(model, load_prompt("review_code", settings.prompts_dir), plan, hits, code, seed=seed)
    except LLMError:
        return None, []


def _judge(model: BaseChatModel, settings: Settings, run: rd.Run, iterations: Sequence[int], plan: agents.Plan,
           seed: int) -> agents.ResultsReview | None:
    """The critic's reading of the statistics of every finished condition (one call per run), vetted
    by a program; written to the last iteration's folder."""
    n = iterations[-1]
    with run.phase(f"review-results-{n}"):
        metrics = [load_metrics(run.iteration_dir(i) / rd.METRICS) for i in iterations]
        comparisons = [compare_arms(m) for m in metrics]
        results = "\n\n".join(f"{condition_of(m['config']).capitalize()}:\n{c.as_text()}" for m, c in zip(metrics, comparisons))
        try:
            review, replies = agents.review_results(
                model, load_prompt("review_results", settings.prompts_dir), plan, results, seed=seed
            )
        except LLMError as exc:
            run.write_json(f"{rd.ITERATIONS}/{n}/{rd.RESULTS_REVIEW}", {"unchecked": str(exc)})
            return None
        run.add_usage(replies)
        values = measured_values(*metrics, *(c.as_dict() for c in comparisons))
        review, rejected = vet_review(review, values, {c.conclusion for c in comparisons}, idea_bug_symptoms(metrics))
        run.write_json(f"{rd.ITERATIONS}/{n}/{rd.RESULTS_REVIEW}", {**review.model_dump(), "rejected": rejected})
        return review



def vet_review(review: agents.ResultsReview, values: Sequence[float], conclusions: Collection[str],
               symptoms: Sequence[str] = ()) -> tuple[agents.ResultsReview, list[str]]:
    """The critic's reading without the statements a program can refute (a number not in the results,
    a p-value outside [0, 1], a winner the statistics do not name); each refuted one with its reason.
    A request to fix a bug stands only with a symptom in the metrics (`symptoms`: the idea arm never
    moved, diverged or learned nothing): a critic that reads only statistics cannot see a bug in code
    it was not shown, its wide interval is not one, and a baseline that learned nothing is no bug in the idea's code."""
    rejected, concerns = [], []
    if review.request == "fix_bug" and not symptoms:
        rejected.append("request fix_bug (the idea arm shows no symptom of a bug under every condition: "
                        "it learned and did not diverge under at least one)")
        review = review.model_copy(update={"request": "none"})
    for concern in review.concerns:
        objections = audit_statement(concern, values, conclusions)
        (rejected.append(f"{concern} ({'; '.join(objections)})") if objections else concerns.append(concern))
    summary = review.summary
    if objections := audit_statement(summary, values, conclusions):
        rejected.append(f"{summary} ({'; '.join(objections)})")
        summary = ""
    return review.model_copy(update={"concerns": concerns, "summary": summary}), rejected


def _numbers(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.5g}" for v in values) + (", ...]" if len(values) >= 4 else "]")


# A copy of the worked example, told without quoting the copied lines: a small model shown them writes them again.
COPIED_UNQUOTED = "the code copied the worked example's own rule instead of the idea's (the example is no longer shown). " \
                  "Write the idea's formulas instead: "


def without_code(feedback: str) -> str:
    """Feedback with its code blocks left out: a small model shown its failed code writes it out again."""
    return CODE_BLOCK.sub("(the previous code is not shown: write the code anew, without the problem below)", feedback) \
        + "\nDo not repeat the previous code."


def retry_temperature(attempt: int) -> float | None:
    """The model's own temperature first, then hotter: a retry that repeats the same code is wasted."""
    return None if attempt == 0 else min(0.3 + 0.2 * attempt, 0.9)


REDRAWS_OF_FAILED_CODE = 2  # replies drawn again, hotter, while the model writes code that already failed
ArmsCheck = Callable[[rd.Run, int, str], str]  # builds both arms of iteration n's code: feedback, or ""


class _CodeWriter:
    """Writes idea code and reviews it before anything runs: static checks, then the critic."""

    def __init__(self, model: BaseChatModel, settings: Settings, plan: agents.Plan, hits: Sequence[Hit], names: str,
                 options: ExperimentOptions) -> None:
        self.model, self.settings, self.plan, self.options, self.names = model, settings, plan, options, names
        self.all_hits, self.hits = hits, idea_passages(names, hits)
        self.note_pairs = note_pairs(names, hits)
        self.note_text = text_of(self.hits)
        self.own_text = own_text(names, hits)
        self.formulas = formula_lines(names, hits)
        self.program = note_program(self.formulas, plan.kinds, self.note_text)
        self.prompt = load_prompt("write_idea_code", settings.prompts_dir)
        self.body_prompt = load_prompt("write_idea_body", settings.prompts_dir)
        self.skeleton = skeleton_for(plan.kinds, self.note_text, plan.task)
        self.interface = describe_interface(hooks_for(plan.kinds))
        self.rejections = 0
        self.attempts = 0
        self.failed: set[str] = set()  # code as the model wrote it that failed a check or a run
        self.last_written = ""
        self.show_examples = True  # off once the model copied a worked example
        self.program_failed = False  # the code the program wrote from the notes failed a check or a run: the model writes
        self.keep: dict[str, str] = {}  # parts of a side-by-side skeleton no problem was found in, kept next time
        self.critic_rejected: tuple[str, list[str]] | None = None  # the code the critic last rejected, and why

    def attempt(self, run: rd.Run, n: int, feedback: str, reporter: Reporter, check_arms: ArmsCheck,
                last: bool = False) -> tuple[str | None, str]:
        """(code, "") when the code may run, else (None, feedback for the next attempt). On the last
        attempt, code that passed the static checks and built both arms runs even when the critic rejects
        it (flagged). `check_arms(run, n, code)` builds both arms in the sandbox: its feedback, or ""."""
        folder, seed = f"{rd.ITERATIONS}/{n}", self.options.llm_seed + n
        reporter.phase(f"code-{n}", "writing the idea code")
        with run.phase(f"codegen-{n}"):
            keep, self.keep = self.keep, {}
            code, reply = self._write(self.plan, self.hits, feedback, seed, retry_temperature(self.attempts), keep)
            if keep:
                reporter.info("Kept the parts no problem was found in: " + ", ".join(keep))
            self.attempts += 1
            run.add_usage([reply])
            for redraw in range(1, REDRAWS_OF_FAILED_CODE + 1):
                if code not in self.failed:
                    break
                reporter.info("The model repeated code that already failed; asking again without showing it.")
                self.show_examples = self.show_examples and redraw == 1  # the second time, without the example too
                code, reply = self._write(self.plan, self.hits, without_code(feedback), seed + redraw,
                                          retry_temperature(self.attempts + redraw - 1))
                run.add_usage([reply])
            draws = self.options.code_samples if reply.prompt_tokens else 1  # the program's code is the same each time
            code, problems, arms = self._first_good_draw(run, n, (code, reply.total_s), feedback, seed, keep, draws,
                                                         check_arms, reporter)
        if blocked := blocking(problems):
            self.record_failure()
            self.keep = self._blameless(code, blocked)
            reporter.info(f"Static check failed: {len(blocked)} problem(s); asking for a fix.")
            copied = any(p.kind == "copied_example" for p in blocked)
            if copied:  # shown the copy or the example, it copies again
                self.show_examples = False
                blocked = [Problem(p.kind, COPIED_UNQUOTED + self.plan.idea_rule, p.line) if p.kind == "copied_example"
                           else p for p in blocked]
            feedback = f"The previous code was rejected before running.\n```python\n{code}```\nProblems:\n{format_problems(blocked)}"
            if copied:
                feedback = without_code(feedback)
            return None, feedback
        if arms:
            self.record_failure()
            return None, arms
        if not reply.prompt_tokens and self.skeleton and written_by_program(self.skeleton, code):
            reporter.info("Every function is the note's formulas, written by the program: no critic needed.")
            run.write_json(f"{folder}/{rd.CODE_REVIEW}", {"skipped": "every function written from the note's formulas"})
            return code, ""
        if self.critic_rejected and self.critic_rejected[0] == _without_imports(code):
            reporter.info("Shown the critic's problems, the code writer wrote the same code again: it runs, with the "
                          "critic's problems in the report.")
            run.write_json(f"{folder}/{rd.CODE_REVIEW}", {
                "matches_note": False, "problems": self.critic_rejected[1],
                "summary": "the code writer, shown these problems, wrote the same code again; it ran"})
            return code, ""
        reporter.phase(f"review-{n}", "critic compares the code with the note")
        with run.phase(f"review-code-{n}"):
            shown = written_part(self.skeleton, code) if self.skeleton else code
            review, replies = _review_code(self.model, self.settings, self.plan, self.hits, shown, seed)
            run.add_usage(replies)
            run.write_json(f"{folder}/{rd.CODE_REVIEW}", review if review else {"unchecked": "no valid critic reply"})
        if review and not review.matches_note and self.rejections < self.options.max_code_rejections and not last:
            self.rejections += 1
            self.critic_rejected = (_without_imports(code), list(review.problems))
            reporter.info("Critic: the code does not match the note: " + "; ".join(review.problems)[:300])
            return None, ("A reviewer compared the previous code with the notes and found problems.\n"
                          f"```python\n{code}```\nProblems:\n- " + "\n- ".join(review.problems))
        return code, ""

    def _first_good_draw(self, run: rd.Run, n: int, first: tuple[str, float], feedback: str, seed: int,
                         keep: dict[str, str], draws: int, check_arms: ArmsCheck,
                         reporter: Reporter) -> tuple[str, list[Problem], str]:
        """The first reply (`first`: its code and seconds) and, while the code is blocked, more replies to
        the same request (other seeds, hotter; without the worked example once a draw copied it or repeated
        an earlier one), up to `draws` in all: each fixed and statically checked, and code that passes built
        in the sandbox (both arms, seconds). Returns the first draw that passes both, else the best (the last
        that passed the static checks, else the one with the fewest blocking problems): its code, static
        problems and arms feedback ("" when the arms were built or never tried).
        A small model shown its problems often repeats them, while an independent draw often has none; a
        draw of an unchanged prompt reuses its cached state, so it costs the reply's tokens only. Every draw
        is kept in the iteration folder (sample-K.py), with what blocked it and its seconds (samples.json)."""
        folder, (written, seconds) = f"{rd.ITERATIONS}/{n}", first
        best: tuple[str, str, list[Fix], list[Problem], str] | None = None  # written, code, fixes, problems, arms
        drawn: list[dict] = []
        for k in range(draws):
            if k:
                reporter.info(f"Blocked ({', '.join(drawn[-1]['blocking'])}): drawing another reply ({k + 1} of {draws}).")
                written, reply = self._write(self.plan, self.hits, feedback, seed + 1000 * k,
                                             retry_temperature(self.attempts + k), keep)
                run.add_usage([reply])
                seconds = reply.total_s
                run.write_text(f"{folder}/sample-{k + 1}.py", written)
                if written in self.failed or any(written == d["written"] for d in drawn):
                    drawn.append({"sample": k + 1, "written": written, "blocking": ["repeated"], "seconds": seconds})
                    self.show_examples = False  # the same reply at a hotter temperature: only another prompt differs
                    continue
            code, fixes, problems = self._fix_and_check(written, run, folder, seed + 1000 * k, reporter)
            arms = ""
            if not blocking(problems):
                self._record_code(run, folder, code, fixes, problems, reporter)
                arms = check_arms(run, n, code)
            drawn.append({"sample": k + 1, "written": written, "seconds": seconds,
                          "blocking": [p.kind for p in blocking(problems)] + (["arms"] if arms else [])})
            if "copied_example" in drawn[-1]["blocking"]:  # shown the example again, the model copies it again
                self.show_examples = False
            if best is None or not blocking(problems) or len(blocking(problems)) < len(blocking(best[3])):
                best = (written, code, fixes, problems, arms)  # the last draw that passed the static checks wins
            if not blocking(problems) and not arms:
                break
        assert best is not None
        written, code, fixes, problems, arms = best
        if blocking(problems):
            self._record_code(run, folder, code, fixes, problems, reporter)
        if draws > 1:
            run.write_json(f"{folder}/samples.json", [{key: d[key] for key in ("sample", "blocking", "seconds")}
                                                      for d in drawn])
        self.last_written = written
        return code, problems, arms

    @staticmethod
    def _record_code(run: rd.Run, folder: str, code: str, fixes: Sequence[Fix], problems: Sequence[Problem],
                     reporter: Reporter) -> None:
        if fixes:
            run.write_json(f"{folder}/{rd.AUTOFIX}", [str(f) for f in fixes])
            reporter.info("Fixed mechanically: " + "; ".join(map(str, fixes)))
        run.write_text(f"{folder}/{rd.IDEA_CODE}", code)
        run.write_json(f"{folder}/{rd.STATIC_CHECK}", [p.as_dict() for p in problems])

    def formula_mismatch(self, run: rd.Run, n: int, code: str, reporter: Reporter, last: bool) -> str:
        """Feedback when the note's formulas, run beside the code's hook in the sandbox (guards/note_program.py),
        give other values; "" when they agree, cannot be run, or the code is out of rejections (it then
        runs, and formula.json keeps the disagreement)."""
        if self.program is None or not self.program.can_probe:
            return ""
        reporter.phase(f"formula-{n}", "running the note's formulas beside the code")
        verdict = probe_formulas(run, n, self.program.as_dict(), self.options)
        if not verdict or not verdict.get("checked") or verdict.get("ok"):
            return ""
        found = verdict.get("why") or f"the formulas give {_numbers(verdict['expected'])}, the code gives {_numbers(verdict['got'])}"
        reporter.info(f"The code disagrees with the note's formulas on {verdict['where']}: {found}.")
        if self.rejections >= self.options.max_code_rejections or last:
            return ""
        self.rejections += 1
        shown = written_part(self.skeleton, code) if self.skeleton else code
        return (f"The note's formulas, run exactly as written ({self.program.as_text()}), and the previous code disagree "
                f"on {verdict['where']}: {found}. Write each formula of the note as it is written, with its constants.\n"
                f"```python\n{shown}```")

    def _write(self, plan: agents.Plan, hits: Sequence[Hit], feedback: str, seed: int,
               temperature: float | None = None, keep: dict[str, str] | None = None) -> tuple[str, LLMReply]:
        """One reply of the code generator for `plan` from `hits`: the kind's skeleton filled in when it
        has one (guards/skeleton.py), keeping the parts in `keep`, else the whole idea code with the
        harness interface."""
        if self.skeleton and plan.kinds == self.plan.kinds:
            return agents.write_idea_body(self.model, self.body_prompt, plan, hits, self.skeleton, feedback,
                                          seed=seed, temperature=temperature, show_examples=self.show_examples,
                                          keep=keep, by_program=not self.program_failed)
        return agents.write_idea_code(self.model, self.prompt, plan, hits, self.interface, feedback,
                                      seed=seed, temperature=temperature, show_examples=self.show_examples)

    def _blameless(self, checked: str, problems: Sequence[Problem]) -> dict[str, str]:
        """The parts of the last written side-by-side code that none of `problems` points at, to keep as
        they are: each problem must name its line (in the checked code) or quote the copied lines;
        one that speaks of the whole code (a formula of the notes never computed) keeps nothing."""
        if not self.skeleton or not self.skeleton.parts:
            return {}
        lines, evidence = checked.splitlines(), []
        for problem in problems:
            copied = problem.message.split(". Write the idea's formulas")[0] if problem.kind == "copied_example" else ""
            quoted = re.findall(r"`([^`\n]{8,})`", copied)
            if quoted:
                evidence += quoted
            elif problem.line and 1 < problem.line <= len(lines):
                evidence.append(lines[problem.line - 1])
            else:
                return {}
        return blameless_parts(self.skeleton, self.last_written, evidence)

    def record_failure(self) -> None:
        """The last code written failed: if the model writes it again, it is asked for anew; if the program wrote it
        (the same every time), the model writes the next."""
        self.failed.add(self.last_written)
        if self.skeleton and written_by_program(self.skeleton, self.last_written):
            self.program_failed = True

    def _fix_and_check(self, code: str, run: rd.Run, folder: str, seed: int,
                       reporter: Reporter) -> tuple[str, list[Fix], list[Problem]]:
        """The code after mechanical fixes and, when it lacks a hook the notes call for, completion;
        the fixes made; the problems left (static checks, lines copied from the prompt's example)."""
        code, fixes = apply_fixes(code, self.plan.kinds, self.note_pairs)
        code, periodic = add_note_period(code, self.own_text, self.plan.kinds)
        code, biases = add_note_bias_guard(code, self.own_text, self.plan.kinds)
        code, functions = define_note_functions(code, self.note_text)
        code, defined = define_note_constants(code, f"{self.note_text}\n{self.plan.idea_rule}")
        code, started = start_parameters_as_noted(code, self.note_text)
        fixes += periodic + biases + functions + defined + started
        problems = check_idea_code(code, self.plan.kinds, self.note_pairs)
        if any(p.kind == "missing_hook" for p in problems):
            reporter.info("A hook the notes call for is missing; asking for it on its own.")
            code, replies = self._complete(code, run, folder, seed)
            run.add_usage(replies)
            code, more_fixes = apply_fixes(code, self.plan.kinds, self.note_pairs)
            fixes += more_fixes
            problems = check_idea_code(code, self.plan.kinds, self.note_pairs)
        problems += self._note_problems(code)
        examples = agents.idea_examples(self.plan.kinds) + (self.skeleton.example if self.skeleton else "")
        if copied := agents.copied_example_rules(code, examples, self.note_text):
            stripped, removed = agents.without_lines(code, copied)
            stripped_problems = self._problems(stripped) if removed else []
            if removed and not blocking(stripped_problems):  # the idea's own formulas stand without the copied lines
                return stripped, fixes + [Fix(line, text, "removed: the worked example's own rule") for line, text in removed], \
                    stripped_problems
            problems.append(Problem("copied_example", "these lines copy the prompt example's own rule, not the idea: "
                                    + "; ".join(f"`{line}`" for line in copied)
                                    + f". Write the idea's formulas there instead: {self.plan.idea_rule}"))
        elif terms := agents.copied_example_terms(code, examples, self.note_text):
            stripped = agents.without_terms(code, terms)
            if not blocking(stripped_problems := self._problems(stripped)):  # the idea's formula without the example's term
                return stripped, fixes + [Fix(0, f"+ {term}", "removed: a term of the worked example's own rule")
                                          for term in terms], stripped_problems
            problems.append(Problem("copied_example", "these terms copy the prompt example's own rule, not the idea: "
                                    + "; ".join(f"`{term}`" for term in terms)
                                    + f". Write the idea's formulas there instead: {self.plan.idea_rule}"))
        return code, fixes, problems

    def _problems(self, code: str) -> list[Problem]:
        """The static checks' problems with `code` and what it leaves out of the notes."""
        return check_idea_code(code, self.plan.kinds, self.note_pairs) + self._note_problems(code)

    def _note_problems(self, code: str) -> list[Problem]:
        """What the code leaves out of the notes: their symbols, period, bias case, a cell of their own, a value they keep,
        the smallest values they choose, a comparison of each entry with 0, the mechanism their title names, the
        parameters they give a layer, the values their rule gives."""
        written = self.skeleton is not None and written_by_program(self.skeleton, code)  # it read the same formulas
        return ([] if written else missing_note_symbols(code, self.formulas, self.plan.kinds)
                + unused_note_values(code, self.formulas)) \
            + missing_period(code, self.note_text, self.plan.kinds) + missing_bias_case(code, self.own_text, self.plan.kinds) \
            + stock_recurrent_cell(code, self.formulas, self.plan.kinds) + unkept_state(code, self.formulas, self.plan.kinds) \
            + unkept_gradient(code, self.formulas, self.plan.kinds) + reversed_selection(code, self.own_text) \
            + reduced_against_zero(code, self.formulas) \
            + missing_mechanism(code, self.own_text, self.plan.kinds) \
            + missing_own_parameters(code, self.formulas, self.plan.kinds)

    def _complete(self, code: str, run: rd.Run, folder: str, seed: int) -> tuple[str, list[LLMReply]]:
        """Each missing hook (or one that only returns torch's own optimizer) asked for on its own, with
        only the passages that call for it, and merged into the code (experiments/guards/complete.py). A piece
        that copies the example's own rule is asked for once more, with the copied line named.
        Each piece the model wrote is kept in the iteration folder as completion-HOOK.py."""
        replies = []
        for hook, why in missing_hooks(ast.parse(code), self.plan.kinds):
            passages, parts = passages_for_hook(self.names, self.all_hits, hook)
            if not passages:
                continue
            code = drop_definitions(code, {hook})
            parts = parts or self.plan.kinds
            plan = self.plan.model_copy(update={"kinds": parts, "idea_name": f"{hook} of {self.plan.idea_name}",
                                                "idea_rule": formulas_in(passages) or self.plan.idea_rule})
            feedback = (f"The rest of the experiment is written already; only `{hook}` is missing ({why}). "
                        f"Write only `{hook}` and the classes it needs, for the {' and '.join(parts)} as the note "
                        "excerpts describe it. Do not write any other hook or class.")
            piece, reply = self._write(plan, passages, feedback, seed)
            replies.append(reply)
            if copied := agents.copied_example_rules(piece, agents.idea_examples(parts), self.note_text):
                retry = (f"{feedback}\nYour last try copied the example's own rule: "
                         + "; ".join(f"`{line}`" for line in copied) + f". Write the notes' formulas instead: {plan.idea_rule}")
                piece, reply = self._write(plan, passages, retry, seed + 1, retry_temperature(1))
                replies.append(reply)
            run.write_text(f"{folder}/completion-{hook}.py", piece)
            code = merge_piece(code, piece)
        return code, replies


def run_experiment(
    settings: Settings,
    options: ExperimentOptions,
    reporter: Reporter,
    model: BaseChatModel,
    run: rd.Run | None = None,
) -> rd.Run:
    """Run (or resume) the whole flow; returns the run, whose record says how it ended.

    The code writer's attempts are bounded by max_attempts; the runs that reuse accepted code (the
    sweep's conditions, a longer budget, more seeds: pipeline/sweep.py) are bounded by the sweep."""
    run = run or rd.create_run(settings.runs_dir, options.request)
    run.update(status="running", model=settings.llm_model, provider=settings.llm_provider)
    reporter.info(f"Run {run.id} in {run.path}")
    reporter.phase("find-idea", options.request)
    hits, names = _find_idea(settings, run, options, model)
    if names != options.request:
        reporter.info(f"The idea's section, named through the request's translation: {names}")
    passages_text = text_of(idea_passages(names, hits))  # the idea's sections with their setup
    if why := refusal(passages_text):
        run.update(status="refused", error=why)
        raise ExperimentError(f"{why} Nothing was run; the note passages are in {run.path}.")
    reporter.phase("plan")
    plan = _plan(model, settings, run, options, names, hits)
    reporter.info(f"Plan: {plan.idea_name} on {plan.task} — {plan.hypothesis}")
    steps = _steps_for_period(options.steps, plan.kinds, passages_text, reporter)
    conditions = sweep.from_json(run.read_json(CONDITIONS)) or [
        sweep.Condition(*settings, steps=steps, seeds=options.seeds)
        for settings in sweep.condition_settings(settings_of(plan))]
    baseline = _baseline(options.request, plan.kinds, names, hits)
    sizes = setup_sizes(passages_text)
    if sizes.said():
        reporter.info(f"The note's own setup: {sizes.said()}.")
    base = ExperimentConfig(idea_name=plan.idea_name[:60], task=plan.task, seeds=tuple(range(options.seeds)), steps=steps,
                            batch_size=sizes.batch_size or ExperimentConfig.batch_size,
                            hidden=sizes.hidden or ExperimentConfig.hidden,
                            baseline_optimizer=baseline.optimizer, baseline_norm=baseline.norm,
                            baseline_momentum=baseline.momentum, baseline_activation=baseline.activation,
                            baseline_schedule=baseline.schedule, match_params=baseline.matched)
    writer = _CodeWriter(model, settings, plan, hits, names, options)

    def check_arms(run: rd.Run, n: int, code: str) -> str:
        return _check_arms(run, n, code, base, plan.kinds, writer.note_text, options, reporter)

    code = _accepted_code(run, conditions)
    feedback, attempts, n = "", 0, max(run.iterations(), default=0)
    purpose = "write the idea code" if code is None else "resume: the accepted code under the next condition"
    deadline = time.monotonic() + 60 * options.budget_min if options.budget_min else None
    judged = False  # the results critic reads the finished conditions once per run
    before_rewrite: list[sweep.Condition] = []  # the finished conditions a rewrite the critic asked for would replace
    while (current := next((i for i, c in enumerate(conditions) if c.state == "pending"), None)) is not None:
        condition = conditions[current]
        n += 1
        if code is None:
            if attempts == options.max_attempts:
                break
            attempts += 1
            run.write_text(f"{rd.ITERATIONS}/{n}/{rd.PURPOSE}", purpose)
            code, feedback = writer.attempt(run, n, feedback, reporter, check_arms, last=attempts == options.max_attempts)
            if code is not None and (mismatch := writer.formula_mismatch(run, n, code, reporter, attempts == options.max_attempts)):
                writer.record_failure()
                code, feedback = None, mismatch
            if code is None:
                purpose = f"rewrite the code: {feedback.splitlines()[0]}"
                continue
        else:
            run.write_text(f"{rd.ITERATIONS}/{n}/{rd.IDEA_CODE}", code)
            run.write_text(f"{rd.ITERATIONS}/{n}/{rd.PURPOSE}", purpose)
        config = replace(base, seeds=tuple(range(condition.seeds)), steps=condition.steps,
                         **dict(zip(CONDITION_FIELDS, condition.settings)))
        outcome = _run_condition(run, n, code, config, options, reporter, _prior_metrics(run, condition, code),
                                 normal=condition.settings == sweep.NORMAL)
        if isinstance(outcome, str):
            writer.record_failure()
            code, feedback, purpose = None, outcome, f"rewrite the code: {outcome.splitlines()[0]}"
            continue
        comparison, learned = outcome
        following = sweep.next_run(condition, comparison, learned, steps, options.max_seeds)
        if following is not None and (deadline is None or time.monotonic() < deadline):
            reporter.info(following.why[0].upper() + following.why[1:] + ".")
            conditions[current] = replace(condition, steps=following.steps, seeds=following.seeds, iteration=n)
            purpose = following.why
        else:
            conditions[current] = sweep.finished(condition, comparison, learned, n, over_time=following is not None)
            purpose = "the next condition of the claim, with the accepted code"
            run.promote(n)
        if all(c.state != "pending" for c in conditions) and not judged:
            judged = True
            learned_in = [c.iteration for c in conditions if c.state == "done" and c.iteration is not None]
            verdict = _judge(model, settings, run, learned_in, plan, options.llm_seed + n) if learned_in else None
            if verdict and verdict.request == "fix_bug" and attempts < options.max_attempts:
                reporter.info("The critic suspects a bug: the code is written again and every condition runs again.")
                before_rewrite = list(conditions)
                feedback = "A reviewer read the measured results and suspects a bug:\n" \
                           f"```python\n{code}```\n- " + "\n- ".join(verdict.concerns)
                code, purpose = None, "the results critic's request: fix a suspected bug"
                conditions = [replace(c, state="pending", steps=steps, seeds=options.seeds, ended_by="")
                              for c in conditions]
        run.write_json(CONDITIONS, sweep.to_json(conditions))
    if not any(c.state != "pending" for c in conditions) and before_rewrite:
        reporter.info("The rewrite the critic asked for found no usable code: the results of the code before it "
                      "are reported, with the critic's concerns.")
        conditions = before_rewrite
        run.write_json(CONDITIONS, sweep.to_json(conditions))
    if not any(c.state != "pending" for c in conditions):
        why = _first_problem(feedback)
        run.update(status="failed", error=f"no usable result after {options.max_attempts} attempts; the last: {why}")
        raise ExperimentError(f"No usable experiment after {options.max_attempts} attempts (the last: {why}); "
                              f"see {run.path}.")
    claim = next(c for c in conditions if c.state != "pending")  # the claim's own condition comes first
    run.promote(claim.iteration)  # the report's main results are the claim's condition; the table has all
    reporter.phase("report")
    with run.phase("report"):
        write_report(run, status="done")
    run.update(status="done")
    _write_back(settings, run, reporter)
    return run


def _first_problem(feedback: str) -> str:
    """The first problem listed in feedback for the code writer (its first line when none is listed), shortened."""
    lines = [line for line in feedback.splitlines() if line.strip()]
    problem = next((line[2:] for line in lines if line.startswith("- ")), lines[0] if lines else "no code was written")
    return problem if len(problem) <= 300 else problem[:297] + "..."


def _check_arms(run: rd.Run, n: int, code: str, config: ExperimentConfig, kinds: Sequence[str], note_text: str,
                options: ExperimentOptions, reporter: Reporter) -> str:
    """Build both arms without training and compare them (guards/confounds.py): "" when the idea arm
    differs from the baseline only where the idea's kinds allow and changes the weights at the steps
    the notes name, else the feedback for the code writer. The differences go to the iteration's
    arms_diff.md for the report."""
    folder = f"{rd.ITERATIONS}/{n}"
    run.write_text(f"{folder}/{rd.EXPERIMENT}", assemble_script(code, config))
    reporter.phase(f"describe-{n}", "building both arms to compare them")
    arms, result = describe_arms(run, n, options)
    if arms is None:
        run.write_json(f"{folder}/{rd.RESULT}", result)
        return _failure_feedback(run, n, code, result)
    differences = compare(arms, allowed_changes(kinds))
    run.write_text(f"{folder}/{rd.ARMS_DIFF}", diff_table(differences))
    if problems := period_mismatch(arms["arms"]["idea"]["probes"]["after_step"]["changed_at"], note_text, kinds):
        reporter.info(f"Period: {problems[0].message[:200]}")
        run.write_json(f"{folder}/{rd.STATIC_CHECK}", [p.as_dict() for p in problems])
        return f"The previous code does the notes' operation at the wrong steps.\n```python\n{code}```\nProblems:\n{format_problems(problems)}"
    if problems := cannot_learn(arms):
        reporter.info(f"Cannot learn: {problems[0].message[:200]}")
        run.write_json(f"{folder}/{rd.STATIC_CHECK}", [p.as_dict() for p in problems])
        return f"The previous code builds an idea arm that cannot learn.\n```python\n{code}```\nProblems:\n{format_problems(problems)}"
    if problems := confound_problems(differences):
        reporter.info(f"Confound: {problems[0].message[:200]}")
        run.write_json(f"{folder}/{rd.STATIC_CHECK}", [p.as_dict() for p in problems])
        return (f"The previous code builds an idea arm that differs from the baseline where the idea says nothing.\n"
                f"```python\n{code}```\nProblems:\n{format_problems(problems)}")
    return ""


def _accepted_code(run: rd.Run, conditions: Sequence[sweep.Condition]) -> str | None:
    """On resume: the idea code a condition already ran with usable results, so the others reuse it."""
    for condition in conditions:
        if condition.iteration is not None:
            return run.read_text(f"{rd.ITERATIONS}/{condition.iteration}/{rd.IDEA_CODE}")
    return None


def _prior_metrics(run: rd.Run, condition: sweep.Condition, code: str) -> dict | None:
    """The metrics of the condition's last run with this code, whose seeds a run with more seeds keeps; None when
    there is none."""
    if condition.iteration is None or run.read_text(f"{rd.ITERATIONS}/{condition.iteration}/{rd.IDEA_CODE}") != code:
        return None
    try:
        return load_metrics(run.iteration_dir(condition.iteration) / rd.METRICS)
    except ExperimentError:
        return None


def _run_condition(run: rd.Run, n: int, code: str, config: ExperimentConfig, options: ExperimentOptions,
                   reporter: Reporter, prior: dict | None = None, normal: bool = True) -> tuple[Comparison, bool] | str:
    """Run the code under one condition: (comparison, whether an arm learned), or the feedback for
    the code writer when the run failed or its results are unusable. With the `prior` metrics of the same
    run with fewer seeds, only the new seeds train (experiments/results/added_seeds.py). Under the `normal` setting
    an idea arm that learned nothing where the baseline learned is unusable; under a claim's harder condition
    it is a result."""
    added = added_seeds_config(prior, config) if prior else None
    result = _sandbox_run(run, n, code, added or config, options, reporter)
    if added and prior and result.status == "ok":
        folder = run.iteration_dir(n)
        together = merged(prior, load_metrics(folder / rd.METRICS))
        (folder / rd.METRICS).replace(folder / rd.ADDED_SEEDS_METRICS)
        (folder / rd.EXPERIMENT).replace(folder / rd.ADDED_SEEDS_EXPERIMENT)
        if together is None:
            reporter.info("A seed diverged at its arm's rate: every seed runs again, with the rate search.")
            result = _sandbox_run(run, n, code, config, options, reporter)
        else:
            run.write_text(f"{rd.ITERATIONS}/{n}/{rd.EXPERIMENT}", assemble_script(code, config))  # all seeds at once
            run.write_json(f"{rd.ITERATIONS}/{n}/{rd.METRICS}", together)
    if result.status != "ok":
        return _failure_feedback(run, n, code, result)
    metrics = load_metrics(run.iteration_dir(n) / rd.METRICS)
    problems = validate_metrics(metrics)
    if any(p.kind == "same_as_baseline" for p in problems):
        problems += unreached_steps(code, config.steps)  # why the idea's code changed nothing, where a step says so
    if normal:
        problems += idea_alone_unlearned(problems)
    if any(p.kind in BLOCKING for p in problems):
        problems_text = format_problems(sorted(problems, key=lambda p: p.kind not in BLOCKING))  # what blocks, first
        hints = "".join(f"\nHint: {hint}" for hint in hints_for(problems_text))
        return f"The previous code ran but the results are unusable:\n```python\n{code}```\n{problems_text}{hints}"
    return compare_arms(metrics), not neither_learned(problems)


def _sandbox_run(run: rd.Run, n: int, code: str, config: ExperimentConfig, options: ExperimentOptions,
                 reporter: Reporter) -> RunResult:
    """Iteration n's experiment.py for `config`, run in the sandbox."""
    run.write_text(f"{rd.ITERATIONS}/{n}/{rd.EXPERIMENT}", assemble_script(code, config))
    seeds = f"{len(config.seeds)} seeds" if not config.arm_lrs else \
        f"{len(config.seeds)} seeds added ({', '.join(map(str, config.seeds))}), each arm at the rate its search chose"
    condition = condition_label(*settings_of(config))
    reporter.phase(f"run-{n}", f"{condition}: {seeds} × 2 arms × {config.steps} steps in the sandbox")
    result = run_iteration(run, n, options, reporter)
    reporter.info(f"Sandbox: {result.status} in {result.duration_s:.1f}s on {result.device} ({result.isolation}).")
    if result.status == "interrupted":
        raise KeyboardInterrupt
    return result


def _write_back(settings: Settings, run: rd.Run, reporter: Reporter) -> None:
    """The run's result note into the results folder, ingested so `ask` can answer from it."""
    from agentnotes.index.ingest import ingest

    path = write_result_note(run, settings.results_dir)
    try:
        ingest(settings, [settings.results_dir], announce=reporter.info)
    except AgentNotesError as exc:  # the result stands; only the write-back into the notes failed
        reporter.info(f"The result note {path} was written but not ingested: {exc}")
        return
    reporter.info(f"Result note {path} added to the notes.")
