"""optimize_prompt(): gepa searches better instructions for the answer prompt on a train split,
starting from the fixes for rules the prompt states twice and, when asked, the audit agents' fixes
for contradictions and mismatched examples; a new version is kept only when it beats the current
prompt on the held-out split."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentnotes.agents.answer import ANSWER_K, ANSWER_SEED
from agentnotes.errors import InputError
from agentnotes.settings import Settings

SUPPORTED = ("answer",)
HELD_OUT_EVERY = 3  # one question in three is held out
METRIC = "cites_right_chunk"


@dataclass(frozen=True)
class OptimizeResult:
    name: str
    base_version: str
    train_questions: int
    val_questions: int
    val_before: float
    val_after: float
    candidates: int
    metric_calls: int
    saved_version: str | None  # None when nothing beat the current prompt on the held-out split
    state_dir: Path
    edits: list[str]  # each proposed edit this run: the failure pattern and the new instruction
    findings: list[str]  # what the audit agents found in the current prompt (each is also proposed as an edit)


def split(items: list, key: Callable[[object], str]) -> tuple[list, list]:
    """Deterministic train / held-out split by a hash of each item's key."""
    def held_out(item: object) -> bool:
        return int(hashlib.sha1(key(item).encode("utf-8")).hexdigest(), 16) % HELD_OUT_EVERY == 0

    return [i for i in items if not held_out(i)], [i for i in items if held_out(i)]


class SearchLog:
    """gepa's log lines, written to the search's own file: stdout belongs to the command (--json)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def log(self, *args: object, **_: object) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            print(*args, file=out)


def optimize_prompt(settings: Settings, name: str, eval_file: Path, budget: int, *, fresh: bool = False,
                    k: int = ANSWER_K, audit: bool = False, on_call: Callable[[float], None] | None = None) -> OptimizeResult:
    """Run (or resume) the search; `budget` bounds the answer calls used for scoring. Answers are
    scored as `ask` writes them: k excerpts (ask's default), its LLM seed, uncited sentences
    attributed to their closest excerpt. The first candidates state each repeated rule once; with
    `audit`, the audit agents' fixes follow (off by default: see prompt_audit)."""
    import gepa

    from agentnotes.evaluation.retrieval_eval import load_questions
    from agentnotes.index.embedders import get_embedder
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.optimize.answer_metric import AnswerTask
    from agentnotes.optimize.gepa_adapter import COMPONENT, AnswerPromptAdapter
    from agentnotes.optimize.prompt_audit import audit_prompt, repeated_rules
    from agentnotes.prompt_versions import PromptVersions
    from agentnotes.prompts import load_prompt
    from agentnotes.retrieval.service import retrieve

    if name not in SUPPORTED:
        raise InputError(f"optimize-prompt supports {', '.join(SUPPORTED)} (it needs a metric for the prompt); got '{name}'.")
    questions = load_questions(eval_file)
    train_q, val_q = split(questions, key=lambda q: q.question)
    if len(train_q) < 2 or len(val_q) < 1:
        raise InputError(f"{eval_file} has {len(questions)} questions; give at least 6 for a train and a held-out split.")
    minibatch = min(3, len(train_q))
    per_iteration = 2 * minibatch + len(val_q)  # parent and child on a minibatch, the child on the held-out split
    if budget < len(val_q) + per_iteration:
        raise InputError(f"--budget {budget} is too small: scoring the current prompt and one candidate takes "
                         f"{len(val_q) + per_iteration} calls; give at least that.")
    model = get_chat_model(settings, seed=ANSWER_SEED)
    tasks = {q.question: AnswerTask(q.question, q.source, q.contains, tuple(retrieve(settings, q.question, k)))
             for q in questions}  # retrieved as `ask` does (with the query rewrite when it is on)
    current = load_prompt(name, settings.prompts_dir)
    findings = repeated_rules(current.text) + (audit_prompt(model, current.system, settings.prompts_dir)[0] if audit else [])
    adapter = AnswerPromptAdapter(model, current, load_prompt("optimize_reflect", settings.prompts_dir), on_call, findings,
                                  embeddings=get_embedder(settings))
    search = hashlib.sha1(f"{current.text}\n{eval_file.read_text(encoding='utf-8')}\n{k}".encode("utf-8")).hexdigest()[:12]
    state_dir = settings.home / "optimize" / name / search  # resumes only the same search: same prompt, questions, k
    if fresh and state_dir.exists():
        shutil.rmtree(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    result = gepa.optimize(  # gepa checks the budget between iterations: stop early enough for the last one
        seed_candidate={COMPONENT: current.text},
        trainset=[tasks[q.question] for q in train_q], valset=[tasks[q.question] for q in val_q],
        adapter=adapter, candidate_selection_strategy="current_best",
        reflection_minibatch_size=minibatch, max_metric_calls=budget - per_iteration + 1, run_dir=str(state_dir / "gepa"),
        acceptance_criterion="strict_improvement", raise_on_exception=False, seed=0,
        logger=SearchLog(state_dir / "gepa_log.txt"),
    )
    scores = list(result.val_aggregate_scores)
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))  # ties keep the earlier (current) prompt
    versions = PromptVersions(settings.prompts_dir, name)
    versions.record_score(current.version, METRIC, "held-out", scores[0], len(val_q))
    saved = None
    if scores[best] > scores[0]:
        text = result.candidates[best][COMPONENT]
        saved = next((v for v in versions.versions() if versions.text(v) == text), None) or versions.add(text)
        versions.record_score(saved, METRIC, "held-out", scores[best], len(val_q))
    return OptimizeResult(name, current.version, len(train_q), len(val_q), scores[0], scores[best],
                          len(scores), result.total_metric_calls or 0, saved, state_dir,
                          adapter.edits, [f"{f.kind}: {f.description}" for f in findings])
