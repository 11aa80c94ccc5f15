"""`agentnotes doctor`: what works here and what doesn't, with the fix."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from agentnotes.errors import AgentNotesError
from agentnotes.settings import Settings


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_embedder(settings: Settings) -> Check:
    from agentnotes.index.embedders import get_embedder

    start = time.perf_counter()
    embedder = get_embedder(settings)
    vectors = embedder.embed_documents(["镜像层 mirror layer", "gradient normalization"] * 4)
    rate = len(vectors) / (time.perf_counter() - start)
    return Check("embedder", True, f"{settings.embedder}: {len(vectors[0])}-d, {rate:.0f} texts/s (incl. load)")


def check_llm(settings: Settings) -> Check:
    from agentnotes.llm.provider import get_chat_model

    model = get_chat_model(settings, temperature=0.0, max_tokens=32)
    start = time.perf_counter()
    message = model.invoke("Count from 1 to 10, separated by commas.")
    seconds = time.perf_counter() - start
    usage = message.usage_metadata or {}
    tokens = usage.get("output_tokens", 0)
    where = settings.openai_base_url or "api.openai.com" if settings.is_remote_llm else "embedded, checksum verified"
    return Check("llm", True, f"{settings.llm_provider}:{settings.llm_model} ({where}); {tokens} tokens in {seconds:.1f}s "
                 f"({tokens / max(seconds, 1e-6):.1f} tok/s incl. prompt)")


def check_store(settings: Settings) -> Check:
    from agentnotes.index.knowledge_base import store_health

    health = store_health(settings)
    return Check("store", health.ok, health.detail, health.fix)


def check_sandbox(settings: Settings) -> Check:
    from agentnotes.runner.sandbox import describe_isolation

    report = describe_isolation()
    return Check("sandbox", report.available, report.summary, "" if report.available else report.fix)


def check_gpu(settings: Settings) -> Check:
    from agentnotes.runner.gpu import detect_gpus

    gpus = detect_gpus()
    if not gpus:
        return Check("gpu", True, "no NVIDIA GPU found: experiments run on the CPU")
    return Check("gpu", True, "; ".join(f"cuda:{g.index} {g.name} ({g.memory_free_mb} MiB free)" for g in gpus))


CHECKS: dict[str, Callable[[Settings], Check]] = {
    "embedder": check_embedder,
    "llm": check_llm,
    "store": check_store,
    "sandbox": check_sandbox,
    "gpu": check_gpu,
}


def run_checks(settings: Settings, skip: frozenset[str] = frozenset()) -> list[Check]:
    """Run every check; a failing check becomes a failed line, never an exception."""
    results = []
    for name, check in CHECKS.items():
        if name in skip:
            continue
        try:
            results.append(check(settings))
        except AgentNotesError as exc:
            results.append(Check(name, False, str(exc), "see the message"))
        except Exception as exc:  # doctor reports everything, whatever broke
            results.append(Check(name, False, f"{type(exc).__name__}: {exc}", "run the failing command for details"))
    return results
