"""Mechanical fixes for known slips of small code models, applied before anything runs.

Each fix is written for the idea kinds that list it in guards/kinds.py and runs only for those
(fix_hook_names, about the hooks' names, runs for every idea). A fix changes only what is
certainly a slip, so correct code of any kind passes unchanged:
- Notes write a layer as `w*x`; models copy that as `self.w * x`, an elementwise product of a 2-D
  (out, in) weight that fails with a shape error: it becomes F.linear(input, w). A (1, d) or (d,)
  scale is elementwise on purpose and stays.
- A 2-D weight filled by torch.randn, rand or empty starts from nn.Linear's initialisation, as the
  baseline's does (N(0, 1) weights make the idea arm diverge). Zeros and ones are left alone: a
  gate or scale that starts closed or at one (ReZero, LayerScale) means them.
- Hooks named in CamelCase (`BuildModel`) get the hook's name; a name written with the notes' subscript digits (`a₀`, no
  Python name) is written with plain ones (`a0`).
- A top-level restatement of a harness setting (`STEPS = 100  # example value`, `BATCH_SIZE = 64`) and an import
  of a name the harness already provides under it (`import nn`, `import F`) are removed: the harness's own stand.
- A plain tensor assigned to a layer's weight or bias (a TypeError at run time) is copied into it; a module's own
  weights made as plain tensors (`self.W = torch.randn(…)`, never trained, never moved to the GPU) are parameters.
- A weight operation on the rows of a matrix skips the biases it would fail on.
- A default value that reads another parameter of its function (`k=0.2 * in_features`, a NameError when the
  function is defined) is computed in the body instead.
- `p.weight` in a hook given the one parameter tensor p becomes p; a function's argument recomputed from a name
  bound nowhere (a line of the skeleton's own wiring copied into the hook) keeps its value.
- Python's `min(a, b)` of a tensor becomes `torch.minimum(a, b)` (or a clamp by a number), and a reduction along a
  dimension used as a tensor (`alpha * torch.median(z, dim=0)`) takes its `.values`.
- `math.exp(x)` of a tensor (math's functions take one number) becomes `torch.exp(x)`; a function called from a
  torch module that lacks it (`F.logsumexp`) is called from the one that has it (`torch.logsumexp`).
- An update hook that reads the notes' letters for its arguments (`theta_t`, `g_t`), bound nowhere, reads the arguments;
  one that computes the new weights into a name nothing reads (`W = p - lr * X`) and never changes p copies them in;
  one that never reads lr and keeps the notes' step size as a number (`alpha = 1e-3`) takes lr for it.
- A state entry read into the formula of its own next value (`m_t = β·state.setdefault("m", 0) + g`) and never stored
  back is stored back (`state["m"] = m_t`).
- A lone module class without hooks gets the build_model that plugs it into the harness MLP: as
  the linear layer of a layer idea, as the activation of an activation idea; an optimizer class
  without make_optimizer gets one.
- A module whose forward wants two inputs takes them from the one tensor the harness passes; an
  activation that takes them as single units (`x[..., 0]`, `x[..., 1]`) takes them as groups of units.
- Two weight copies "synced" by copying each into the other, when the notes average them, are
  averaged; two weights named otherwise than the notes (fast, slow) get the notes' names (w1, w2).
- An `after_step` that changes the weights when none of the idea's kinds acts after a step (a
  weight normalization added to a gradient-only idea) is removed.
Every change is reported, so the run record shows what was altered.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agentnotes.experiments.guards.complete import drop_definitions
from agentnotes.experiments.guards.kinds import canonical, fixes_for, hooks_for
from agentnotes.experiments.guards.notation import greek_spelled
from agentnotes.experiments.guards.static_check import (
    bound_names,
    changes_in_place,
    leaf_name,
    reads_before_assigned,
    rebound_state,
    required_positional,
    same_name,
    state_stores,
    undefined_names,
    unstored_state_reads,
)
from agentnotes.experiments.lab.template import harness_imports, harness_names, hook_names


NotePairs = Sequence[tuple[str, str, str, str]]  # idea_sections.note_pairs


@dataclass(frozen=True)
class Fix:
    line: int
    before: str
    after: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.before} -> {self.after}"


def _weight_names(tree: ast.AST, source: str) -> set[str]:
    """Names of `self.NAME = nn.Parameter(...)` whose initial value is a 2-D weight."""
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, value = node.targets[0], node.value
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"):
            continue
        if not (isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] == "Parameter" and value.args):
            continue
        init = value.args[0]
        two_dims = isinstance(init, ast.Call) and _is_matrix_shape(init.args) and not init.keywords
        copies_weight = ".weight" in (ast.get_source_segment(source, init) or "")
        if two_dims or copies_weight:
            names.add(target.attr)
    return names


def _is_matrix_shape(args: Sequence[ast.expr]) -> bool:
    """Two sizes, neither the literal 1: an (out, in) weight, not a (1, d) scale that broadcasts."""
    return len(args) == 2 and not any(isinstance(a, ast.Constant) and a.value == 1 for a in args)


def fix_weight_names(code: str, note_pairs: NotePairs = ()) -> tuple[str, list[Fix]]:
    """A module with exactly two weights named otherwise than the notes (often `fast` and `slow`, after
    the prompt's example) gets the notes' numbered names in order (`w1`, `w2`) when the notes'
    formulas pair them, so the code reads like the notes and their formulas can be checked by name."""
    numbered = [(a, b) for a, _op, b, _line in note_pairs if re.fullmatch(r"[a-z]+1", a) and b == a[:-1] + "2"]
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    if not numbered:
        return code, []
    fixes = []
    for node in tree.body:
        weights = sorted(_weight_names(node, code), key=lambda name: _first_assignment(node, name)) \
            if isinstance(node, ast.ClassDef) else []
        if len(weights) != 2 or any(same_name(n, w) for n in numbered[0] for w in weights):
            continue
        for old, new in zip(weights, numbered[0]):
            code = re.sub(rf"\.{re.escape(old)}\b", f".{new}", code)
            fixes.append(Fix(node.lineno, f"self.{old}", f"self.{new}"))
    return code, fixes


def _first_assignment(node: ast.AST, attribute: str) -> int:
    return min(n.lineno for n in ast.walk(node) if isinstance(n, ast.Attribute) and n.attr == attribute)


def _is_weight(node: ast.expr, weights: set[str]) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
        and node.attr in weights


def _reads_own_attribute(node: ast.expr) -> bool:
    """The expression reads an attribute of the module (`self.g[:, None]`, `self.mask`)."""
    return any(isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self" for n in ast.walk(node))


def fix_weight_products(code: str) -> tuple[str, list[Fix]]:
    """`self.w * expr`, `expr * self.w` or `self.w @ expr` with a 2-D weight w becomes `F.linear(expr, self.w)`
    (inputs are (batch, features): the notes' `W*x` / `Wx` is x @ W.t()). A product with another of the
    module's own tensors (a gain, a scale, a mask) is meant elementwise and stays."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    weights = _weight_names(tree, code)
    edits = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.MatMult))):
            continue
        # `W * x` either way round; `W @ x` only with the weight first (the notes' column-vector order)
        pairs = ((node.left, node.right), (node.right, node.left)) if isinstance(node.op, ast.Mult) else ((node.left, node.right),)
        for weight, other in pairs:
            if _is_weight(weight, weights) and not _reads_own_attribute(other):
                before = ast.get_source_segment(code, node)
                after = f"F.linear({ast.get_source_segment(code, other)}, {ast.get_source_segment(code, weight)})"
                edits.append((node, Fix(node.lineno, before, after)))
                break
    return spans_replaced(code, [(node, fix.after) for node, fix in edits]), [fix for _node, fix in edits]


def spans_replaced(code: str, edits: Sequence[tuple[ast.AST, str]]) -> str:
    """`code` with the source of each node replaced by its text (ast's columns count UTF-8 bytes)."""
    offsets = [0]
    for line in code.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    raw = code.encode("utf-8")
    for node, text in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        start = offsets[node.lineno - 1] + node.col_offset
        end = offsets[node.end_lineno - 1] + node.end_col_offset
        raw = raw[:start] + text.encode("utf-8") + raw[end:]
    return raw.decode("utf-8")


def _lines_replaced(code: str, edits: Sequence[tuple[ast.AST, str]]) -> str:
    """`spans_replaced`, its lines joined by newlines and ending in one."""
    return "\n".join(spans_replaced(code, edits).splitlines()) + "\n"


_RANDOM_FILLS = ("randn", "rand", "empty")


def _is_filled_weight(node: ast.AST) -> bool:
    """`nn.Parameter(torch.randn(a, b))` or rand, empty: a 2-D weight not initialised as a layer's."""
    return isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "Parameter" and len(node.args) == 1 \
        and isinstance(init := node.args[0], ast.Call) and ast.unparse(init.func).removeprefix("torch.") in _RANDOM_FILLS \
        and _is_matrix_shape(init.args) and not init.keywords


_TENSOR_FILLS = ("randn", "rand", "empty", "zeros", "ones", "full")


