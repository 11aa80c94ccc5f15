"""Run directories: runs_dir/<ID>/ holds everything about one experiment, and record.json says how far it got.

Layout (names are the constants below):
    idea.json, plan.json, plan.md          what was asked, the note passages (file + lines), the plan
    iterations/<n>/                         one attempt: idea_code.py, autofix.json, experiment.py, static_check.json,
                                            code_review.json, result.json, stdout/stderr, metrics.json,
                                            results_review.json (the sandbox's run dir is this folder)
    experiment.py, metrics.json,            the accepted attempt, copied up by `promote(n)`
    environment.json
    stats.json, curves.png, final.png,      written by report.write_report
    report.md
    record.json                             status, phases with wall times, model, token counts
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import socket
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Protocol

from agentnotes.errors import InputError
from agentnotes.notes.types import Hit

RECORD = "record.json"
IDEA = "idea.json"
PLAN_JSON = "plan.json"
PLAN_MD = "plan.md"
EXPERIMENT = "experiment.py"
METRICS = "metrics.json"
ENVIRONMENT = "environment.json"
STATS = "stats.json"
REPORT = "report.md"
ITERATIONS = "iterations"
# inside iterations/<n>/
IDEA_CODE = "idea_code.py"
STATIC_CHECK = "static_check.json"
AUTOFIX = "autofix.json"
CODE_REVIEW = "code_review.json"
RESULT = "result.json"
RESULTS_REVIEW = "results_review.json"
PURPOSE = "purpose.txt"  # which request or failure the iteration answers
NOTE_PROGRAM = "note_program.json"  # the note's formulas as a program (guards/note_program.py)
FORMULA = "formula.json"  # what lab/formula_probe.py found running them beside the idea's hook
ADDED_SEEDS_EXPERIMENT = "experiment_added_seeds.py"  # the run of only the seeds added to the condition's last run
ADDED_SEEDS_METRICS = "metrics_added_seeds.json"  # what it wrote, before the merge into metrics.json
ARMS_DIFF = "arms_diff.md"  # how the idea arm differs from the baseline (guards/confounds.py)

RunStatus = Literal["running", "done", "failed", "interrupted", "broken", "refused"]
PhaseStatus = Literal["running", "done", "failed", "interrupted"]


class TokenUsage(Protocol):
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class PhaseRecord:
    """One phase of a run (plan, codegen-1, run-1, report...). `wall_s` is set when it ends."""

    name: str
    status: PhaseStatus
    started: str
    wall_s: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class RunRecord:
    """record.json. `status` reads "interrupted" for a run whose process died while running."""

    id: str
    request: str
    created: str
    status: RunStatus = "running"
    phases: tuple[PhaseRecord, ...] = ()
    model: str = ""
    provider: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    final_iteration: int | None = None
    conclusion: str = ""
    error: str = ""
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["phases"] = tuple(PhaseRecord(**p) for p in data.get("phases", ()))
        return cls(**values)

    def phase(self, name: str) -> PhaseRecord | None:
        return next((p for p in self.phases if p.name == name), None)

    def brief(self) -> dict[str, str]:
        """One line of `experiments list --json`."""
        return {"id": self.id, "status": self.status, "request": self.request, "conclusion": self.conclusion}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _to_json(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _to_json(dataclasses.asdict(obj))
    if hasattr(obj, "model_dump"):  # pydantic models (plans, verdicts)
        return obj.model_dump()
    if isinstance(obj, Mapping):
        return {str(k): _to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_json(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _alive(record: RunRecord) -> bool:
    if record.host != socket.gethostname():
        return True  # cannot tell from here
    try:
        os.kill(record.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Run:
    """A handle on one run directory; all state lives in the files."""

    path: Path

    @property
    def id(self) -> str:
        return self.path.name

    # ---- files ----
    def write_text(self, rel: str, text: str) -> Path:
        return _write_atomic(self.path / rel, text)

    def write_json(self, rel: str, obj: Any) -> Path:
        """Write dataclasses, pydantic models, mappings and lists as JSON."""
        return self.write_text(rel, json.dumps(_to_json(obj), ensure_ascii=False, indent=2) + "\n")

    def read_text(self, rel: str) -> str | None:
        path = self.path / rel
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None

    def read_json(self, rel: str) -> Any:
        """The parsed file, or None when it is missing or not valid JSON."""
        text = self.read_text(rel)
        try:
            return None if text is None else json.loads(text)
        except ValueError:
            return None

    # ---- record ----
    def summary(self) -> dict[str, Any]:
        """The record as `experiments show --json` prints it: status, paths, model, tokens, phases."""
        record = self.record()
        return {**record.brief(), "path": str(self.path), "report": str(self.path / REPORT), "model": record.model,
                "tokens": {"prompt": record.prompt_tokens, "completion": record.completion_tokens},
                "phases": [{"name": p.name, "status": p.status, "wall_s": p.wall_s} for p in record.phases],
                "error": record.error}

    def record(self) -> RunRecord:
        data = self.read_json(RECORD)
        if not isinstance(data, dict):
            return RunRecord(id=self.id, request="", created="", status="broken", error=f"{RECORD} is missing or invalid")
        record = RunRecord.from_dict(data)
        if record.status == "running" and not _alive(record):
            record = replace(record, status="interrupted")
        return record

    def _save(self, record: RunRecord) -> RunRecord:
        self.write_json(RECORD, record)
        return record

    def update(self, **changes: Any) -> RunRecord:
        """Change record fields (status, model, provider, conclusion, error, ...)."""
        return self._save(replace(self.record(), **changes))

    def add_usage(self, replies: Iterable[TokenUsage]) -> RunRecord:
        """Add the token counts of LLM replies to the record."""
        replies = list(replies)
        record = self.record()
        return self._save(replace(
            record,
            prompt_tokens=record.prompt_tokens + sum(r.prompt_tokens for r in replies),
            completion_tokens=record.completion_tokens + sum(r.completion_tokens for r in replies),
        ))

    def phase_done(self, name: str) -> bool:
        phase = self.record().phase(name)
        return phase is not None and phase.status == "done"

    def _set_phase(self, phase: PhaseRecord, **changes: Any) -> None:
        record = self.record()
        phases = [p for p in record.phases if p.name != phase.name]
        index = next((i for i, p in enumerate(record.phases) if p.name == phase.name), len(phases))
        phases.insert(index, phase)
        self._save(replace(record, phases=tuple(phases), **changes))

    @contextmanager
    def phase(self, name: str, detail: str = "") -> Iterator[None]:
        """Record a phase: running, then done / failed / interrupted with its wall time. Re-raises."""
        start = time.perf_counter()
        started = PhaseRecord(name, "running", _now(), detail=detail)
        self._set_phase(started, status="running", pid=os.getpid(), host=socket.gethostname(), error="")

        def end(outcome: PhaseStatus, **changes: Any) -> None:
            self._set_phase(replace(started, status=outcome, wall_s=round(time.perf_counter() - start, 3)), **changes)

        try:
            yield
        except KeyboardInterrupt:
            end("interrupted", status="interrupted", error=f"interrupted during {name}")
            raise
        except BaseException as exc:
            end("failed", status="failed", error=f"{name}: {type(exc).__name__}: {exc}")
            raise
        end("done")

    # ---- content ----
    def write_idea(self, request: str, hits: Sequence[Hit], names: str | None = None, rewrite: str = "") -> Path:
        """The request, its rewrite for the search, the note passages the idea comes from (file and 1-based lines)
        and what names the idea's own section among them (the request unless given)."""
        passages = [
            {"source": h.chunk.source, "start_line": h.chunk.start_line, "end_line": h.chunk.end_line,
             "heading_path": list(h.chunk.heading_path), "score": h.score, "text": h.chunk.text}
            for h in hits
        ]
        return self.write_json(IDEA, {"request": request, "rewrite": rewrite, "names": names or request, "passages": passages})

    def write_plan(self, plan: Any) -> Path:
        """plan.json and a readable plan.md from a mapping or a pydantic model."""
        data = _to_json(plan)
        self.write_json(PLAN_JSON, data)
        lines = [f"# Plan: {data.get('idea_name', self.id)}", ""]
        for key, value in data.items():
            if isinstance(value, list):
                lines.append(f"- **{key}**:" + ("" if value else " none"))
                lines += [f"  - {item}" for item in value]
            else:
                lines.append(f"- **{key}**: {value}")
        return self.write_text(PLAN_MD, "\n".join(lines) + "\n")

    def iteration_dir(self, n: int) -> Path:
        path = self.path / ITERATIONS / str(n)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def iterations(self) -> list[int]:
        root = self.path / ITERATIONS
        return sorted(int(p.name) for p in root.iterdir() if p.name.isdigit()) if root.is_dir() else []

    def promote(self, n: int) -> None:
        """Make iteration n the run's result: copy experiment.py and metrics.json up, write environment.json."""
        source = self.path / ITERATIONS / str(n)
        for name in (EXPERIMENT, METRICS):
            if (source / name).is_file():
                shutil.copyfile(source / name, self.path / name)
        metrics = self.read_json(METRICS)
        if isinstance(metrics, dict) and isinstance(metrics.get("environment"), dict):
            self.write_json(ENVIRONMENT, metrics["environment"])
        self.update(final_iteration=n)


