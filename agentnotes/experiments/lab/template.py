"""The fixed harness source (harness_template.py) read as text, and facts derived from it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

IDEA_BEGIN = "# ==== IDEA CODE BEGIN ===="
IDEA_END = "# ==== IDEA CODE END ===="
CONFIG_BEGIN = "# ---- config (edit and re-run) ----"
CONFIG_END = "# ---- end config ----"
_INTERFACE_TITLE = "Idea code interface"
_HOOK_LINE = re.compile(r"^    (?P<hook>\w+)\(")  # a hook's section starts at its signature line


@cache
def harness_source() -> str:
    return (Path(__file__).with_name("harness_template.py")).read_text(encoding="utf-8")


@cache
def _tree() -> ast.Module:
    return ast.parse(harness_source())


def harness_constant(name: str) -> object:
    """The literal value of a top-level `NAME = ...` in the harness."""
    for node in _tree().body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(name)


def import_binding(alias: ast.alias) -> tuple[str, str]:
    """(name bound, module it refers to) of one `import` alias: `import a.b` binds a, `import a.b as c` binds a.b."""
    if alias.asname:
        return alias.asname, alias.name
    root = alias.name.split(".")[0]
    return root, root


@cache
def harness_imports() -> dict[str, str]:
    """Top-level import aliases of the harness: alias -> module (e.g. "F" -> "torch.nn.functional")."""
    return dict(import_binding(a) for node in _tree().body if isinstance(node, ast.Import) for a in node.names)


@cache
def harness_names() -> frozenset[str]:
    """Every name the harness binds at top level (config, helpers, imports)."""
    names: set[str] = set(harness_imports())
    for node in _tree().body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(names)


def hook_names() -> tuple[str, ...]:
    return tuple(harness_constant("HOOKS"))  # type: ignore[arg-type]


def arm_names() -> tuple[str, ...]:
    return tuple(harness_constant("ARMS"))  # type: ignore[arg-type]


def task_names() -> tuple[str, ...]:
    return tuple(harness_constant("TASK_NAMES"))  # type: ignore[arg-type]


def optimizer_names() -> tuple[str, ...]:
    """Values of BASELINE_OPTIMIZER."""
    return tuple(harness_constant("OPTIMIZERS"))  # type: ignore[arg-type]


def activation_names() -> tuple[str, ...]:
    """Values of BASELINE_ACTIVATION."""
    return tuple(harness_constant("ACTIVATIONS"))  # type: ignore[arg-type]


def norm_names() -> tuple[str | None, ...]:
    """Values of BASELINE_NORM."""
    return tuple(harness_constant("NORMS"))  # type: ignore[arg-type]


def schedule_names() -> tuple[str | None, ...]:
    """Values of BASELINE_SCHEDULE."""
    return tuple(harness_constant("SCHEDULES"))  # type: ignore[arg-type]


def hook_arguments() -> dict[str, tuple[str, ...]]:
    """Hooks the harness calls by parameter name -> the argument names it offers them."""
    return dict(harness_constant("HOOK_ARGUMENTS"))  # type: ignore[call-overload]


def describe_interface(hooks: Iterable[str] | None = None) -> str:
    """The idea-code interface of the harness docstring, for the code generator's prompt.

    With `hooks`, only those hooks' sections are kept (with the common text before and after
    them), so a prompt carries what its idea needs; None keeps every hook.
    """
    doc = ast.get_docstring(_tree()) or ""
    lines = doc[doc.index(_INTERFACE_TITLE):].splitlines()[2:]  # drop the title and its underline
    wanted = set(hook_names() if hooks is None else hooks)
    kept, section = [], None
    for line in lines:
        match = _HOOK_LINE.match(line)
        if match:
            section = match["hook"]
        elif line and not line.startswith(" "):
            section = None
        if section is None or section in wanted:
            kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip() + "\n"