def fix_plain_tensor_weights(code: str) -> tuple[str, list[Fix]]:
    """A module's `self.W = torch.randn(out, in)` (or rand, empty, zeros, ones, full) set once when the module is made
    and read by its forward becomes `nn.Parameter(...)`: a plain tensor is neither trained by the optimizer nor moved
    to the GPU with the model, so the layer's own weights would stay at their start (or fail on another device). A
    tensor the module assigns again elsewhere (a running value), asks no gradient for (`requires_grad=False`) or
    registers as a buffer stays."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    lines, fixes = code.splitlines(), []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        methods = {m.name: m for m in cls.body if isinstance(m, ast.FunctionDef)}
        if "forward" not in methods:
            continue
        assigned: dict[str, list[ast.Assign]] = {}
        for method in methods.values():
            for node in ast.walk(method):
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                    for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                                and target.value.id == "self":
                            assigned.setdefault(target.attr, []).append(node)
        in_forward = set(ast.walk(methods["forward"]))
        read = {n.attr for n in in_forward if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load)
                and isinstance(n.value, ast.Name) and n.value.id == "self"}
        for name, nodes in assigned.items():
            node = nodes[0]
            if len(nodes) != 1 or name not in read or not isinstance(node, ast.Assign) or node.lineno != node.end_lineno \
                    or node in in_forward or not _is_tensor_fill(node.value):
                continue
            value = ast.get_source_segment(code, node.value)
            line = lines[node.lineno - 1]
            lines[node.lineno - 1] = (line[:node.value.col_offset] + f"nn.Parameter({value})"
                                      + line[node.value.end_col_offset:])
            fixes.append(Fix(node.lineno, f"self.{name} = {value}"[:120], f"self.{name} = nn.Parameter(...)"))
    return ("\n".join(lines) + "\n", sorted(fixes, key=lambda f: f.line)) if fixes else (code, [])


def _is_tensor_fill(value: ast.expr) -> bool:
    """`torch.randn(a, b)`, `torch.zeros(d)`, …: a new float tensor (no dtype given: not an index), not kept from
    the gradient (`requires_grad=False`)."""
    return isinstance(value, ast.Call) and ast.unparse(value.func).removeprefix("torch.") in _TENSOR_FILLS \
        and ast.unparse(value.func).startswith("torch.") \
        and not any(k.arg in ("requires_grad", "dtype") for k in value.keywords)


def fix_weight_init(code: str) -> tuple[str, list[Fix]]:
    """A weight `nn.Parameter(torch.randn(out, in))` (or rand, empty) starts like the baseline's
    instead: `nn.Parameter(nn.Linear(in, out).weight.detach().clone())`. N(0, 1) weights are far
    larger than nn.Linear's and make the idea arm diverge; torch.empty is whatever memory held.
    A constant start (zeros, ones: a closed gate, a unit scale) is the idea's choice and stays."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    fixes = []
    for node in ast.walk(tree):
        if _is_filled_weight(node) and node.lineno == node.end_lineno:
            rows, cols = (ast.get_source_segment(code, a) for a in node.args[0].args)
            fixes.append(Fix(node.lineno, ast.get_source_segment(code, node),
                             f"nn.Parameter(nn.Linear({cols}, {rows}).weight.detach().clone())"))
    lines = code.splitlines(keepends=True)
    for fix in fixes:
        lines[fix.line - 1] = lines[fix.line - 1].replace(fix.before, fix.after, 1)
    return "".join(lines), fixes


def _squashed(name: str) -> str:
    return name.replace("_", "").lower()


# Names the harness imports for the idea code, as a bare `import NAME` would wrongly try to import them.
_PROVIDED_MODULES = frozenset({"nn", "F", "np"})


# A name written with the notes' subscript digits (`a₀`): no Python name. (A superscript is a power: `x²`.)
_SCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SCRIPTED_NAME = re.compile(r"(?<![\w.])([^\W\d]\w*?)([₀-₉]+)(\w*)")


def fix_script_digit_names(code: str) -> tuple[str, list[Fix]]:
    """The code with each name that carries the notes' subscript digits (`a₀ = 0`, a SyntaxError) written with plain
    digits (`a0`), when the code does not parse as it is and does after: nothing else changes."""
    try:
        ast.parse(code)
        return code, []
    except SyntaxError:
        pass
    fixed = _SCRIPTED_NAME.sub(lambda m: m[1] + m[2].translate(_SCRIPT_DIGITS) + m[3], code)
    try:
        ast.parse(fixed)
    except SyntaxError:
        return code, []
    return fixed, [Fix(n, before.strip(), after.strip())
                   for n, (before, after) in enumerate(zip(code.splitlines(), fixed.splitlines()), 1) if before != after]


