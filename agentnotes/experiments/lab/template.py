"""The fixed harness source (harness_template.py) read as text, and facts derived from it."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

IDEA_BEGIN = "# ==== IDEA CODE BEGIN ===="
IDEA_END = "# ==== IDEA CODE END ===="
CONFIG_BEGIN = "# ---- config (edit and re-run) ----"
CONFIG_END = "# ---- end config ----"
_INTERFACE_TITLE = "Idea code interface"


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


def describe_interface() -> str:
    """The idea-code interface, as documented in the harness docstring (for the code generator's prompt)."""
    doc = ast.get_docstring(_tree()) or ""
    section = doc[doc.index(_INTERFACE_TITLE):]
    lines = section.splitlines()
    return "\n".join(lines[2:]).strip() + "\n"  # drop the title and its underline
