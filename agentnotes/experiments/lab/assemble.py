"""Assemble experiment.py: config block + idea code + the fixed harness; map failures back to idea lines."""

from __future__ import annotations

import ast
import re
from pathlib import PurePath

from agentnotes.errors import ExperimentError
from agentnotes.experiments.lab.config import ExperimentConfig
from agentnotes.experiments.lab.template import (
    CONFIG_BEGIN, CONFIG_END, IDEA_BEGIN, IDEA_END, harness_constant, harness_source,
)

_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+)(?P<rest>.*)$')
_TRACEBACK_START = "Traceback (most recent call last):"
SCRIPT_NAME = "experiment.py"
# `python experiment.py --describe` builds both arms without training and writes arms.json (guards/confounds.py).
DESCRIBE_FLAG = str(harness_constant("DESCRIBE_FLAG"))
ARMS_NAME = str(harness_constant("ARMS_FILE"))
FAILURE_VALUES = str(harness_constant("FAILURE_VALUES"))
_VALUES_HEAD = re.compile(re.escape(FAILURE_VALUES) + r" (?P<line>\d+) in (?P<function>\w+):$")


def assemble_script(idea_code: str, config: ExperimentConfig) -> str:
    """One self-contained experiment.py that runs with `python experiment.py` and writes metrics.json."""
    source = harness_source()
    head, rest = source.split(CONFIG_BEGIN + "\n", 1)
    block, rest = rest.split(CONFIG_END + "\n", 1)
    before, after = rest.split(IDEA_BEGIN + "\n" + IDEA_END + "\n", 1)
    idea = _drop_future_imports(idea_code).strip("\n")
    return (
        f"{head}{CONFIG_BEGIN}\n{_render_config(block, config)}{CONFIG_END}\n"
        f"{before}{IDEA_BEGIN}\n{idea}\n{IDEA_END}\n{after}"
    )


def _render_config(block: str, config: ExperimentConfig) -> str:
    """The template's config lines with each value replaced by the config's value (comments kept)."""
    values = config.variables()
    lines = block.splitlines(keepends=True)
    seen = set()
    for node in ast.parse(block).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        line = lines[node.lineno - 1]
        value = node.value
        lines[node.lineno - 1] = line[: value.col_offset] + repr(values[name]) + line[value.end_col_offset :]
        seen.add(name)
    if seen != set(values):
        raise ExperimentError(f"Harness config block and ExperimentConfig disagree: {sorted(seen ^ set(values))}.")
    return "".join(lines)


def _drop_future_imports(code: str) -> str:
    """`from __future__` is only legal at the top of a file; the idea code sits in the middle."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    lines = code.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for index in range(node.lineno - 1, node.end_lineno or node.lineno):
                lines[index] = "\n"
    return "".join(lines)


def idea_span(script: str) -> tuple[int, int]:
    """First and last line (1-based) of the idea code inside an assembled script."""
    lines = script.splitlines()
    try:
        begin, end = lines.index(IDEA_BEGIN), lines.index(IDEA_END)
    except ValueError:
        raise ExperimentError("Not an assembled experiment script: the idea code markers are missing.") from None
    return begin + 2, end


def explain_failure(stderr: str, script: str, script_name: str = SCRIPT_NAME, max_lines: int = 40) -> str:
    """The last traceback in stderr, rewritten for the code generator.

    Frames inside the idea code read `idea code line 12, in forward: <source>`, frames in the
    harness `(harness) in train`, runs of library frames `(library code)`; the error stays last.
    """
    text = stderr.strip()
    if _TRACEBACK_START in text:
        text = text[text.rindex(_TRACEBACK_START):]
    first, last = idea_span(script)
    source = script.splitlines()
    out: list[str] = []
    in_frame = False
    for line in text.splitlines():
        match = _FRAME.match(line)
        if match:
            in_frame = True
            number = int(match["line"])
            if PurePath(match["file"]).name != script_name:
                entry = "  (library code)"
            elif first <= number <= last:
                entry = f"  idea code line {number - first + 1}{match['rest']}: {source[number - 1].strip()}"
            else:
                entry = f"  (harness){match['rest'].removeprefix(',')}"
            if not (out and out[-1] == entry == "  (library code)"):
                out.append(entry)
        elif in_frame and line.startswith("    "):
            continue  # the source and caret lines of a frame
        else:
            in_frame = False
            out.append(line)
    if len(out) > max_lines:
        out = out[:3] + ["  ..."] + out[-(max_lines - 4):]
    return "\n".join(out + _failure_values(stderr, first, last))


def _failure_values(stderr: str, first: int, last: int) -> list[str]:
    """The harness's record of the local values at the failing line (harness FAILURE_VALUES), when that
    line is in the idea code: a heading naming the idea code line, then one `  name = value` per line."""
    lines = stderr.splitlines()
    heads = [(i, m) for i, line in enumerate(lines) if (m := _VALUES_HEAD.match(line))]
    if not heads or not first <= int(heads[-1][1]["line"]) <= last:
        return []
    start, head = heads[-1]
    values = []
    for line in lines[start + 1:]:
        if not line.startswith("  ") or " = " not in line:
            break
        values.append(line)
    return [f"Values when it failed (idea code line {int(head['line']) - first + 1}, in {head['function']}):", *values] \
        if values else []