def drop_prints(code: str) -> tuple[str, list[Fix]]:
    """The code with each `print(...)` statement alone on its lines replaced by `pass`: the harness prints progress and
    writes the metrics, and a print changes no result, so it is taken out rather than sent back."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    lines = code.splitlines()
    prints = [node for node in ast.walk(tree) if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
              and isinstance(node.value.func, ast.Name) and node.value.func.id == "print"
              and not lines[node.lineno - 1][:node.col_offset].strip() and not lines[node.end_lineno - 1][node.end_col_offset:].strip()]
    for node in sorted(prints, key=lambda n: n.lineno, reverse=True):
        lines[node.lineno - 1:node.end_lineno] = [" " * node.col_offset + "pass"]
    fixes = [Fix(node.lineno, ast.unparse(node), "removed: the harness prints progress and writes the metrics") for node in prints]
    return ("\n".join(lines) + "\n", fixes) if prints else (code, [])


def drop_harness_restatements(code: str) -> tuple[str, list[Fix]]:
    """The code without top-level assignments of a constant to a harness name, without `import nn` / `import F`
    / `import np` (modules that do not exist; the harness provides those names), and without the names a
    `from … import` binds to something else than the harness's module of that name (`from torch import nn, torch,
    math`: torch and math, which the harness provides)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    settings = harness_names() - set(hook_names())
    modules = harness_imports()
    edits: list[tuple[ast.stmt, str]] = []  # (statement, what replaces it: "" drops it)
    for node in tree.body:
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id in settings for t in node.targets) \
                and _literal(node.value):
            edits.append((node, ""))
        elif isinstance(node, ast.Import) and all(a.name in _PROVIDED_MODULES and a.asname is None for a in node.names):
            edits.append((node, ""))
        elif isinstance(node, ast.ImportFrom) and node.lineno == node.end_lineno:
            kept = [a for a in node.names if not ((a.asname or a.name) in modules
                                                   and modules[a.asname or a.name] != f"{node.module}.{a.name}")]
            if len(kept) < len(node.names):
                edits.append((node, ast.unparse(ast.ImportFrom(node.module, kept, node.level)) if kept else ""))
    if not edits:
        return code, []
    lines = code.splitlines()
    for node, new in reversed(edits):
        lines[node.lineno - 1:node.end_lineno] = [new] if new else []
    return "\n".join(lines) + "\n", [Fix(n.lineno, ast.unparse(n), new or "removed: the harness provides it") for n, new in edits]


def _literal(value: ast.expr) -> bool:
    """Whether `value` is a literal: a number, a string, a list of numbers."""
    try:
        ast.literal_eval(value)
    except ValueError:
        return False
    return True


def fix_hook_names(code: str) -> tuple[str, list[Fix]]:
    """A top-level `BuildModel`/`buildModel`/... becomes `build_model` when that hook is not defined."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    defined = {node.name: node.lineno for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    fixes = []
    for hook in hook_names():
        if hook in defined:
            continue
        for name, line in defined.items():
            if name != hook and _squashed(name) == _squashed(hook):
                code = re.sub(rf"\b{re.escape(name)}\b", hook, code)
                fixes.append(Fix(line, name, hook))
                break
    return code, fixes


def _init_arity(node: ast.ClassDef) -> int | None:
    """Required arguments of the class's __init__ after self (0 without an __init__)."""
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return None if item.args.vararg else required_positional(item) - 1
    return 0


def _classes_based_on(tree: ast.Module, bases: tuple[str, ...]) -> list[ast.ClassDef]:
    return [node for node in tree.body if isinstance(node, ast.ClassDef)
            and any(ast.unparse(base).split(".")[-1] in bases for base in node.bases)]


def _defined_hooks(tree: ast.Module) -> set[str]:
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in hook_names()}


def add_optimizer_hook(code: str) -> tuple[str, list[Fix]]:
    """A lone Optimizer subclass taking (params, lr) gets make_optimizer when the code has none."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    optimizers = _classes_based_on(tree, ("Optimizer",))
    if "make_optimizer" in _defined_hooks(tree) or len(optimizers) != 1 or _init_arity(optimizers[0]) != 2:
        return code, []
    name = optimizers[0].name
    hook = f"def make_optimizer(params, lr):\n    return {name}(params, lr)\n"
    return code.rstrip("\n") + f"\n\n\n{hook}", [Fix(optimizers[0].lineno, "no make_optimizer", f"make_optimizer with {name}")]


def add_module_hook(code: str, kinds: Sequence[str]) -> tuple[str, list[Fix]]:
    """Code with no hook at all and one nn.Module class gets build_model that uses it as the linear
    layer (a layer idea, the class takes (in, out)) or as the activation (an activation idea, it
    takes nothing)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    modules = _classes_based_on(tree, ("Module", "Linear"))
    if _defined_hooks(tree) or len(modules) != 1:
        return code, []
    roles = {"linear": "layer" in kinds and _init_arity(modules[0]) == 2,
             "activation": "activation" in kinds and _init_arity(modules[0]) == 0}
    role = next((r for r, fits in roles.items() if fits), None)
    if role is None:
        return code, []
    name = modules[0].name
    hook = f"def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim, {role}={name})\n"
    return code.rstrip("\n") + f"\n\n\n{hook}", [Fix(modules[0].lineno, "no hook", f"build_model with {role}={name}")]


def fix_two_input_forward(code: str) -> tuple[str, list[Fix]]:
    """A module's `forward(self, a, b)` becomes `forward(self, x)` whose first line takes a and b
    from x's neighbouring units: the harness passes one tensor (batch, width) to every module."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    lines, fixes = code.splitlines(), []
    for node in ast.walk(tree):
        args = node.args.args if isinstance(node, ast.FunctionDef) and node.name == "forward" else []
        if len(args) != 3 or node.args.defaults or node.args.vararg or not node.body:
            continue
        a, b = args[1].arg, args[2].arg
        head, body = node.lineno - 1, node.body[0].lineno - 1
        if head == body or "x" in (a, b):
            continue
        indent = lines[body][: len(lines[body]) - len(lines[body].lstrip())]
        lines[head] = re.sub(rf"\(\s*{args[0].arg}\s*,\s*{a}\s*,\s*{b}\s*\)", f"({args[0].arg}, x)", lines[head])
        lines[body] = f"{indent}{a}, {b} = x[:, 0::2], x[:, 1::2]\n{lines[body]}"
        fixes.append(Fix(node.lineno, f"forward(self, {a}, {b})", f"forward(self, x) with {a}, {b} = x[:, 0::2], x[:, 1::2]"))
    return ("\n".join(lines) + "\n", fixes) if fixes else (code, [])


def fix_unit_indexing(code: str) -> tuple[str, list[Fix]]:
    """A forward that takes its inputs as single units of x (`a = f(x[..., 0])`, `b = f(x[:, 1])`) takes
    them as groups of units instead (`x[..., 0::2]`, `x[..., 1::2]`): an integer index drops the last
    dimension, so the output is (batch,) and no next layer can follow; a function of k inputs applies
    to the units k by k. Only indices 0 to k-1, all of them, each written as a constant, are changed."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    edits: list[tuple[ast.Subscript, str, int, int]] = []
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "forward"):
        if len(fn.args.args) != 2:
            continue
        x = fn.args.args[1].arg
        found = [(node, _unit_index(node, x)) for node in ast.walk(fn) if isinstance(node, ast.Subscript)]
        found = [(node, index) for node, index in found if index is not None]
        indices = {index for _, index in found}
        if len(indices) >= 2 and indices == set(range(len(indices))):
            edits += [(node, x, index, len(indices)) for node, index in found]
    if not edits:
        return code, []
    lines, fixes = code.splitlines(), []
    for node, x, index, k in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        line = lines[node.lineno - 1]
        before = line[node.col_offset:node.end_col_offset]
        after = f"{x}[..., {index}::{k}]"
        lines[node.lineno - 1] = line[:node.col_offset] + after + line[node.end_col_offset:]
        fixes.append(Fix(node.lineno, before, after))
    return "\n".join(lines) + "\n", sorted(fixes, key=lambda f: f.line)


def _unit_index(node: ast.Subscript, x: str) -> int | None:
    """i for `x[..., i]` or `x[:, i]` on a single line, i a small integer constant; else None."""
    if not (isinstance(node.value, ast.Name) and node.value.id == x and node.lineno == node.end_lineno):
        return None
    parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else []
    if len(parts) != 2 or not (isinstance(parts[0], ast.Slice) and parts[0].lower is parts[0].upper is parts[0].step is None
                               or isinstance(parts[0], ast.Constant) and parts[0].value is Ellipsis):
        return None
    last = parts[1]
    return last.value if isinstance(last, ast.Constant) and type(last.value) is int and 0 <= last.value < 8 else None


def fix_tensor_into_parameter(code: str) -> tuple[str, list[Fix]]:
    """`layer.weight = tensor` becomes `layer.weight.data.copy_(tensor)`: a layer's weight and bias are
    parameters, and assigning them a plain tensor fails (TypeError: cannot assign 'torch.FloatTensor' as
    parameter). A module's own `self.weight = ...` (it may be defining it), an nn.Parameter and None stay."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    lines, fixes = code.splitlines(), []
    found = [node for node in ast.walk(tree) if isinstance(node, ast.Assign) and len(node.targets) == 1
             and isinstance(target := node.targets[0], ast.Attribute) and target.attr in ("weight", "bias")
             and not (isinstance(target.value, ast.Name) and target.value.id == "self")
             and node.lineno == node.end_lineno and not _is_parameter_or_none(node.value)]
    for node in sorted(found, key=lambda n: n.lineno, reverse=True):
        line, target = lines[node.lineno - 1], ast.get_source_segment(code, node.targets[0])
        value = ast.get_source_segment(code, node.value)
        lines[node.lineno - 1] = line[:node.col_offset] + f"{target}.data.copy_({value})" + line[node.end_col_offset:]
        fixes.append(Fix(node.lineno, f"{target} = {value}"[:120], f"{target}.data.copy_(...)"))
    return ("\n".join(lines) + "\n", sorted(fixes, key=lambda f: f.line)) if fixes else (code, [])


def fix_number_max(code: str) -> tuple[str, list[Fix]]:
    """`torch.max(0, x)` becomes `torch.clamp(x, min=0)` and `torch.min(1.0, x)` `torch.clamp(x, max=1.0)`: torch's
    max and min compare two tensors, and a number first fails (TypeError: max() received an invalid combination of
    arguments). So does a float second (`torch.max(x, 0.0)`) and an int second too large to be a dimension
    (`torch.min(c, 100)`); a small int second is a dimension and stays. A name the code binds to a number once
    (`c_max = 100  # from the notes`) counts as that number."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    lines, fixes = code.splitlines(), []
    numbers = numeric_names(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and ast.unparse(node.func) in ("torch.max", "torch.min") and len(node.args) == 2
                and not node.keywords and node.lineno == node.end_lineno):
            continue
        first, second = node.args
        if literal_number(first, numbers) is not None:
            found.append((node, second, first))
        elif isinstance(value := literal_number(second, numbers), float) or (value is not None and abs(value) > _MAX_DIM):
            found.append((node, first, second))
    for node, tensor, number in sorted(found, key=lambda f: (f[0].lineno, f[0].col_offset), reverse=True):
        bound = "min" if ast.unparse(node.func) == "torch.max" else "max"
        line = lines[node.lineno - 1]
        before = line[node.col_offset:node.end_col_offset]
        after = f"torch.clamp({ast.get_source_segment(code, tensor)}, {bound}={ast.get_source_segment(code, number)})"
        lines[node.lineno - 1] = line[:node.col_offset] + after + line[node.end_col_offset:]
        fixes.append(Fix(node.lineno, before, after))
    return ("\n".join(lines) + "\n", sorted(fixes, key=lambda f: f.line)) if fixes else (code, [])


# Reductions along a dimension that return (values, indices) rather than a tensor.
_PAIR_ALWAYS = frozenset({"mode", "kthvalue", "sort", "topk", "cummax", "cummin"})
_PAIR_WITH_DIM = frozenset({"max", "min", "median", "nanmedian"})
_NOT_TENSORS = frozenset({"torch", "math", "np", "F", "nn", "random"})


def _returns_pair(call: ast.Call) -> bool:
    """`torch.median(z, dim=0)`, `z.max(1)`, `torch.sort(x)`: a call that returns (values, indices)."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _PAIR_ALWAYS | _PAIR_WITH_DIM:
        return False
    on_torch = isinstance(func.value, ast.Name) and func.value.id == "torch"
    if not on_torch and isinstance(func.value, ast.Name) and func.value.id in _NOT_TENSORS:
        return False
    if func.attr in _PAIR_ALWAYS:
        return True
    dims = call.args[1:] if on_torch else call.args
    dim = dims[0] if len(dims) == 1 else next((k.value for k in call.keywords if k.arg == "dim"), None)
    value = literal_number(dim) if dim is not None else None
    return type(value) is int and abs(value) <= _MAX_DIM


def fix_pair_as_tensor(code: str) -> tuple[str, list[Fix]]:
    """`med = torch.median(z, dim=0)` then `alpha * med` takes `.values`: a reduction along a dimension (max, min,
    median, mode, sort, topk) returns (values, indices), and arithmetic on it fails (TypeError: can't multiply
    sequence by non-int of type 'float'). Left alone where the pair is taken apart (`.values`, `[0]`, `m, i = ...`)
    or the name it is bound to is (`s = torch.sort(x)` then `s.indices`)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    taken_apart = {n.value.id for n in ast.walk(tree)
                   if isinstance(n, ast.Attribute | ast.Subscript) and isinstance(n.value, ast.Name)}
    edits = []
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and _returns_pair(n) and n.lineno == n.end_lineno):
        parent = parents.get(call)
        if isinstance(parent, ast.Attribute | ast.Subscript | ast.Starred | ast.Return):
            continue
        if isinstance(parent, ast.Assign) and not (len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)
                                                   and parent.targets[0].id not in taken_apart):
            continue
        edits.append((call, f"{ast.get_source_segment(code, call)}.values"))
    edits.sort(key=lambda e: (e[0].lineno, e[0].col_offset))
    fixes = [Fix(call.lineno, ast.get_source_segment(code, call), text) for call, text in edits]
    return (spans_replaced(code, edits), fixes) if fixes else (code, [])


