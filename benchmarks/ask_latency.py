"""`ask` latency with the embedded model: where a cold start's time goes, and what `agentnotes serve` saves.

Run: AGENTNOTES_MODELS_DIR=DIR python benchmarks/ask_latency.py [--baseline REV] [--no-phases]

The repository's data/ notes are ingested into a temporary home. For each question, in the same run:
- phases: one cold `ask` in a fresh process, instrumented: Python imports, model load, query
  rewrite, knowledge base open, BM25 build, embedder load, dense search, answer prompt processing
  and decode (llama.cpp's own timings), attribution of uncited sentences, the critic;
- cold: `agentnotes ask` as a user runs it (a fresh process, no server), with the code of this tree
  and, as the baseline, with the code of revision REV (exported with `git archive`);
- warm: the same command while `agentnotes serve` is running (the first question after the server
  starts, then the others, which reuse the server's cached prompt prefixes).
First token = seconds from starting the command to the first byte of the answer on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, row, temp_home

QUESTIONS = ("What problem does the mirror layer solve?", "What does Gonnor normalize, and how?")
BASELINE_REV = "0626249"  # ask as it was before `serve` and the latency cuts
WIDTHS = (22, 14, 14, 16, 12)


def run_ask(question: str, tree: Path) -> dict:
    """`agentnotes ask QUESTION` as the command line runs it, in a fresh process, with the package in `tree`,
    instrumented (phases_child): seconds to the first answer byte on stdout and to exit, and the phases."""
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    env = {**os.environ, "PYTHONPATH": str(tree), "ASK_LATENCY_SPAWNED": repr(time.time())}
    start = time.perf_counter()
    script = str(Path(__file__).resolve())
    proc = subprocess.Popen([sys.executable, script, "--phases-child", question, str(out)], cwd=tree, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.read(1)
    first_s = time.perf_counter() - start
    rest, err = proc.communicate()
    total_s = time.perf_counter() - start
    if proc.returncode != 0 or not first:
        raise SystemExit(f"ask failed ({proc.returncode}): {err.decode()[-2000:]}")
    return {"first_token_s": first_s, "total_s": total_s, "answer": (first + rest).decode(errors="replace"),
            **json.loads(out.read_text())}


def export_revision(rev: str) -> Path:
    """The package as it was at `rev`, in a temporary folder (the working tree is left alone)."""
    folder = Path(tempfile.mkdtemp(prefix="agentnotes-baseline-"))
    archive = subprocess.run(["git", "archive", rev, "agentnotes"], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


class Phases:
    """Seconds per phase, accumulated by wrapping the functions `ask` calls (see `instrument`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.llm: list[dict] = []
        self.stack: list[str] = []

    def wrap(self, owner: object, attr: str, phase: str) -> None:
        inner = getattr(owner, attr)

        def timed(*args, **kwargs):
            self.stack.append(phase)
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - start
                self.stack.pop()

        setattr(owner, attr, timed)

    def record_llm(self, timings: dict) -> None:
        self.llm.append({"phase": self.stack[-1] if self.stack else "?", **timings})


def instrument(phases: Phases) -> None:
    """Wrap what `ask` does, phase by phase; LLM calls also record llama.cpp's prompt/decode timings."""
    import agentnotes.agents.answer as answer
    import agentnotes.agents.answer_check as answer_check
    import agentnotes.agents.structured as structured
    import agentnotes.index.embedders as embedders
    import agentnotes.index.knowledge_base as knowledge_base
    import agentnotes.llm.local as local
    import agentnotes.retrieval.keywords as keywords
    import agentnotes.retrieval.rewrite as rewrite

    phases.wrap(local.LocalLlamaChat, "_get_server", "model load (and waits for it)")
    phases.wrap(rewrite, "call_llm", "query rewrite (LLM)")
    phases.wrap(knowledge_base, "open_knowledge_base", "knowledge base open")
    phases.wrap(keywords.KeywordIndex, "__init__", "BM25 index (jieba)")
    phases.wrap(embedders, "get_embedder", "embedder load")
    phases.wrap(knowledge_base.KnowledgeBase, "dense_search", "dense search (embed + Chroma)")
    phases.wrap(answer, "call_llm", "answer (LLM)")
    phases.wrap(answer, "attribute_sentences", "attribution (embeddings)")
    phases.wrap(answer_check, "check_answer", "critic")
    phases.wrap(structured, "call_llm", "critic (LLM)")
    try:
        import agentnotes.llm.prefix_cache as prefix_cache
    except ImportError:  # the baseline has no prefix cache
        pass
    else:
        phases.wrap(prefix_cache.PrefixCache, "before", "prefix cache: restore")
        phases.wrap(prefix_cache.PrefixCache, "after", "prefix cache: save (first use)")
    stream = local.LocalLlamaChat._stream

    def timed_stream(self, *args, **kwargs):
        for chunk in stream(self, *args, **kwargs):
            if chunk.message.response_metadata.get("timings"):
                phases.record_llm(chunk.message.response_metadata["timings"])
            yield chunk

    generate = local.LocalLlamaChat._generate

    def timed_generate(self, *args, **kwargs):
        result = generate(self, *args, **kwargs)
        phases.record_llm(result.generations[0].message.response_metadata.get("timings", {}))
        return result

    local.LocalLlamaChat._stream, local.LocalLlamaChat._generate = timed_stream, timed_generate


def cpu_seconds() -> float:
    """CPU seconds used so far by this process, its finished children and a running `serve` of this home:
    the work of a run, which the machine's other load slows down but does not inflate much."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    try:
        pid = json.loads((Path(os.environ["AGENTNOTES_HOME"]) / "server.json").read_text())["pid"]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, KeyError, ValueError):
        pass
    return total


def phases_child(question: str, out: Path) -> None:
    """In a fresh process: one instrumented `ask`, as the command line runs it; phases to `out`."""
    start = time.perf_counter()
    spawned = float(os.environ.get("ASK_LATENCY_SPAWNED", time.time()))
    cpu_start = cpu_seconds()
    import agentnotes
    import agentnotes.agents.answer as answer
    from agentnotes.cli import app

    phases = Phases()
    phases.seconds["python start and imports"] = time.time() - spawned
    instrument(phases)
    marks: dict[str, float] = {}
    call = answer.call_llm

    def first_token_marked(*args, on_token=None, **kwargs):
        def token(text: str) -> None:
            marks.setdefault("cpu_first_token_s", cpu_seconds() - cpu_start)
            on_token(text)

        return call(*args, on_token=token if on_token else None, **kwargs)

    answer.call_llm = first_token_marked
    try:
        app(["ask", question], standalone_mode=False)
    finally:
        sys.stdout.flush()
        phases.seconds["total in process"] = time.perf_counter() - start
        out.write_text(json.dumps({"seconds": phases.seconds, "llm": phases.llm, "package": agentnotes.__file__,
                                   "cpu_total_s": cpu_seconds() - cpu_start, **marks}))


def print_phases(question: str, data: dict) -> None:
    seconds, llm = data["seconds"], data["llm"]
    print(f"\nphases: {question}  [{data.get('package', '')}]")
    llm_phases = {}
    for call in llm:
        llm_phases.setdefault(call["phase"], []).append(call)
    for phase, s in seconds.items():
        print(row(f"  {phase}", f"{s:.1f} s", widths=(44, 10)))
        for call in llm_phases.get(phase, []):
            print(row("", f"prompt {call.get('prompt_n', 0)} tok ({call.get('cache_n', 0)} cached) "
                          f"{call.get('prompt_ms', 0) / 1000:.1f} s, decode {call.get('predicted_n', 0)} tok "
                          f"{call.get('predicted_ms', 0) / 1000:.1f} s", widths=(48, 80)))


def start_server(home: Path) -> subprocess.Popen:
    """`agentnotes serve` in the background; returns once it answers."""
    proc = subprocess.Popen([sys.executable, "-m", "agentnotes", "serve"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    from agentnotes.llm.serve import running_server

    deadline = time.monotonic() + 300
    while running_server(home) is None:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"agentnotes serve did not start: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.5)
    return proc


def mean(runs: list[dict], key: str) -> float:
    return statistics.fmean(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE_REV, help="revision whose ask is the baseline")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="how many of the questions to ask")
    parser.add_argument("--no-warm", action="store_true", help="skip the runs with a server")
    parser.add_argument("--phases-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phases_child:
        phases_child(args.phases_child[0], Path(args.phases_child[1]))
        return
    home = temp_home("ask-latency")
    from agentnotes.index.ingest import ingest
    from agentnotes.settings import load_settings

    ingest(load_settings(), [REPO / "data"])
    baseline = export_revision(args.baseline)
    runs: dict[str, list[dict]] = {"baseline cold": [], "cold, first use": [], "cold": [], "warm (serve)": []}
    questions = QUESTIONS[: args.questions]

    def measure(name: str, question: str, tree: Path) -> None:
        runs[name].append(run_ask(question, tree))
        print_phases(f"{name}: {question}", runs[name][-1])
        r = runs[name][-1]
        print(f"  wall: first token {r['first_token_s']:.1f} s, total {r['total_s']:.1f} s; CPU: first token "
              f"{r.get('cpu_first_token_s', 0):.1f} s, total {r['cpu_total_s']:.1f} s", flush=True)

    for n, question in enumerate(questions):  # baseline and new code alternate, so both see the same load
        measure("baseline cold", question, baseline)
        if n == 0:  # the first ask of a home also saves the system prompts' state
            measure("cold, first use", question, REPO)
        measure("cold", question, REPO)
    if not args.no_warm:
        server = start_server(home)
        try:
            for question in questions:
                measure("warm (serve)", question, REPO)
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(f"\n{len(questions)} question(s) on data/, embedded model, {load_settings().threads} threads; "
          f"baseline = ask at {args.baseline}; load average {os.getloadavg()[0]:.1f} at the end")
    print("wall = seconds a user waits (other load on the machine slows every run); CPU = CPU seconds of the run")
    print(row("mean per question", "first token", "total", "CPU 1st token", "CPU total", widths=WIDTHS))
    for name, measured in runs.items():
        if measured:
            print(row(name, *(f"{mean(measured, key):.1f} s" for key in
                              ("first_token_s", "total_s", "cpu_first_token_s", "cpu_total_s")), widths=WIDTHS))
    base = runs["baseline cold"]
    for key, label in (("first_token_s", "wall"), ("cpu_first_token_s", "CPU")):
        if runs["warm (serve)"]:
            print(f"{label}: warm first token / baseline cold first token: "
                  f"{mean(runs['warm (serve)'], key) / mean(base, key):.2f} (target <= 0.5)")
    for key, label in (("total_s", "wall"), ("cpu_total_s", "CPU")):
        print(f"{label}: cold total / baseline cold total: {mean(runs['cold'], key) / mean(base, key):.2f} (target <= 0.7)")

if __name__ == "__main__":
    main()