def _slug(text: str, limit: int = 40) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = "-".join(words)[:limit].strip("-")
    return slug or "run"


def create_run(runs_dir: Path, request: str, now: datetime | None = None) -> Run:
    """A new run directory runs_dir/<YYYYmmdd-HHMMSS>-<slug> with its record."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    base = f"{stamp}-{_slug(request)}"
    runs_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        path = runs_dir / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        run = Run(path)
        run._save(RunRecord(id=run.id, request=request, created=_now()))
        return run
    raise InputError(f"Cannot create a run directory under {runs_dir}: too many runs named {base}.")


def open_run(runs_dir: Path, run_id: str) -> Run:
    """The run with this id, or the only one whose id starts with it."""
    exact = runs_dir / run_id
    if run_id and "/" not in run_id and (exact / RECORD).is_file():
        return Run(exact)
    matches = [p for p in sorted(runs_dir.glob("*")) if p.name.startswith(run_id) and (p / RECORD).is_file()] if run_id else []
    if len(matches) == 1:
        return Run(matches[0])
    if matches:
        raise InputError(f"Run id '{run_id}' is ambiguous: {', '.join(p.name for p in matches[:5])}. Give more of it.")
    raise InputError(f"No run '{run_id}' under {runs_dir}. See 'agentnotes experiments list'.")


def list_runs(runs_dir: Path) -> list[RunRecord]:
    """Records of all runs, newest first."""
    if not runs_dir.is_dir():
        return []
    records = [Run(p).record() for p in runs_dir.iterdir() if p.is_dir() and (p / RECORD).exists()]
    return sorted(records, key=lambda r: r.id, reverse=True)