def fix_builtin_max_of_tensors(code: str) -> tuple[str, list[Fix]]:
    """Python's `min(eta, s)` of two tensors becomes `torch.minimum(eta, s)`, and `max(h, 0)` of a tensor and another
    value `torch.clamp(h, min=0)`: the builtins compare whole tensors (RuntimeError: Boolean value of Tensor with more
    than one value is ambiguous). Only where an argument reads a tensor for certain (_tensor_names) and none reads a
    count (`max(n, 1)` with `n = p.shape[0]` stays)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    numbers = numeric_names(tree)
    edits = []
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        tensors, counts = _tensor_names(fn) - set(numbers), _count_names(fn)
        for call in ast.walk(fn):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in ("min", "max")
                    and len(call.args) == 2 and not call.keywords and call.lineno == call.end_lineno):
                continue
            names = {n.id for arg in call.args for n in ast.walk(arg) if isinstance(n, ast.Name)}
            if not names & tensors or names & counts or any(_counts(arg) for arg in call.args):
                continue
            of_tensor = [any(isinstance(n, ast.Name) and n.id in tensors for n in ast.walk(arg)) for arg in call.args]
            first, second = (ast.get_source_segment(code, arg) for arg in call.args)
            bound = "max" if call.func.id == "min" else "min"
            if all(of_tensor):
                text = f"torch.{call.func.id}imum({first}, {second})"
            else:  # a tensor and a number (or a value not known to be a tensor): clamp bounds by either
                tensor, other = (first, second) if of_tensor[0] else (second, first)
                text = f"torch.clamp({tensor}, {bound}={other})"
            edits.append((call, text))
    edits.sort(key=lambda e: (e[0].lineno, e[0].col_offset))
    fixes = [Fix(call.lineno, ast.get_source_segment(code, call), text) for call, text in edits]
    return (spans_replaced(code, edits), fixes) if fixes else (code, [])


def drop_values_computed_from_nothing(code: str) -> tuple[str, list[Fix]]:
    """A statement that gives a name a value computed from a name bound nowhere is removed where the value is not
    needed: a function's own argument (`grad_sq = float(sum(…))` in `update(p, g, …, grad_sq)`, the skeleton's own
    line copied: the argument already holds the value), or a name nothing reads (`eps = eps0 * … ** min(t/T, 1)` at
    the top, the hook computing its own `eps_t` from its `t`). Either would fail (NameError) and change nothing."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    undefined = {name for name, _ in undefined_names(tree)}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} | harness_names() \
        | set(hook_names())  # what the harness reads
    edits = []
    for body, arguments in [(tree.body, set())] + [(fn.body, {a.arg for a in fn.args.args})
                                                    for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)]:
        edits += [stmt for stmt in body if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                  and isinstance(stmt.targets[0], ast.Name) and (stmt.targets[0].id in arguments or stmt.targets[0].id not in read)
                  and any(isinstance(n, ast.Name) and n.id in undefined for n in ast.walk(stmt.value))
                  and len(body) > 1]
    return _without_statements(code, edits, "removed: a value computed from an undefined name, which nothing needs")


def _without_statements(code: str, statements: list[ast.stmt], why: str) -> tuple[str, list[Fix]]:
    """`code` without `statements`' lines, and a Fix saying `why` for each."""
    if not statements:
        return code, []
    lines = code.splitlines()
    for stmt in sorted(statements, key=lambda e: e.lineno, reverse=True):
        del lines[stmt.lineno - 1:stmt.end_lineno]
    return "\n".join(lines) + "\n", [Fix(stmt.lineno, ast.unparse(stmt)[:120], why) for stmt in statements]


def drop_replaced_definitions(code: str) -> tuple[str, list[Fix]]:
    """A function or method defined again later in the same body loses its earlier definitions: Python runs the last
    one, and a check reading the first would judge code that never runs."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    edits = [stmt for node in ast.walk(tree) if isinstance(node, (ast.Module, ast.ClassDef))
             for index, stmt in enumerate(node.body) if isinstance(stmt, ast.FunctionDef)
             and any(isinstance(later, ast.FunctionDef) and later.name == stmt.name for later in node.body[index + 1:])]
    for stmt in edits:  # its decorators go with it
        stmt.lineno = min([stmt.lineno] + [d.lineno for d in stmt.decorator_list])
    return _without_statements(code, edits, "removed: defined again below, and Python runs the later definition")


def drop_overwritten_values(code: str) -> tuple[str, list[Fix]]:
    """A name given a value that the next statement replaces without reading it (`beta = t` then `beta = 0.9`) loses
    the first: it changes nothing, and a check would read the name as set to it. Only a value without calls (no
    side effects) is dropped."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []

    def assigned(stmt: ast.stmt) -> str | None:
        return stmt.targets[0].id if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], ast.Name) else None

    edits = [first for node in ast.walk(tree) for field in ("body", "orelse") if isinstance(getattr(node, field, None), list)
             for first, then in zip(getattr(node, field), getattr(node, field)[1:])
             if (name := assigned(first)) and name == assigned(then)
             and not any(isinstance(n, ast.Call) for n in ast.walk(first.value))
             and name not in {n.id for n in ast.walk(then.value) if isinstance(n, ast.Name)}]
    return _without_statements(code, edits, "removed: the next line replaces it")


# Hooks given one parameter tensor p (not its layer): `update(p, g, …)`, `weight_op(p, state, step)`.
_ONE_TENSOR_HOOKS = frozenset({"update", "weight_op"})


def fix_weight_of_a_tensor(code: str) -> tuple[str, list[Fix]]:
    """`p.weight` in a hook given one parameter tensor p (`update(p, g, …)`, `weight_op(p, state, step)`) becomes `p`:
    p is the weight itself, and a tensor has no `.weight` (AttributeError: 'Parameter' object has no attribute
    'weight'). `p.bias` has no such answer and stays."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    edits = []
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in _ONE_TENSOR_HOOKS):
        if "p" in {a.arg for a in fn.args.args}:
            edits += [(node, "p") for node in ast.walk(fn) if isinstance(node, ast.Attribute) and node.attr == "weight"
                      and isinstance(node.value, ast.Name) and node.value.id == "p"]
    edits.sort(key=lambda e: (e[0].lineno, e[0].col_offset))
    fixes = [Fix(node.lineno, "p.weight", "p (the hook's p is the weight tensor itself)") for node, _ in edits]
    return (spans_replaced(code, edits), fixes) if fixes else (code, [])


def fix_default_reading_a_parameter(code: str) -> tuple[str, list[Fix]]:
    """A default value that reads another parameter of its function (`def __init__(self, n, k=0.2 * n)`) is
    evaluated when the function is defined, where that parameter does not exist (NameError): the default
    becomes None and the body computes it first (`if k is None: k = 0.2 * n`), as the code means."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    module_names = {name for stmt in tree.body if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                    for name in bound_names(stmt)} | {stmt.name for stmt in tree.body if hasattr(stmt, "name")}
    fixes = []
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for fn in sorted(functions, key=lambda f: f.lineno, reverse=True):  # edits below a function leave it in place
        arguments = fn.args.posonlyargs + fn.args.args
        pairs = list(zip(arguments[len(arguments) - len(fn.args.defaults):], fn.args.defaults)) + \
            [(a, d) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None]
        parameters = {a.arg for a in arguments + fn.args.kwonlyargs}
        late = [(a, d) for a, d in pairs if any(isinstance(n, ast.Name) and n.id in parameters - module_names
                                                 for n in ast.walk(d))]
        if not late:
            continue
        code, _line = _guarded(code, fn, [line for a, d in late for line in (f"if {a.arg} is None:",
                                                                            f"    {a.arg} = {ast.unparse(d)}")])
        code = spans_replaced(code, [(d, "None") for _a, d in late])  # the signature lies above the lines put in
        fixes[:0] = [Fix(d.lineno, f"{a.arg}={ast.unparse(d)}",
                         f"{a.arg}=None, computed in the body (a default cannot read another parameter)") for a, d in late]
    return code, fixes


# math's functions of one number that torch has under the same name, for tensors.
_MATH_ON_NUMBERS = frozenset({"exp", "log", "sqrt", "tanh", "sin", "cos", "log1p", "expm1", "erf", "atan", "sinh", "cosh"})
_TENSOR_ARGUMENTS = frozenset({"x", "p", "g", "out", "logits", "h", "z", "grad", "weight"})  # what hooks pass tensors as


def _tensor_names(fn: ast.FunctionDef) -> set[str]:
    """The names in `fn` that hold tensors for certain: a forward's input, a hook's tensor arguments (x, p, g, out, …),
    and the local names computed from them."""
    args = [a.arg for a in fn.args.args if a.arg != "self"]
    names = set(args[:1] if fn.name == "forward" else []) | (set(args) & _TENSOR_ARGUMENTS)
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.value)):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _counts(node: ast.expr) -> bool:
    """`node` reads a number from a tensor (`p.numel()`, `x.shape[1]`, `g.norm().item()`, `len(x)`): math takes it."""
    return any((isinstance(n, ast.Attribute) and n.attr in ("numel", "size", "shape", "dim", "ndim", "item"))
               or (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("len", "float", "int"))
               for n in ast.walk(node))


def fix_math_on_tensors(code: str) -> tuple[str, list[Fix]]:
    """`math.exp(x)` on a tensor becomes `torch.exp(x)`: math's functions take one number, and a tensor of more than one
    element fails (ValueError: only one element tensors can be converted to Python scalars). Only where the argument
    reads a tensor for certain (_tensor_names); `math.exp(-t / T)` of numbers stays."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    found = []
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        tensors = _tensor_names(fn)
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                    and node.func.value.id == "math" and node.func.attr in _MATH_ON_NUMBERS and len(node.args) == 1 \
                    and any(isinstance(n, ast.Name) and n.id in tensors for n in ast.walk(node.args[0])) \
                    and not _counts(node.args[0]):
                found.append(node.func)
    return _module_swapped(code, found, "torch", "tensor")


def fix_tensor_fill(code: str) -> tuple[str, list[Fix]]:
    """`torch.full_like(a, v)` with a tensor `v` becomes `torch.ones_like(a) * v`: full_like takes a number (TypeError:
    full_like(): argument 'fill_value' must be Number, not Tensor). Only where `v` reads a tensor for certain
    (_tensor_names) and the call gives nothing but the two."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    edits, fixes = [], []
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        tensors = _tensor_names(fn)
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "torch.full_like" and len(node.args) == 2 \
                    and not node.keywords and any(isinstance(n, ast.Name) and n.id in tensors for n in ast.walk(node.args[1])) \
                    and not _counts(node.args[1]):
                written = f"torch.ones_like({ast.unparse(node.args[0])}) * ({ast.unparse(node.args[1])})"
                edits.append((node, written))
                fixes.append(Fix(node.lineno, ast.unparse(node), written))
    return (spans_replaced(code, edits), fixes) if edits else (code, [])


_NUMBER_ARGUMENTS = frozenset({"t", "step", "lr", "epoch", "STEPS"})  # what hooks pass (and the harness names) as numbers


def fix_torch_on_numbers(code: str) -> tuple[str, list[Fix]]:
    """`torch.sqrt(t + 1)` of plain numbers becomes `math.sqrt(t + 1)`: torch's functions take tensors (TypeError:
    sqrt(): argument 'input' must be Tensor, not int). Only where every name the argument reads is a number for
    certain: a hook's step or rate argument, a name bound once to a number literal, or one a function binds to a count
    (`rows, cols = p.shape`, `n = x.numel()`); Python's max, min and abs of such numbers are numbers too."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    found = []
    constants = set(numeric_names(tree))
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        numbers = ({a.arg for a in fn.args.args} & _NUMBER_ARGUMENTS) | constants | {"STEPS"} | _count_names(fn)
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                    and node.func.value.id == "torch" and node.func.attr in _MATH_ON_NUMBERS and len(node.args) == 1 \
                    and not node.keywords and _of_numbers(node.args[0], numbers):
                found.append(node.func)
    return _module_swapped(code, found, "math", "number")


def _module_swapped(code: str, funcs: list[ast.Attribute], module: str, argument: str) -> tuple[str, list[Fix]]:
    """`code` with each of `funcs` (`math.exp`, `torch.sqrt`) called from `module` instead, for an `argument`."""
    funcs = sorted(set(funcs), key=lambda f: (f.lineno, f.col_offset), reverse=True)
    fixes = sorted((Fix(func.lineno, f"{ast.unparse(func)}({argument})", f"{module}.{func.attr}({argument})") for func in funcs),
                   key=lambda f: f.line)
    return (_lines_replaced(code, [(func, f"{module}.{func.attr}") for func in funcs]), fixes) if fixes else (code, [])


def _is_count(node: ast.expr) -> bool:
    """`node` is itself a count read from a tensor, or arithmetic of counts and literals (`p.shape`, `x.shape[1]`,
    `p.numel() // 2`, `len(x)`); `torch.rand(p.shape[0])` reads a count but is a tensor."""
    if isinstance(node, ast.Attribute):
        return node.attr in ("shape", "ndim")
    if isinstance(node, ast.Subscript):
        return _is_count(node.value)
    if isinstance(node, ast.Call):
        return (isinstance(node.func, ast.Attribute) and node.func.attr in ("numel", "size", "dim", "item")) \
            or (isinstance(node.func, ast.Name) and node.func.id in ("len", "float", "int"))
    if isinstance(node, ast.BinOp):
        return all(_is_count(n) or isinstance(n, ast.Constant) for n in (node.left, node.right)) \
            and not all(isinstance(n, ast.Constant) for n in (node.left, node.right))
    return isinstance(node, ast.UnaryOp) and _is_count(node.operand)


def _count_names(fn: ast.FunctionDef) -> set[str]:
    """The names `fn` binds, alone or unpacked, to a count it reads from a tensor (`rows, cols = p.shape`)."""
    return {target.id for node in ast.walk(fn) if isinstance(node, ast.Assign) and _is_count(node.value)
            for t in node.targets for target in ast.walk(t) if isinstance(target, ast.Name)}


_NUMBER_BUILTINS = frozenset({"max", "min", "abs"})


def _of_numbers(node: ast.expr, numbers: set[str]) -> bool:
    """`node` is arithmetic of number literals and of `numbers` alone (Python's max, min and abs of them included),
    reading at least one name."""
    allowed = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.operator, ast.unaryop, ast.expr_context, ast.Call)
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    if any(not (isinstance(c.func, ast.Name) and c.func.id in _NUMBER_BUILTINS and not c.keywords) for c in calls):
        return False
    names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n not in {c.func for c in calls}]
    return bool(names) and set(names) <= numbers and all(isinstance(n, allowed) for n in ast.walk(node))


def _accumulates(value: ast.expr, read: ast.Call) -> bool:
    """`value` is the next value of what `read` reads: a sum or difference with the read, alone or times a factor, as
    one of its terms (`β·m + (1-β)·g`, `m - g`, `ρ * v + g**2`)."""
    terms, stack = [], [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            stack += [node.left, node.right]
        else:
            terms.append(node)
    if len(terms) < 2:
        return False
    return any(term is read or (isinstance(term, ast.BinOp) and isinstance(term.op, ast.Mult)
                                and read in (term.left, term.right)) for term in terms)


def store_accumulated_state(code: str) -> tuple[str, list[Fix]]:
    """`m_t = β1 * state.setdefault("m", zeros) + (1 - β1) * g` with the entry never stored back gets the line that stores
    it (`state["m"] = m_t`): the formula computes the entry's next value, and without the line every step reads the
    start again (a momentum that never builds up). Only an assignment to a name whose value accumulates the entry
    (_accumulates); other reads stay for the static check."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    reads = unstored_state_reads(tree)
    lines, fixes, inserts = code.splitlines(), [], []
    for statement in (n for n in ast.walk(tree) if isinstance(n, ast.Assign) and len(n.targets) == 1
                      and isinstance(n.targets[0], ast.Name)):
        for read in reads:
            if _accumulates(statement.value, read):
                indent = lines[statement.lineno - 1][:statement.col_offset]
                store = f"{indent}{_state_entry(read)} = {statement.targets[0].id}"
                inserts.append((statement.end_lineno or statement.lineno, store))
    for after, store in sorted(inserts, reverse=True):
        lines.insert(after, store)
        fixes.append(Fix(after + 1, "(never stored back)", store.strip()))
    return ("\n".join(lines) + "\n", sorted(fixes, key=lambda f: f.line)) if fixes else (code, [])


def _state_entry(read: ast.expr) -> str | None:
    """The entry a read of the state names, to store into: `state['m']` for `state.setdefault('m', …)`,
    `state.get('m')` or `state['m']`; None for a call without a key."""
    if isinstance(read, ast.Subscript):
        return ast.unparse(read)
    return f"{ast.unparse(read.func.value)}[{ast.unparse(read.args[0])}]" if read.args else None


def store_rebound_state(code: str) -> tuple[str, list[Fix]]:
    """`m = state.setdefault("m", zeros)`, then `m = beta * m + g`, in a function that stores nothing into the state
    and never changes `m` in place, gets `state["m"] = m` after the last statement giving `m` a new value (the static
    check's state_rebound, fixed as it says): without it every step starts again from the old value."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    lines, inserts = code.splitlines(), []
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and not state_stores(n)):
        last: dict[str, tuple[ast.Assign, ast.Assign]] = {}
        for read, node in rebound_state(fn):
            if node.targets[0].id not in last or node.lineno > last[node.targets[0].id][1].lineno:
                last[node.targets[0].id] = (read, node)
        for name, (read, node) in last.items():
            top = next(stmt for stmt in fn.body if stmt.lineno <= node.lineno <= (stmt.end_lineno or stmt.lineno))
            where = _state_entry(read.value)
            if isinstance(top, ast.Return) or where is None:
                continue
            inserts.append((top.end_lineno or top.lineno, f"{lines[top.lineno - 1][:top.col_offset]}{where} = {name}"))
    fixes = []
    for after, store in sorted(inserts, reverse=True):
        lines.insert(after, store)
        fixes.append(Fix(after + 1, "(never stored back)", store.strip()))
    return ("\n".join(lines) + "\n", sorted(fixes, key=lambda f: f.line)) if fixes else (code, [])


_MAX_DIM = 4  # the lab's tensors have at most 4 dimensions: a larger int is a value, never a dimension


def literal_number(node: ast.expr, names: dict[str, int | float] | None = None) -> int | float | None:
    """The value of a number literal (`0`, `-1.5`) or of a name in `names`, else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = literal_number(node.operand, names)
        return -inner if inner is not None else None
    if isinstance(node, ast.Name) and names:
        return names.get(node.id)
    return node.value if isinstance(node, ast.Constant) and type(node.value) in (int, float) else None


def numeric_names(tree: ast.Module) -> dict[str, int | float]:
    """Names the code binds exactly once, to a number literal."""
    bound: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(node.value)
    return {name: value for name, values in bound.items() if len(values) == 1 and (value := literal_number(values[0])) is not None}


def _is_parameter_or_none(value: ast.expr) -> bool:
    if isinstance(value, ast.Constant) and value.value is None:
        return True
    return isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] in ("Parameter", "UninitializedParameter")


def fix_matrix_only_weight_op(code: str) -> tuple[str, list[Fix]]:
    """A `weight_op(p, state, step)` that works on the rows of p (`dim=1`, `p.shape[1]`, `p.t()`, or gives p to a
    function of the code that works on a matrix) and tests p's dimensions nowhere before it gets
    `if p.dim() < 2: return` first: it is called for every parameter, and on a bias (a vector) such code fails with
    "Dimension out of range". One that adds p and its transpose (`(W - W.T) / 2`) gets `if p.dim() < 2 or
    p.shape[0] != p.shape[1]: return`: that is defined for square matrices only."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "weight_op" and n.args.args), None)
    if fn is None:
        return code, []
    p = fn.args.args[0].arg
    derived, matrix_functions = _computed_from(fn, p), _matrix_functions(tree, fn)

    def on_rows(statement: ast.stmt) -> bool:
        return any((isinstance(n, ast.keyword) and n.arg == "dim" and isinstance(n.value, ast.Constant) and n.value.value == 1)
                   or (isinstance(n, ast.Subscript) and ast.unparse(n) == f"{p}.shape[1]")
                   or (isinstance(n, ast.Attribute) and n.attr in ("t", "T") and ast.unparse(n.value) == p)
                   or (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in matrix_functions
                       and any(isinstance(a, ast.Name) and a.id in derived for arg in n.args for a in ast.walk(arg)))
                   for n in ast.walk(statement))

    if _adds_its_transpose(fn, derived) and not any(isinstance(n, ast.Compare) and "shape" in ast.unparse(n)
                                                    for n in ast.walk(fn)):
        fixed, line = _guarded(code, fn, [f"if {p}.dim() < 2 or {p}.shape[0] != {p}.shape[1]:  # the rule adds a matrix "
                                          "and its transpose: square matrices only", "    return"])
        return fixed, [Fix(line, "weight_op adding a matrix and its transpose on every parameter",
                           f"if {p}.dim() < 2 or {p}.shape[0] != {p}.shape[1]: return")]
    first = next((i for i, statement in enumerate(fn.body) if on_rows(statement)), None)
    if first is None or any(_tests_dimensions(statement) for statement in fn.body[:first + 1]):
        return code, []  # no work on rows, or p's dimensions tested before it (`if p.dim() == 2: d = d.mean(dim=1)`)
    fixed, line = _guarded(code, fn, [f"if {p}.dim() < 2:  # a bias: the rule is about rows of a matrix", "    return"])
    return fixed, [Fix(line, "weight_op on rows of every parameter", f"if {p}.dim() < 2: return")]


def _adds_its_transpose(fn: ast.FunctionDef, derived: set[str]) -> bool:
    """Whether `fn` adds or subtracts a value computed from p and its transpose (`(W - W_T) / 2` with `W_T = W.T`,
    `p + p.T`): defined for square matrices only."""
    def transpose(node: ast.AST) -> bool:
        target = node.func if isinstance(node, ast.Call) else node
        return isinstance(target, ast.Attribute) and target.attr in ("T", "t", "mT") and isinstance(target.value, ast.Name) \
            and target.value.id in derived
    transposed = {t.id for n in ast.walk(fn) if isinstance(n, ast.Assign) and transpose(n.value)
                  for t in n.targets if isinstance(t, ast.Name)}

    def side(node: ast.expr) -> str:
        if transpose(node) or (isinstance(node, ast.Name) and node.id in transposed):
            return "transpose"
        return "value" if isinstance(node, ast.Name) and node.id in derived else ""
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub))
               and {side(n.left), side(n.right)} == {"transpose", "value"} for n in ast.walk(fn))


def _computed_from(fn: ast.FunctionDef, p: str) -> set[str]:
    """p and the names `fn` computes from it (`D = p - anchor`)."""
    derived = {p}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)} & derived:
            derived |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return derived


def _matrix_functions(tree: ast.Module, fn: ast.FunctionDef) -> set[str]:
    """The code's functions besides `fn` that work on a matrix (`def ns5(G): … X.shape[1] … X.T … X @ X.T`) and never
    test its dimensions: given p or a value computed from it, they fail on a bias."""
    return {f.name for f in tree.body if isinstance(f, ast.FunctionDef) and f is not fn and not _tests_dimensions(f)
            and any((isinstance(n, ast.Attribute) and n.attr in ("t", "T", "mT"))
                    or (isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult))
                    or (isinstance(n, ast.Subscript) and ast.unparse(n).endswith(".shape[1]")) for n in ast.walk(f))}


def _tests_dimensions(fn: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr in ("dim", "ndim", "ndimension") for n in ast.walk(fn))


def _guarded(code: str, fn: ast.FunctionDef, guard: list[str]) -> tuple[str, int]:
    """`code` with the `guard` lines put before the first statement of `fn`'s body (after its docstring), and that line."""
    body = fn.body[1] if ast.get_docstring(fn) is not None and len(fn.body) > 1 else fn.body[0]
    lines = code.splitlines()
    lines[body.lineno - 1:body.lineno - 1] = [" " * body.col_offset + line for line in guard]
    return "\n".join(lines) + "\n", body.lineno


def _update_hook(code: str, arguments: int = 4) -> ast.FunctionDef | None:
    """The top-level `update(p, g, state, lr, t)` of `code` taking at least `arguments` arguments; None when there is
    none or the code does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "update"
                 and len(n.args.args) >= arguments), None)


def fix_matrix_only_update(code: str) -> tuple[str, list[Fix]]:
    """An `update(p, g, state, lr, t)` that works on p as a matrix (`rows, cols = p.shape`, `p.shape[1]`, a matrix
    product `@`, a transpose) and never tests p's dimensions gets `if p.dim() < 2:` a plain gradient step and return,
    first: it is called for every parameter, and on a bias (a vector) such code fails or computes something else."""
    fn = _update_hook(code)
    if fn is None:
        return code, []
    p, g, lr = fn.args.args[0].arg, fn.args.args[1].arg, fn.args.args[3].arg
    as_matrix = any((isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Tuple) and ast.unparse(n.value) == f"{p}.shape")
                    or (isinstance(n, ast.Subscript) and ast.unparse(n) == f"{p}.shape[1]")
                    or (isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult))
                    or (isinstance(n, ast.Attribute) and n.attr in ("t", "T", "mT"))
                    for n in ast.walk(fn))
    if _tests_dimensions(fn) or not as_matrix:
        return code, []
    fixed, line = _guarded(code, fn, [f"if {p}.dim() < 2:  # a bias: the rule is for matrices, a plain step here",
                                      f"    {p}.sub_({lr} * {g})", "    return"])
    return fixed, [Fix(line, "update of every parameter as a matrix", f"if {p}.dim() < 2: {p}.sub_({lr} * {g}); return")]


def store_new_weights(code: str) -> tuple[str, list[Fix]]:
    """An `update(p, g, …)` that never changes p computes the new weights into a name nothing reads (`W = p - lr * X`,
    `theta_next = theta - lr * m` after `theta = p`): the step is lost, so `p.copy_(W)` is put right after the last such
    assignment in the hook's own body."""
    fn = _update_hook(code, arguments=1)
    if fn is None or _changes_in_place(fn, fn.args.args[0].arg):
        return code, []
    read = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    weights, new = {fn.args.args[0].arg}, None
    for stmt in fn.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)} & weights:
            weights.add(stmt.targets[0].id)  # the weights, or a value computed from them
            if stmt.targets[0].id not in read and not isinstance(stmt.value, ast.Name):
                new = stmt  # computed from them (`theta = p` alone is no new value)
    if new is None:
        return code, []
    name, lines = new.targets[0].id, code.splitlines()
    lines.insert(new.end_lineno, " " * new.col_offset + f"{fn.args.args[0].arg}.copy_({name})  # the new weights, kept")
    return "\n".join(lines) + "\n", [Fix(new.lineno, f"{name} computed and never stored", f"{fn.args.args[0].arg}.copy_({name})")]


# What notes call the step size of an update rule, when the model keeps it as a number of its own.
_STEP_SIZE_NAMES = frozenset({"alpha", "eta", "η", "α", "step_size", "learning_rate", "lr0", "base_lr"})


def use_tuned_step_size(code: str) -> tuple[str, list[Fix]]:
    """An `update(p, g, state, lr, t)` that never reads lr and sets its step size to the notes' number
    (`alpha = 1e-3  # from the notes`) runs the idea at that fixed rate while the baseline's rate is tuned: the
    step size becomes lr, which starts at the notes' rate where they give one. A rule with no step size of its own
    (no such name set to a number) is left as it is."""
    fn = _update_hook(code)
    if fn is None:
        return code, []
    lr = fn.args.args[3].arg
    if any(isinstance(n, ast.Name) and n.id == lr and isinstance(n.ctx, ast.Load) for n in ast.walk(fn)):
        return code, []
    sets = [stmt for stmt in fn.body if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in _STEP_SIZE_NAMES
            and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, int | float)]
    if len(sets) != 1:
        return code, []
    stmt, lines = sets[0], code.splitlines()
    name, rate = stmt.targets[0].id, stmt.value.value
    lines[stmt.lineno - 1] = " " * stmt.col_offset + f"{name} = {lr}  # the rate the lab tunes for both arms (the notes': {rate})"
    return "\n".join(lines) + "\n", [Fix(stmt.lineno, ast.unparse(stmt), f"{name} = {lr}")]


def _changes_in_place(fn: ast.FunctionDef, name: str) -> bool:
    """Whether `fn` changes the tensor `name` in place (static_check.changes_in_place), not counting a branch that
    returns (`if p.dim() < 2: p.sub_(lr * g); return`)."""
    guards = {id(n) for stmt in ast.walk(fn) if isinstance(stmt, ast.If) and isinstance(stmt.body[-1], ast.Return)
              for part in stmt.body for n in ast.walk(part)}
    return any(changes_in_place(node, {name}) for node in ast.walk(fn) if id(node) not in guards)


def _copy_call(stmt: ast.stmt) -> tuple[ast.expr, ast.expr] | None:
    """(target, source) of a statement `target.copy_(source)`."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "copy_" \
            and len(call.args) == 1 and not call.keywords:
        return call.func.value, call.args[0]
    return None


def _averaged_in_notes(a: str, b: str, note_pairs: NotePairs) -> bool:
    """Whether a note line averages the two names: `(w1+w2)/2` for code names like weight1, weight2."""
    for x, op, y, line in note_pairs:
        average = re.search(rf"[(（]\s*{re.escape(x)}\s*\+\s*{re.escape(y)}\s*[)）]\s*/\s*2", line)
        if op == "+" and average and ((same_name(x, a) and same_name(y, b)) or (same_name(x, b) and same_name(y, a))):
            return True
    return False


def fix_sync_to_average(code: str, note_pairs: NotePairs = ()) -> tuple[str, list[Fix]]:
    """Two lines that set two weight copies from the two of them, such as `a.copy_(b); b.copy_(a)`
    or `a.copy_((a + b) / 2); b.copy_((a + b) / 2)`, leave them unequal or equal to one of them.
    When the notes average the two, `w = (w1+w2)/2` and then `w1 = w2 = w`, the lines become
    `a.copy_((a + b) / 2); b.copy_(a)`."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    lines, fixes = code.splitlines(keepends=True), []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        for first, second in zip(body, body[1:]) if isinstance(body, list) else ():
            one, two = _copy_call(first), _copy_call(second)
            if not (one and two and first.lineno == first.end_lineno and second.lineno == second.end_lineno):
                continue
            a, b = ast.unparse(one[0]), ast.unparse(two[0])
            if a == b or not all(_made_of(source, (a, b)) for source in (one[1], two[1])) \
                    or not _averaged_in_notes(leaf_name(one[0]), leaf_name(two[0]), note_pairs):
                continue
            a_text, b_text = (ast.get_source_segment(code, e) for e in (one[0], two[0]))
            for stmt, after in ((first, f"{a_text}.copy_(({a_text} + {b_text}) / 2)"), (second, f"{b_text}.copy_({a_text})")):
                before = ast.get_source_segment(code, stmt)
                if before != after:
                    lines[stmt.lineno - 1] = lines[stmt.lineno - 1].replace(before, after, 1)
                    fixes.append(Fix(stmt.lineno, before, after))
    return "".join(lines), fixes


def _made_of(expr: ast.expr, names: tuple[str, ...]) -> bool:
    """Whether `expr` uses no variable but `names` (e.g. `(self.w1 + self.w2) / 2` of self.w1, self.w2)."""
    text = ast.unparse(expr)
    for name in names:
        text = re.sub(rf"(?<![\w.]){re.escape(name)}(?!\w)", "0", text)
    return re.search(r"[A-Za-z_]", text) is None


def drop_unrequested_after_step(code: str, kinds: Sequence[str]) -> tuple[str, list[Fix]]:
    """Without `after_step` when it changes tensors but none of the idea's kinds is expressed by
    after_step (a weight operation or a regulariser is; an update rule or a layer is not)."""
    if not kinds or "after_step" in hooks_for(kinds):
        return code, []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    after_step = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "after_step"), None)
    edit = next((n for n in ast.walk(after_step) if _edits_tensor(n)), None) if after_step else None
    if edit is None:
        return code, []
    return drop_definitions(code, {"after_step"}), [
        Fix(edit.lineno, ast.unparse(edit)[:120], "after_step removed: the idea does nothing to the weights after a step")]


def _edits_tensor(node: ast.AST) -> bool:
    """An in-place tensor method (`w.copy_(...)`, `w.div_(...)`) or an assignment to `.data`/`.weight`/`.bias`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr.endswith("_") and not node.func.attr.startswith("_")
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
    return any(isinstance(t, ast.Attribute) and t.attr in ("data", "weight", "bias") for t in targets)


Fixer = Callable[[str, Sequence[str], NotePairs], tuple[str, list[Fix]]]
def add_hooks_from_methods(code: str) -> tuple[str, list[Fix]]:
    """A hook written as a method of a class that can be built without arguments (`class MaxNorm:
    def after_step(self, model, step)`), with no top-level function of that name, gets the
    top-level hook, which calls the method of one instance of the class."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    added, fixes = [], []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or _init_arity(node) != 0:
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name in hook_names() and item.name not in defined:
                args = ", ".join(a.arg for a in item.args.args[1:])
                added.append(f"def {item.name}({args}):\n"
                             f"    if {node.name!r} not in _HOOK_OWNERS:\n"
                             f"        _HOOK_OWNERS[{node.name!r}] = {node.name}()\n"
                             f"    return _HOOK_OWNERS[{node.name!r}].{item.name}({args})")
                defined.add(item.name)
                fixes.append(Fix(item.lineno, f"{node.name}.{item.name} (a method)", f"top-level {item.name}"))
    if not added:
        return code, []
    owners = "_HOOK_OWNERS = {}  # class name -> the one instance whose methods are the hooks\n\n\n"
    return code.rstrip("\n") + "\n\n\n" + owners + "\n\n\n".join(added) + "\n", fixes


_SELF_RATE = re.compile(r"\bself\.(?:lr|learning_rate)\b(?!\s*=[^=])")  # read
_SETS_SELF_RATE = re.compile(r"\bself\.(?:lr|learning_rate)\s*=[^=]")


def fix_unset_learning_rate(code: str) -> tuple[str, list[Fix]]:
    """`self.lr` read in a module class that never sets it becomes the harness's LR (the arm's learning
    rate, set before the model is built): small models read the rate from the module, which has none.
    An optimizer's own rate is its param_groups', so optimizer classes are left to the static check."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    lines, fixes = code.splitlines(), []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        span = range(cls.lineno - 1, cls.end_lineno or cls.lineno)
        optimizer = any("Optimizer" in ast.unparse(base) for base in cls.bases)
        if optimizer or any(_SETS_SELF_RATE.search(lines[i]) for i in span):
            continue
        for i in span:
            if _SELF_RATE.search(lines[i]):
                lines[i] = _SELF_RATE.sub("LR", lines[i])
                fixes.append(Fix(i + 1, "self.lr (never set)", "LR"))
    return ("\n".join(lines) + "\n", fixes) if fixes else (code, [])


# The modules the code reaches by the harness's names, and where a function missing from one is looked for instead.
_MODULE_NAMES = {"torch": "torch", "F": "torch.nn.functional", "nn": "torch.nn"}
_FUNCTION_MODULES = ("torch", "torch.nn.functional", "torch.special", "torch.linalg")
_SHORT = {path: name for name, path in _MODULE_NAMES.items()}  # torch.nn.functional as the code calls it: F


def fix_missing_functions(code: str) -> tuple[str, list[Fix]]:
    """`F.logsumexp(…)` becomes `torch.logsumexp(…)`: a function called from a torch module that lacks it, taken from
    the first module that has it (torch, torch.nn.functional, torch.special, torch.linalg), instead of an
    AttributeError at run time; a bare call nothing defines (`einsum(…)`, copied from the notes) is taken from there
    too, instead of a NameError. Nothing changes without torch installed here."""
    try:
        tree = ast.parse(code)
        modules = {name: importlib.import_module(path) for name, path in _MODULE_NAMES.items()}
        places = {path: importlib.import_module(path) for path in _FUNCTION_MODULES}
    except (SyntaxError, ImportError):
        return code, []
    edits, fixes = [], []
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name) and n.func.value.id in modules]
    undefined = {name for name, _ in undefined_names(tree)}
    calls += [n.func for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in undefined]
    for func in sorted(calls, key=lambda f: (f.lineno, f.col_offset)):  # in reading order
        name = func.id if isinstance(func, ast.Name) else func.attr
        if isinstance(func, ast.Attribute) and hasattr(modules[func.value.id], name) or func.lineno != func.end_lineno:
            continue
        home = next((path for path, module in places.items() if callable(getattr(module, name, None))), None)
        if home:
            called = f"{_SHORT.get(home, home)}.{name}"
            edits.append((func, called))
            fixes.append(Fix(func.lineno, ast.unparse(func), called))
    return (_lines_replaced(code, edits), fixes) if fixes else (code, [])


# The notes' names for what an update rule's hook is given, at the step (`θ_t`, `g_t`): the hook's own argument.
_UPDATE_ARGUMENTS = {"p": ("theta", "w", "param", "x"), "g": ("grad", "gradient"), "lr": ("eta",)}


def fix_note_names_in_update(code: str) -> tuple[str, list[Fix]]:
    """A name that nothing binds, read in an update hook `update(p, g, …)`, that is the notes' name for one of its
    arguments (`theta_t`, `θ`, `w_t`, `W` for p; `g_t`, `grad`, `G` for g; `eta`, `η` for lr) becomes that argument:
    the model copied the notes' letters (a NameError at the first step). Such a name read before the hook assigns it
    (`W = W - lr * X` then `p.copy_(W)`) is the argument where it is read up to that assignment (an
    UnboundLocalError otherwise); the name it assigns stays the model's."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    undefined = {name for name, _ in undefined_names(tree)}
    edits = []
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "update"):
        arguments = {a.arg for a in fn.args.args}
        notes_names = {f"{name}{suffix}": argument for argument, names in _UPDATE_ARGUMENTS.items() if argument in arguments
                       for name in (*names, *([argument] if argument != "lr" else [])) for suffix in ("", "_t")}
        argument_of = lambda name: notes_names.get(greek_spelled(name)) or notes_names.get(greek_spelled(name).lower())  # noqa: E731
        edits += [(n, argument_of(n.id)) for n in ast.walk(fn)
                  if isinstance(n, ast.Name) and n.id in undefined and argument_of(n.id)]
        for read in reads_before_assigned(fn):
            if argument := argument_of(read.id):
                edits += [(n, argument) for n in _reads_until_bound(fn, read.id)]
    edits.sort(key=lambda e: (e[0].lineno, e[0].col_offset))  # in reading order
    fixes = [Fix(node.lineno, node.id, name) for node, name in edits]
    return (_lines_replaced(code, edits), fixes) if fixes else (code, [])


def _reads_until_bound(fn: ast.FunctionDef, name: str) -> list[ast.Name]:
    """The reads of `name` in the statements of `fn`'s body up to the first that binds it, that one's included."""
    reads = []
    for stmt in fn.body:
        reads += [n for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
        if name in bound_names(stmt):
            break
    return reads


GENERIC_FIXES = ("fix_script_digit_names", "drop_replaced_definitions", "drop_prints", "drop_harness_restatements", "drop_values_computed_from_nothing", "drop_overwritten_values", "fix_default_reading_a_parameter", "fix_hook_names", "add_hooks_from_methods", "fix_unset_learning_rate", "fix_tensor_into_parameter",
                 "fix_plain_tensor_weights",
                 "fix_weight_of_a_tensor", "fix_number_max", "fix_builtin_max_of_tensors", "fix_pair_as_tensor", "fix_math_on_tensors", "fix_torch_on_numbers", "fix_tensor_fill",
                 "fix_missing_functions", "store_accumulated_state", "store_rebound_state")  # run for every idea
# Every fix by the name guards/kinds.py lists, in the order they run.
FIXES: dict[str, Fixer] = {
    "fix_script_digit_names": lambda code, _kinds, _pairs: fix_script_digit_names(code),
    "drop_replaced_definitions": lambda code, _kinds, _pairs: drop_replaced_definitions(code),
    "drop_prints": lambda code, _kinds, _pairs: drop_prints(code),
    "drop_harness_restatements": lambda code, _kinds, _pairs: drop_harness_restatements(code),
    "fix_weight_names": lambda code, _kinds, pairs: fix_weight_names(code, pairs),
    "fix_weight_products": lambda code, _kinds, _pairs: fix_weight_products(code),
    "fix_plain_tensor_weights": lambda code, _kinds, _pairs: fix_plain_tensor_weights(code),
    "fix_weight_init": lambda code, _kinds, _pairs: fix_weight_init(code),
    "fix_hook_names": lambda code, _kinds, _pairs: fix_hook_names(code),
    "fix_unset_learning_rate": lambda code, _kinds, _pairs: fix_unset_learning_rate(code),
    "add_hooks_from_methods": lambda code, _kinds, _pairs: add_hooks_from_methods(code),
    "fix_two_input_forward": lambda code, _kinds, _pairs: fix_two_input_forward(code),
    "add_optimizer_hook": lambda code, _kinds, _pairs: add_optimizer_hook(code),
    "fix_note_names_in_update": lambda code, _kinds, _pairs: fix_note_names_in_update(code),
    "store_new_weights": lambda code, _kinds, _pairs: store_new_weights(code),
    "use_tuned_step_size": lambda code, _kinds, _pairs: use_tuned_step_size(code),
    "add_module_hook": lambda code, kinds, _pairs: add_module_hook(code, kinds),
    "fix_sync_to_average": lambda code, _kinds, pairs: fix_sync_to_average(code, pairs),
    "fix_unit_indexing": lambda code, _kinds, _pairs: fix_unit_indexing(code),
    "fix_tensor_into_parameter": lambda code, _kinds, _pairs: fix_tensor_into_parameter(code),
    "fix_number_max": lambda code, _kinds, _pairs: fix_number_max(code),
    "fix_weight_of_a_tensor": lambda code, _kinds, _pairs: fix_weight_of_a_tensor(code),
    "fix_default_reading_a_parameter": lambda code, _kinds, _pairs: fix_default_reading_a_parameter(code),
    "fix_builtin_max_of_tensors": lambda code, _kinds, _pairs: fix_builtin_max_of_tensors(code),
    "fix_pair_as_tensor": lambda code, _kinds, _pairs: fix_pair_as_tensor(code),
    "fix_math_on_tensors": lambda code, _kinds, _pairs: fix_math_on_tensors(code),
    "fix_torch_on_numbers": lambda code, _kinds, _pairs: fix_torch_on_numbers(code),
    "fix_tensor_fill": lambda code, _kinds, _pairs: fix_tensor_fill(code),
    "fix_missing_functions": lambda code, _kinds, _pairs: fix_missing_functions(code),
    "store_accumulated_state": lambda code, _kinds, _pairs: store_accumulated_state(code),
    "store_rebound_state": lambda code, _kinds, _pairs: store_rebound_state(code),
    "fix_matrix_only_weight_op": lambda code, _kinds, _pairs: fix_matrix_only_weight_op(code),
    "fix_matrix_only_update": lambda code, _kinds, _pairs: fix_matrix_only_update(code),
    "drop_unrequested_after_step": lambda code, kinds, _pairs: drop_unrequested_after_step(code, kinds),
    "drop_values_computed_from_nothing": lambda code, _kinds, _pairs: drop_values_computed_from_nothing(code),
    "drop_overwritten_values": lambda code, _kinds, _pairs: drop_overwritten_values(code),
}  # the last: a name the fixes above bind (the notes' letter for an argument) is not bound nowhere


def apply_fixes(code: str, kinds: Sequence[str], note_pairs: NotePairs = ()) -> tuple[str, list[Fix]]:
    """The generic fixes and those of the idea's `kinds` (guards/kinds.py), in turn; `note_pairs`
    are the idea's bracketed sums (idea_sections.note_pairs)."""
    kinds = canonical(kinds)
    wanted = fixes_for(kinds) | set(GENERIC_FIXES)
    fixes: list[Fix] = []
    for name, fix in FIXES.items():
        if name in wanted:
            code, made = fix(code, kinds, note_pairs)
            fixes += made
    return code, fixes
