"""Static checks of generated idea code before it runs: safety, the hook interface, plain mistakes.

The sandbox is what keeps the machine safe; these checks catch problems early and phrase them
so the code generator can fix its code. Every problem carries the idea-code line it refers to.

Generic checks (syntax, imports, names, top-level code, reserved names, hooks' signatures,
undefined names, base __init__ calls, stubs, unset attributes) run for every idea. The checks
written for a kind of idea (IDEA_CHECKS, listed per kind in guards/kinds.py) run only for the
kinds that list them. A problem blocks the code unless its kind starts with ADVICE ("advice_"):
checks derived from the note's formulas advise (the code may say the same thing otherwise),
and block only where a wrong result is certain. `blocking(problems)` keeps those that block.
"""

from __future__ import annotations

import ast
import builtins
import io
import re
import tokenize
from collections.abc import Callable, Iterable, Iterator, Sequence

from agentnotes.experiments.guards.kinds import canonical, checks_for, kinds_of
from agentnotes.experiments.guards.problems import Problem
from agentnotes.experiments.lab.template import harness_constant, harness_imports, harness_names, hook_names, import_binding

ALLOWED_MODULES = frozenset({
    "torch", "math", "numpy", "typing", "dataclasses", "functools", "itertools", "collections", "copy", "random",
    "__future__",
})
# Attributes that reach files, downloads, compilers or processes through allowed modules.
FORBIDDEN_ATTRIBUTES = frozenset({
    "hub", "cpp_extension", "distributed", "multiprocessing", "load", "save", "load_library", "from_file",
    "fromfile", "tofile", "loadtxt", "savetxt", "genfromtxt", "memmap", "DataSource", "ctypeslib", "_C",
    "system", "popen",
})
FORBIDDEN_BUILTINS = frozenset({
    "open", "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "input", "breakpoint",
    "exit", "quit", "help", "__builtins__", "__file__", "__loader__", "__spec__",
})
FORBIDDEN_MODULE_NAMES = frozenset({
    "os", "sys", "subprocess", "socket", "shutil", "pathlib", "requests", "urllib", "http", "importlib",
    "builtins", "ctypes", "pickle", "io", "signal", "threading", "multiprocessing", "json", "time", "platform",
})
ALLOWED_DUNDER_ATTRIBUTES = frozenset({"__init__", "__call__", "__name__"})
ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "setattr", "delattr", "hasattr"})
# How many positional arguments the harness passes to each hook.
HOOK_ARITY = {"build_model": ("in_dim", "hidden", "out_dim"), "make_optimizer": ("params", "lr"), "after_step": ("model", "step"),
              "compute_loss": ("out", "y", "model", "step"), "transform_batch": ("x", "y", "step"), "lr_at": ("step", "lr"),
              "batch_size_at": ("step",), "choose_batch": ("idx", "x", "y", "model", "step")}
_MUST_RETURN = ("build_model", "make_optimizer")


ADVICE = "advice_"  # the kind prefix of a problem that informs and does not block
NotePairs = Sequence[tuple[str, str, str, str]]  # idea_sections.note_pairs


def check_idea_code(code: str, kinds: Sequence[str] = (), note_pairs: NotePairs = ()) -> list[Problem]:
    """Problems in the idea code, in line order: the generic checks, the hooks the idea's `kinds`
    need (guards/kinds.py) and the checks those kinds list. `note_pairs`, (a, "+", "-" or "*", b,
    note line), are the formulas of its notes, which the code is advised to compute with the same
    names. The code may run when `blocking(problems)` is empty."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        where = f" (column {exc.offset})" if exc.offset else ""
        return [Problem("syntax", f"SyntaxError: {exc.msg}{where}: {(exc.text or '').strip()}", exc.lineno)]
    modules, kinds = _module_aliases(tree), canonical(kinds)
    problems = [
        *_check_imports(tree),
        *_check_names(tree, modules),
        *_check_top_level(tree),
        *_check_reserved(tree),
        *_check_hooks(tree),
        *_check_required_hooks(tree, kinds),
        *_check_init_calls(tree),
        *_check_stubs(tree),
        *_check_undefined(tree),
        *_check_read_before_assigned(tree),
        *_check_unset_attributes(tree),
        *_check_unused_results(tree),
        *_check_discarded_values(tree),
        *_check_state_rebound(tree),
        *_check_state_never_written(tree),
        *_check_weights_never_changed(tree),
        *_check_tensor_as_module(tree),
        *_check_unused_parameters(tree),
        *_check_self_mixes(tree),
        *_check_power_of_weights(tree),
    ]
    for name in sorted(checks_for(kinds) & set(IDEA_CHECKS)):
        problems += IDEA_CHECKS[name](code, tree, note_pairs)
    return sorted(set(problems), key=lambda p: (p.line or 0, p.kind, p.message))


def _check_power_of_weights(tree: ast.Module) -> list[Problem]:
    """`r ** p` in an update hook `update(p, g, …)`: raised to the weights tensor p itself, where the notes' exponent p
    (`(‖w_j‖ / med)^p`) is a number of theirs that shares its letter with the hook's parameter."""
    problems = []
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        if [a.arg for a in fn.args.args][:2] != ["p", "g"]:
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Name) \
                    and node.right.id == "p":
                problems.append(Problem("power_of_weights", f"`{ast.unparse(node)}` raises to the weights tensor p, the "
                                                            f"hook's parameter; the notes' exponent p is a number of "
                                                            f"theirs: give it another name (p_exp = …) and raise to that",
                                        node.lineno))
    return problems


def _check_self_mixes(tree: ast.Module) -> list[Problem]:
    """`a*x + (1-a)*x`: a mix of a value with itself, which is the value unchanged (a mix of two samples,
    two weights or two outputs written with the same operand twice)."""
    problems = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
            continue
        mixed = next((x for a, x in _factorings(node.left) for b, y in _factorings(node.right)
                      if x == y and _complements(a, b)), None)
        if mixed is not None:
            problems.append(Problem("self_mix", f"`{ast.unparse(node)}` mixes `{mixed}` with itself, so it is "
                                                f"`{mixed}` unchanged: mix it with the other value the notes name", node.lineno))
    return problems


def _factorings(node: ast.expr) -> list[tuple[str, str]]:
    """(factor, operand) both ways of a product `a * b`, as source; [] for anything else."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return []
    a, b = ast.unparse(node.left), ast.unparse(node.right)
    return [(a, b), (b, a)]


def _complements(a: str, b: str) -> bool:
    """One factor is `1 - other`."""
    a, b = a.replace(" ", "").strip("()"), b.replace(" ", "").strip("()")
    return b == f"1-{a}" or a == f"1-{b}"


def is_advice(problem: Problem) -> bool:
    return problem.kind.startswith(ADVICE)


def blocking(problems: Sequence[Problem]) -> list[Problem]:
    """The problems that keep the code from running (advice left out)."""
    return [p for p in problems if not is_advice(p)]


def _module_aliases(tree: ast.Module) -> set[str]:
    """Names that refer to modules: the harness's imports plus the idea's own."""
    names = set(harness_imports())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(import_binding(a)[0] for a in node.names)
    return names


# What torch offers for a library a note names but the sandbox does not allow (the longest matching prefix).
_TORCH_FOR = {
    "scipy.stats.qmc": "torch.quasirandom.SobolEngine(dimension, scramble=True, seed=s).draw(n) gives n Sobol points "
                       "in [0, 1)^dimension",
    "scipy.stats": "torch.distributions (Normal(0, 1).icdf(u) or torch.special.ndtri(u) is the inverse normal CDF, "
                   ".cdf and .log_prob the others); torch.quasirandom.SobolEngine gives Sobol points",
    "scipy.special": "torch.special (erf, erfinv, ndtri, expit, logit, gammaln, digamma, xlogy, i0)",
    "scipy.fft": "torch.fft (fft, ifft, rfft2, irfft2, fftfreq)",
    "scipy.fftpack": "torch.fft (fft, ifft, rfft2, irfft2, fftfreq)",
    "scipy.linalg": "torch.linalg (svd, qr, eigh, inv, norm, matrix_exp)",
    "scipy.ndimage": "torch.nn.functional: conv2d with a kernel you build (a Gaussian, for a blur), pad, interpolate",
    "scipy.signal": "torch.nn.functional: conv1d or conv2d with a kernel you build, pad",
    "sklearn": "the lab's own data and metric; compute anything else with torch",
    "torchvision": "torch ops on the image batch: torch.roll, torch.flip, torch.nn.functional.pad, conv2d, interpolate",
    "einops": "tensor.reshape, .permute, .flatten",
}


def _torch_for(full: str) -> str:
    """'; torch has ...' for an import torch has an equivalent of, else ''."""
    prefix = next((p for p in sorted(_TORCH_FOR, key=len, reverse=True) if full == p or full.startswith(p + ".")), None)
    return f"; torch has it: {_TORCH_FOR[prefix]}" if prefix else ""


def _check_imports(tree: ast.Module) -> list[Problem]:
    problems = []
    allowed = ", ".join(sorted(ALLOWED_MODULES - {"__future__"}))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [(a.name, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                problems.append(Problem("import", "relative imports are not allowed: the idea code is one file", node.lineno))
                continue
            modules = [(base, f"{base}.{a.name}") for a in node.names]
        else:
            continue
        for module, full in modules:
            parts = full.split(".")
            if parts[0] not in ALLOWED_MODULES:
                problems.append(Problem("import", f"import of `{module}` is not allowed; use only {allowed}"
                                        + _torch_for(full), node.lineno))
            elif bad := FORBIDDEN_ATTRIBUTES.intersection(parts[1:]):
                problems.append(Problem("forbidden", f"`{full}` is not allowed ({', '.join(sorted(bad))}): no files, downloads or processes", node.lineno))
    return problems


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _check_names(tree: ast.Module, modules: set[str]) -> list[Problem]:
    """Forbidden builtins, modules and attributes; patching library objects."""
    private = {alias for alias, module in harness_imports().items() if module.split(".")[0] not in ALLOWED_MODULES}
    problems = []
    shadowed = _shadowed_builtins(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in FORBIDDEN_BUILTINS and id(node) not in shadowed:
                problems.append(Problem("forbidden", f"`{node.id}` is not allowed in idea code: no files, dynamic code or introspection", line))
            elif node.id in FORBIDDEN_MODULE_NAMES or node.id in private:
                problems.append(Problem("forbidden", f"`{node.id}` is not available in idea code: use only torch, math and numpy", line))
            elif node.id == "print":
                problems.append(Problem("forbidden", "remove print(): the harness prints progress and writes the metrics", line))
        elif isinstance(node, ast.Attribute):
            if node.attr in FORBIDDEN_ATTRIBUTES:
                problems.append(Problem("forbidden", f"`.{node.attr}` is not allowed in idea code: no files, downloads or processes", line))
            elif node.attr.startswith("__") and node.attr not in ALLOWED_DUNDER_ATTRIBUTES:
                problems.append(Problem("forbidden", f"`.{node.attr}` is not allowed: no introspection of Python internals", line))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ATTRIBUTE_FUNCTIONS:
            problems.extend(_check_attribute_call(node, modules))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _root_name(target) in modules:
                    problems.append(Problem("forbidden", f"do not change library objects (`{ast.unparse(target)}`): define your own class or function instead", line))
    return problems


def _shadowed_builtins(tree: ast.Module) -> set[int]:
    """The loads of a forbidden builtin's name that read the code's own binding of it (a parameter
    named `input`), not the builtin: ids of those Name nodes."""
    module_names = {name for stmt in tree.body for name, _ in bound_at_top(stmt)}
    shadowed = set()
    for scope, own in _scopes(tree):
        names = (own | module_names) & FORBIDDEN_BUILTINS
        shadowed.update(id(n) for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id in names)
    return shadowed


def _check_attribute_call(node: ast.Call, modules: set[str]) -> list[Problem]:
    name = node.func.id  # type: ignore[attr-defined]
    if node.args and _root_name(node.args[0]) in modules and name != "hasattr":
        return [Problem("forbidden", f"do not {name}() on library modules: define your own class or function instead", node.lineno)]
    if len(node.args) < 2:
        return []
    attr = node.args[1]
    if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
        ok = not attr.value.startswith("__") and attr.value not in FORBIDDEN_ATTRIBUTES
    elif isinstance(attr, ast.JoinedStr):
        ok = not any(isinstance(v, ast.Constant) and "__" in str(v.value) for v in attr.values)
    else:
        ok = False
    if ok:
        return []
    return [Problem("forbidden", f"{name}() needs a plain attribute name such as \"weight\" or f\"w{{i}}\"", node.lineno)]


def _check_top_level(tree: ast.Module) -> list[Problem]:
    """Only imports, functions, classes and constants at top level: the harness runs everything."""
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    runners = defined | harness_names()
    problems = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Pass)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # docstring or a stray literal
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            calls = [c for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in runners]
            if calls:
                problems.append(Problem("top_level", f"do not call `{calls[0].func.id}` at top level: the harness builds models and optimizers through your hooks", node.lineno))  # type: ignore[attr-defined]
            continue
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            message = "remove the `if __name__ == \"__main__\":` block: the harness runs the experiment"
        elif isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            message = "remove the top-level loop: the harness owns the training loop"
        else:
            message = f"remove this top-level `{ast.unparse(node).splitlines()[0][:60]}`: only define imports, functions, classes and constants"
        problems.append(Problem("top_level", message, node.lineno))
    return problems


def bound_at_top(node: ast.stmt) -> list[tuple[str, str | None]]:
    """Names a top-level statement binds, each with the module it refers to (imports) or None."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [(node.name, None)]
    if isinstance(node, ast.Import):
        return [import_binding(a) for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [(a.asname or a.name, f"{node.module}.{a.name}") for a in node.names]
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [(name, None) for t in targets for name in _target_names(t)]
    return []


def _target_names(target: ast.expr) -> list[str]:
    """Names an assignment target binds (`a`, `a, b`, `*a`), not attributes or subscripts."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _check_reserved(tree: ast.Module) -> list[Problem]:
    """The idea must not rebind names the harness defines (hooks excepted).

    Importing a module under the harness's own alias (`import torch.nn as nn`) is fine.
    """
    reserved = harness_names() - set(hook_names())
    harness_modules = harness_imports()
    problems = []
    for node in tree.body:
        for name, module in bound_at_top(node):
            if name in reserved and (module is None or harness_modules.get(name) != module):
                problems.append(Problem("reserved", f"`{name}` is a harness name: rename yours", node.lineno))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in sorted(set(node.names) & reserved):
                problems.append(Problem("reserved", f"do not change the harness variable `{name}`: read it, never assign it", node.lineno))
    constants = {name for name in reserved if name.isupper()}
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        for name in sorted(hidden_harness_names(fn, constants, harness_modules)):
            problems.append(Problem("reserved", f"`{name}` is the harness's own value: read it, never assign it (assigned in "
                                    f"`{fn.name}`, it becomes a local name that hides the harness's); give a value of "
                                    "the idea its own name", fn.lineno))
    return problems


def hidden_harness_names(fn: ast.FunctionDef | ast.AsyncFunctionDef, names: Iterable[str],
                         modules: Iterable[str]) -> set[str]:
    """The names of `names` that `fn` assigns, hiding the harness's inside it; a module's alias (`F`) assigned a value
    the function only calls or reads (`F = lambda u: …` then `F(b) - F(a)`) hides nothing the function uses, unless the
    function also reads it as the module (`F.relu`)."""
    stored = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} & set(names)
    as_module = {n.value.id for n in ast.walk(fn) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    return stored - (set(modules) - as_module)


def required_positional(fn: ast.FunctionDef) -> int:
    """How many positional arguments a call of `fn` must pass (self included for a method)."""
    return len([*fn.args.posonlyargs, *fn.args.args]) - len(fn.args.defaults)


def _check_hooks(tree: ast.Module) -> list[Problem]:
    hooks = hook_names()
    defined = {name for node in tree.body for name, _ in bound_at_top(node) if name in hooks}
    problems = []
    if not defined:
        problems.append(Problem("no_hook", f"define at least one of {', '.join(hooks)} as a top-level function (not inside a class)", 1))
    by_name: dict[str, tuple[str, ...]] = harness_constant("HOOK_ARGUMENTS")  # type: ignore[assignment]
    build_data: tuple[str, ...] = harness_constant("BUILD_DATA")  # type: ignore[assignment]
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name in HOOK_ARITY):
            continue
        expected = HOOK_ARITY[node.name]
        positional = [*node.args.posonlyargs, *node.args.args]
        have = ", ".join(a.arg for a in positional)
        if node.name in by_name:
            if unknown := _required_names(node) - set(by_name[node.name]):
                problems.append(Problem("signature", f"`{node.name}` may take only arguments named {', '.join(by_name[node.name])} "
                                        f"(the harness passes them by name); yours also takes {', '.join(sorted(unknown))}", node.lineno))
        elif node.name == "build_model" and (extra := _required_names(node) - {a.arg for a in positional[:len(expected)]}
                                             - set(build_data)):
            problems.append(Problem("signature", f"`build_model` takes ({', '.join(expected)}) and may name "
                                    f"{' and '.join(build_data)} (the training data); yours also takes {', '.join(sorted(extra))}",
                                    node.lineno))
        elif (node.name != "build_model" and required_positional(node) > len(expected)) or (
                len(positional) < len(expected) and not node.args.vararg):
            problems.append(Problem("signature", f"`{node.name}` must take ({', '.join(expected)}); yours takes ({have})", node.lineno))
        if node.name in _MUST_RETURN and not any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(node)):
            what = "the model" if node.name == "build_model" else "the optimizer"
            problems.append(Problem("signature", f"`{node.name}` must return {what}", node.lineno))
    return problems


def _required_names(fn: ast.FunctionDef) -> set[str]:
    """The parameters a call of `fn` must pass: those without a default, not *args or **kwargs."""
    positional = [*fn.args.posonlyargs, *fn.args.args]
    required = positional[:len(positional) - len(fn.args.defaults)]
    return {a.arg for a in required} | {a.arg for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is None}


def missing_hooks(tree: ast.Module, kinds: Sequence[str]) -> list[tuple[str, str]]:
    """(hook, why) for each of the idea's kinds that the code expresses by none of its hooks, the
    kind's first hook named. For a kind that lists the "own_optimizer" check, a make_optimizer that
    only returns one of torch.optim's own optimizers (the baseline's update rule) or one of the
    code's modules (a module named after the idea) does not count."""
    defined = {name for node in tree.body for name, _ in bound_at_top(node)}
    missing = []
    for kind in kinds_of(kinds):
        own_only = "own_optimizer" in kind.checks and _returns_no_own_optimizer(tree)
        if not any(hook in defined and not (hook == "make_optimizer" and own_only) for hook in kind.all_hooks):
            others = kind.all_hooks[1:]
            also = f" (or {', '.join(others)})" if others else ""
            missing.append((kind.hooks[0], f"the idea is a {kind.name} idea, which {kind.description}{also}"))
    return list(dict(missing).items())


def _returns_no_own_optimizer(tree: ast.Module) -> bool:
    """Whether the top-level make_optimizer only returns `torch.optim.SGD(...)` or the like, or
    instances of the code's modules (classes based on nn.Module or another torch.nn class)."""
    not_optimizers = {n.name for n in tree.body if isinstance(n, ast.ClassDef)
                      and any(re.match(r"(?:torch\.)?nn\.|\w*Module$", ast.unparse(b)) for b in n.bases)}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "make_optimizer":
            returned = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
            return bool(returned) and all(isinstance(v, ast.Call) and (re.match(r"(?:torch\.)?optim\.\w+$", ast.unparse(v.func))
                                                                       or ast.unparse(v.func) in not_optimizers)
                                          for v in returned)
    return False


def _check_required_hooks(tree: ast.Module, kinds: Sequence[str]) -> list[Problem]:
    return [Problem("missing_hook", f"{why}: define `{hook}` as a top-level function"
                    + (" that returns your own torch.optim.Optimizer subclass applying the notes' update rule"
                       if hook == "make_optimizer" else ""), 1)
            for hook, why in missing_hooks(tree, kinds)]


def leaf_name(node: ast.expr) -> str:
    """`self.w1.data` -> "w1": the last name of an attribute chain, without .data / .weight."""
    while isinstance(node, ast.Attribute) and node.attr in ("data", "weight"):
        node = node.value
    return (node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else "").lower()


def _computed_pairs(tree: ast.Module) -> set[tuple[str, str, str]]:
    """(a, op, b) for every `a + b` and `a - b` in the code (a + b also as b + a); b is "*" when it
    is an expression rather than a name (`x + LR / 2` stands for the notes' `x + h`). Also (a, "*", b)
    for a product of two names that is a value of its own, not a term of a sum: `xor = -a * b` and
    `torch.cat([..., -a * b])` compute the notes' `xor = -a*b`, `(1 + a + b - a * b) / 2` does not."""
    pairs = set()
    in_sums = {id(part) for node in ast.walk(tree) if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))
               for part in (node.left, node.right)}
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            a, b = leaf_name(node.left) or "*", leaf_name(node.right) or "*"
            op = "+" if isinstance(node.op, ast.Add) else "-"
            pairs |= {(a, op, b), (b, op, a)} if op == "+" else {(a, op, b)}
        elif id(node) not in in_sums and (factors := _factors(node)):
            a, b = (leaf_name(_unnegated(f)) for f in factors)
            pairs |= {(a, "*", b), (b, "*", a)} if a and b else set()
    return pairs


def _factors(node: ast.AST) -> tuple[ast.expr, ast.expr] | None:
    """The two factors of a product written as `a * b`, `a @ b`, F.linear(x, w), torch.matmul(a, b)
    or torch.mm(a, b): the notes' `y = w*x` is computed by F.linear(x, self.w) as much as by w * x."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.MatMult)):
        return node.left, node.right
    if (isinstance(node, ast.Call) and len(node.args) >= 2
            and ast.unparse(node.func).rsplit(".", 1)[-1] in ("linear", "matmul", "mm")):
        return node.args[0], node.args[1]
    return None


def _unnegated(node: ast.expr) -> ast.expr:
    return node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else node


def same_name(note_name: str, code_name: str) -> bool:
    """Whether a code name stands for a note name: equal up to case and underscores, or the note's
    short name spelled out with the same trailing number (w1 -> weight1, w_1)."""
    note, code = note_name.replace("_", "").lower(), code_name.replace("_", "").lower()
    short = re.fullmatch(r"([a-z])[a-z]*?(\d+)", note)
    return note == code or bool(short and re.fullmatch(rf"{short[1]}[a-z]*{short[2]}", code))


def _pair_computed(a: str, op: str, b: str, found: set[tuple[str, str, str]]) -> bool:
    return any(same_name(a, x) and (y == "*" or same_name(b, y)) for x, o, y in found if o == op)


def _check_note_pairs(_code: str, tree: ast.Module, note_pairs: NotePairs) -> list[Problem]:
    """A bracketed sum or a named product of the notes that the code never computes with the notes'
    names. Advice, since the code may compute it otherwise; it blocks when both names are parameters
    the code itself holds under the notes' names (`w1 + w2` of `self.w1`, `self.w2`): then there is no
    other way it could be computed."""
    found = _computed_pairs(tree) if note_pairs else set()
    own = _parameter_names(tree)
    return [Problem("note_formula" if all(any(same_name(n, o) for o in own) for n in (a, b)) else ADVICE + "formula",
                    f"the notes' formula has ({a}{op}{b}) but the code never computes {a} {op} {b}"
                    f"{' as a value of its own' if op == '*' else ''}. "
                    f"The note says: {line[:200]} -- write this formula with the notes' names", 1)
            for a, op, b, line in note_pairs if not _pair_computed(a, op, b, found)]


def _parameter_names(tree: ast.Module) -> set[str]:
    """The attributes the code makes parameters: `self.NAME = nn.Parameter(...)`."""
    return {target.attr for node in ast.walk(tree) if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call) and ast.unparse(node.value.func).endswith("Parameter")
            for target in node.targets if isinstance(target, ast.Attribute)}


def _check_init_calls(tree: ast.Module) -> list[Problem]:
    """Subclasses (nn.Module, Optimizer, nn.Linear, ...) must call the base __init__."""
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef) or {ast.unparse(b) for b in node.bases} <= {"object"}:
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                calls_base = any(
                    isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "__init__"
                    for n in ast.walk(item)
                )
                if not calls_base:
                    problems.append(Problem("init", f"`{node.name}.__init__` must call super().__init__(...) first", item.lineno))
    return problems


def _check_overwritten_weights(_code: str, tree: ast.Module, _pairs: NotePairs) -> list[Problem]:
    """An optimizer step that sets a parameter to a value made from gradients without the parameter
    (`p.copy_(p.grad / norm)`) throws the weights away each step; an update rule moves them:
    `p.sub_(lr * (p.grad / norm))`. A value made of neither (`p.copy_(slow)`, a kept copy) is a
    weight operation and passes. The problem spells out the line to write from the code's own value
    (small models paste what they are shown)."""
    problems = []
    for step in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "step"):
        binds_group = any(isinstance(n, ast.Name) and n.id == "group" and isinstance(n.ctx, ast.Store) for n in ast.walk(step))
        lr = "group['lr']" if binds_group else "lr"
        from_grads = _derived_names(step, _reads_grad)
        for node in ast.walk(step):
            target, value = _set_parameter(node)
            if not target or value is None:
                continue
            from_weights = _derived_names(step, lambda e, t=target: _reads_weights(e, t))
            if _reads(value, _reads_grad, from_grads) and not _reads(value, lambda e, t=target: _reads_weights(e, t), from_weights):
                problems.append(Problem("overwritten_weights", f"`{ast.unparse(node)[:120]}` replaces the parameter "
                                        f"`{target}` with a value computed from gradients without it, so the weights are "
                                        f"lost every step: write `{target}.sub_({lr} * ({ast.unparse(value)[:120]}))` instead",
                                        node.lineno))
    return problems


def _reads_grad(value: ast.expr) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "grad" for n in ast.walk(value))


def _reads(value: ast.expr, seed: Callable[[ast.expr], bool], names: set[str]) -> bool:
    """Whether `value` satisfies `seed` itself or reads one of `names`."""
    return seed(value) or any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(value))


def _derived_names(fn: ast.FunctionDef, seed: Callable[[ast.expr], bool]) -> set[str]:
    """The local names of `fn` assigned from a value that satisfies `seed` or reads such a name."""
    names: set[str] = set()
    assignments = [n for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and n.value]
    changed = True
    while changed:
        changed = False
        for node in assignments:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            new = {name for t in targets for name in _target_names(t)} - names
            if new and _reads(node.value, seed, names):  # type: ignore[arg-type]
                names |= new
                changed = True
    return names


def _set_parameter(node: ast.AST) -> tuple[str, ast.expr | None]:
    """(parameter name, new value) for `p.copy_(v)`, `p.data.copy_(v)`, `p.set_(v)` and `p.data = v`."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("copy_", "set_")
            and len(node.args) == 1):
        owner = node.func.value
        owner = owner.value if isinstance(owner, ast.Attribute) and owner.attr == "data" else owner
        return (owner.id, node.args[0]) if isinstance(owner, ast.Name) else ("", None)
    if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute)
            and node.targets[0].attr == "data" and isinstance(node.targets[0].value, ast.Name)):
        return node.targets[0].value.id, node.value
    return "", None


def _reads_weights(value: ast.expr, name: str) -> bool:
    """Whether `value` reads the parameter `name` itself, not only its `.grad`."""
    grads = {id(n.value) for n in ast.walk(value) if isinstance(n, ast.Attribute) and n.attr == "grad"}
    return any(isinstance(n, ast.Name) and n.id == name and id(n) not in grads for n in ast.walk(value))


def _check_stubs(tree: ast.Module) -> list[Problem]:
    """Functions that the code calls but whose body is only `pass` or `...`: a step of the idea
    left unwritten. An uncalled stub or an empty hook changes nothing and is left alone."""
    called = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
              for node in ast.walk(tree) if isinstance(node, ast.Call)}
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name not in called:
            continue
        if _is_stub(node):
            problems.append(Problem("stub", f"`{node.name}` is called but does nothing: write what the note says it does", node.lineno))
    return problems


def _is_stub(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a function's body, its docstring aside, is only `pass` or `...`."""
    body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in body)


def _check_commented_returns(code: str, _tree: ast.Module, _pairs: NotePairs) -> list[Problem]:
    """A computed output left in a comment (`# return -a * b  # XOR`): small models park there the
    part of the idea they did not fit in, so the idea runs incomplete."""
    try:
        comments = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):
        return []
    problems = []
    for comment in comments:
        text = comment.string.lstrip("#").split("#")[0].strip()
        try:
            body = ast.parse(text).body
        except SyntaxError:
            continue
        if (len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None
                and any(isinstance(n, ast.BinOp | ast.UnaryOp) for n in ast.walk(body[0].value))):
            problems.append(Problem("commented_code", f"`{text}` is left in a comment, so it never runs: when the notes "
                                                      "ask for it, compute it too (outputs side by side: torch.cat)", comment.start[0]))
    return problems


def bound_names(node: ast.AST) -> set[str]:
    """Every name `node` binds anywhere inside it: arguments, assignments, defs, imports, handlers."""
    bound: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(n.name)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound.update(a.asname or a.name.split(".")[0] for a in n.names)
        elif isinstance(n, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and n.name:
            bound.add(n.name)
    return bound


def _scopes(tree: ast.Module) -> list[tuple[ast.AST, set[str]]]:
    """(code, names bound in its own scope) for module statements, class bodies and functions.
    A function sees the module and its own names, not its class body's (as in Python)."""
    scopes: list[tuple[ast.AST, set[str]]] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scopes.append((stmt, bound_names(stmt)))
        elif isinstance(stmt, ast.ClassDef):
            for item in stmt.body:
                is_function = isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                scopes.append((item, bound_names(item) if is_function else set()))
        else:
            scopes.append((stmt, set()))
    return scopes


def _check_unused_results(tree: ast.Module) -> list[Problem]:
    """A value a function computes into a local name that nothing reads after its last assignment (`m = b2*m + (1-b2)*g`
    in an update that never stores m back; `τ = τ0 * r ** k` then `τ = τ.clamp(2, 100)` and nothing more): the formula's
    step is lost, so the idea runs without it. A read anywhere in a loop around the assignment counts (the next round)."""
    problems = []
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        kept = {name for n in ast.walk(fn) if isinstance(n, ast.Global | ast.Nonlocal) for name in n.names} \
            | {n.target.id for n in ast.walk(fn) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}
        assigned: dict[str, list[ast.Assign]] = {}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node)
        for name, nodes in assigned.items():
            last = max(node.lineno for node in nodes)
            if name in kept or name.startswith("_") or _read_after(fn, name, last) \
                    or not any(isinstance(n, ast.BinOp) for node in nodes for n in ast.walk(node.value)):
                continue
            problems.append(Problem("unused_result", f"`{name}` is computed in `{fn.name}` and never used, so this step of the "
                                                     f"formula is lost: use it, or {_how_to_keep(fn, name)}", last))
    return problems


def _read_after(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str, line: int) -> bool:
    """Whether `fn` reads `name` after `line`, or anywhere but on that line in a loop around it (the next round reads it)."""
    reads = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
    loops = [loop for loop in ast.walk(fn) if isinstance(loop, ast.For | ast.While)
             and loop.lineno <= line <= (loop.end_lineno or loop.lineno)]
    return any(n.lineno > line or (n.lineno != line and any(loop.lineno <= n.lineno <= (loop.end_lineno or loop.lineno)
                                                            for loop in loops)) for n in reads)


def _check_discarded_values(tree: ast.Module) -> list[Problem]:
    """A line that computes a value and keeps nothing of it (`v.mul_(b2).add_(1 - b2) * g ** 2`, `x + 1`): the
    arithmetic is lost, and an in-place call inside it ran with part of the formula only."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.BinOp | ast.UnaryOp | ast.Compare):
            in_place = [c for c in ast.walk(node.value) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                        and c.func.attr.endswith("_") and not c.func.attr.startswith("_")]
            part = f": `{ast.unparse(in_place[0])}` changes its tensor with part of the formula only" if in_place else ""
            problems.append(Problem("discarded_value", f"`{ast.unparse(node.value)}` computes a value and throws it away{part}; "
                                                       "put the whole formula inside the in-place call (`v.mul_(b).add_((1 - b) * g ** 2)`) "
                                                       "or assign the result", node.lineno))
    return problems


def _how_to_keep(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> str:
    """How `fn` keeps a value it computes: in its state dict, on self, or (an update hook) in the weights it is given."""
    arguments = [a.arg for a in fn.args.args]
    into_weights = f"if it is the new value of p, write it in: p.copy_({name}); " if {"p", "g"} <= set(arguments) else ""
    if "state" in arguments:
        return f"{into_weights}keep it for the next step in the state dict (state[\"{name}\"] = {name}; a local name is gone after the call)"
    if arguments[:1] == ["self"]:
        return f"keep it for the next step (self.{name} = ...; a local name is gone after the call)"
    return f"keep it for the next step (state[\"{name}\"] = ... or self.{name}; a local name is gone after the call)"


def _from_state(value: ast.expr) -> bool:
    """`state.setdefault("m", ...)`, `state["m"]`, `self.state[p]["m"]`: a value kept between steps."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in ("setdefault", "get"):
        value = value.func.value
    elif isinstance(value, ast.Subscript):
        value = value.value
    else:
        return False
    return "state" in ast.unparse(value)


def _state_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[set[str], list[ast.Assign], dict[str, ast.Assign]]:
    """The names `fn` changes in place (`m.mul_(b)`, `m += g`, `m[i] = 0`), its assignments to one name, and those
    that take a name's value from the state (`m = state.setdefault("m", ...)`) by the name."""
    in_place = {n.func.value.id for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                and n.func.attr.endswith("_") and isinstance(n.func.value, ast.Name)} \
        | {n.target.id for n in ast.walk(fn) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)} \
        | {t.value.id for n in ast.walk(fn) if isinstance(n, ast.Assign) for t in n.targets
           if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)}
    assignments = [n for n in ast.walk(fn) if isinstance(n, ast.Assign) and len(n.targets) == 1
                   and isinstance(n.targets[0], ast.Name)]
    return in_place, assignments, {n.targets[0].id: n for n in assignments if _from_state(n.value)}


def rebound_state(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[ast.Assign, ast.Assign]]:
    """(the read from the state, an assignment giving the name a new value computed from itself) for each name `fn`
    takes from the state and never changes in place: `m = state.setdefault("m", …)`, then `m = beta*m + g`."""
    in_place, assignments, kept = _state_names(fn)
    return [(kept[node.targets[0].id], node) for node in assignments
            if node.targets[0].id in set(kept) - in_place and not _from_state(node.value)
            and any(isinstance(n, ast.Name) and n.id == node.targets[0].id for n in ast.walk(node.value))]


def state_stores(scope: ast.AST) -> bool:
    """Whether `scope` stores anything into the state kept between steps."""
    return any(True for _ in _state_stores(scope))


def _check_state_rebound(tree: ast.Module) -> list[Problem]:
    """A tensor taken from the state kept between steps and then given a new value by a plain assignment
    (`m = state.setdefault("m", ...)`, then `m = beta*m + g`) in a function that neither changes it in place
    (`m.mul_(...)`, `m += g`, `m[mask] = 0`) nor stores it back under its key: the new value is a local
    tensor, the state keeps the old one, and every step starts again from it (a momentum that never builds up).
    One taken at a constant start (`M = state.setdefault("M", torch.zeros_like(p))`) and never given any other value
    stays at that start: the notes' formula for it is missing."""
    problems = []
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        stored = _stored_keys(fn)
        if stored is None:
            continue  # it stores entries under keys computed at run time, or a whole dict
        for read, node in rebound_state(fn):
            if _state_key(read.value) in stored:
                continue  # stored back under its own key
            name = node.targets[0].id
            problems.append(Problem("state_rebound", f"`{name} = ...` in `{fn.name}` makes a new local tensor: the state "
                                    f"kept between steps still holds the old `{name}`, so the next step starts from it "
                                    f"again. Change it in place ({name}.mul_(...).add_(...)) or store it back "
                                    f"(state[\"{name}\"] = {name})", node.lineno))
        in_place, assignments, kept = _state_names(fn)
        for name, read in kept.items():
            if name not in in_place and isinstance(read.value, ast.Call) and _constant_start(read.value) \
                    and _state_key(read.value) not in stored \
                    and not any(n.targets[0].id == name for n in assignments if n is not read):
                problems.append(Problem("state_frozen", f"`{name}` is taken from the state at its start value and never "
                                        f"changes, so every step reads that same value: compute its next value as the "
                                        f"notes' formula for it says, in place ({name}.mul_(...).add_(...)) or stored back "
                                        f"(state[\"{name}\"] = ...)", read.lineno))
    return problems


def _stored_keys(scope: ast.AST) -> set[str] | None:
    """The literal keys `scope` stores state entries under; None when it stores under a key computed at run time or
    stores a whole dict (`state.update(...)`): which entries are written is not known here."""
    keys = set()
    for store in _state_stores(scope):
        if isinstance(store, ast.Call) or (key := _state_key(store)) is None:
            return None
        keys.add(key)
    return keys


def _state_stores(scope: ast.AST) -> Iterator[ast.Subscript | ast.Call]:
    """What in `scope` stores into the state kept between steps: a subscript assigned (`state["m"] = m`,
    `state[p]["v"] += g`, one element of a tuple target) and a call of the state's `update` or `__setitem__`."""
    for node in ast.walk(scope):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        for target in (t for each in targets for t in (each.elts if isinstance(each, ast.Tuple) else [each])):
            if isinstance(target, ast.Subscript) and "state" in ast.unparse(target.value):
                yield target
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr in ("update", "__setitem__") and "state" in ast.unparse(node.func.value)):
            yield node


def _state_key(node: ast.AST) -> str | None:
    """The literal key of a state entry `node` reads or names (`state.setdefault("m", …)`, `state.get("m")`,
    `state["m"]`, `self.state[p]["m"]`); None for anything else."""
    if not (isinstance(node, ast.expr) and _from_state(node)):
        return None
    key = node.slice if isinstance(node, ast.Subscript) else node.args[0] if node.args else None  # type: ignore[attr-defined]
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def _constant_start(read: ast.Call) -> bool:
    """The entry `state.setdefault(key, start)` / `state.get(key, start)` reads starts at a constant (zeros, ones, the
    number 0 or 1), not at a copy of something (`p.clone()`: a snapshot kept to return to) nor at another number
    (`state.setdefault("beta", 0.999)`: a coefficient kept in the state, read as the constant it is)."""
    start = read.args[1] if len(read.args) > 1 else None
    if isinstance(start, ast.Constant):
        return isinstance(start.value, int | float) and start.value in (0, 1)
    return isinstance(start, ast.Call) and ast.unparse(start.func).split(".")[-1] in (
        "zeros_like", "ones_like", "full_like", "zeros", "ones", "full", "tensor", "as_tensor")


def unstored_state_reads(tree: ast.Module) -> list[ast.Call]:
    """The reads of state entries started at a constant (`state.setdefault("m", zeros)`, `state.get("v", 0)`) that no
    code ever stores or changes, the first read of each entry: every step reads the constant again. An entry read
    into a name of its own is _check_state_rebound's; code that stores entries under keys it computes has none."""
    written = _stored_keys(tree)
    if written is None:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr.endswith("_") \
                and (key := _state_key(node.func.value)):
            written.add(key)  # state["m"].mul_(β): changed in place
    named = {key for node in ast.walk(tree) if isinstance(node, ast.Assign) and (key := _state_key(node.value))}
    reads, seen = [], set()
    for node in ast.walk(tree):
        key = _state_key(node) if isinstance(node, ast.Call) and _constant_start(node) else None
        if key and key not in written | named | seen:
            seen.add(key)
            reads.append(node)
    return sorted(reads, key=lambda n: (n.lineno, n.col_offset))


def _check_state_never_written(tree: ast.Module) -> list[Problem]:
    """A state entry started at a constant and read inside a formula (`m_t = β1 * state.setdefault("m", zeros) + …`)
    that no code ever stores or changes (unstored_state_reads): a momentum that never builds up."""
    return [Problem("state_never_written", f"the state entry \"{key}\" is read but never stored back, so every step starts "
                    f"again from its first value: compute it into a name and store it (`{key} = ...`, then "
                    f"`state[\"{key}\"] = {key}`)", read.lineno)
            for read in unstored_state_reads(tree) if (key := _state_key(read))]


# The skeleton functions that change weights, and the arguments holding them.
_CHANGES_WEIGHTS = {"weight_op": ("p",), "update": ("p",), "unit_op": ("layer", "after"), "init_weights": ("layers",)}


def _check_weights_never_changed(tree: ast.Module) -> list[Problem]:
    """A function whose job is to change weights (`weight_op(p, …)`, `update(p, …)`, `unit_op(layer, after, …)`,
    `init_weights(layers, …)`) that never
    changes them in place: it computes new values into a local name or its state, and the weights stay as they were,
    so the idea arm trains as the baseline does. Handing the weights to a helper counts as changing them."""
    problems = []
    for fn in tree.body:
        targets = _CHANGES_WEIGHTS.get(getattr(fn, "name", ""), ())
        if not (targets and isinstance(fn, ast.FunctionDef) and set(targets) <= {a.arg for a in fn.args.args}) or _is_stub(fn):
            continue
        roots = set(targets)
        for node in ast.walk(fn):  # aliases: `w = p`, `W = layer.weight.data`, `for layer in layers`
            if isinstance(node, ast.Assign) and _rooted(node.value, roots) and not isinstance(node.value, ast.Call):
                roots |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            if isinstance(node, (ast.For, ast.comprehension)) and any(isinstance(n, ast.Name) and n.id in roots
                                                                       for n in ast.walk(node.iter)):
                roots |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        if not any(changes_in_place(node, roots) for node in ast.walk(fn)):
            shown = " or ".join(f"`{t}`" for t in targets)
            problems.append(Problem("weights_unchanged", f"`{fn.name}` never changes {shown} in place, so the weights stay "
                                    "as they were and the idea arm trains like the baseline: write the new values into "
                                    "them (p.copy_(new), p.mul_(...), p[mask] = ..., layer.weight[j] = ...); a value "
                                    "kept in a local name or in state changes nothing", fn.lineno))
    return problems


# What a module has and one parameter tensor lacks.
_MODULE_ONLY = frozenset({"named_parameters", "parameters", "modules", "named_modules", "children", "weight", "bias",
                          "in_features", "out_features"})


def _check_tensor_as_module(tree: ast.Module) -> list[Problem]:
    """A per-parameter hook (`update(p, g, …)`, `weight_op(p, …)`) that reads p, or a name it binds to p (`model = p`,
    `head = p`), as a module (`model.named_parameters()`, `head.out_features`): the hook runs once for each parameter
    and p is one tensor, so the code fails when it runs."""
    problems = []
    for fn in tree.body:
        if getattr(fn, "name", "") not in ("update", "weight_op") or not isinstance(fn, ast.FunctionDef) \
                or "p" not in {a.arg for a in fn.args.args}:
            continue
        aliases = {"p"} | {t.id for node in ast.walk(fn) if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
                           and node.value.id == "p" for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(fn):
            if isinstance(node, ast.Attribute) and node.attr in _MODULE_ONLY and isinstance(node.value, ast.Name) \
                    and node.value.id in aliases:
                called = f"`{node.value.id}`" + (" (bound to p)" if node.value.id != "p" else "")
                problems.append(Problem("tensor_as_module", f"{called} is read as a module (`.{node.attr}`), but p is one "
                                        f"parameter tensor: `{fn.name}` is called once for each of the model's "
                                        "parameters (p.dim() == 2 for a weight matrix, 1 for a bias) and a tensor has no "
                                        f".{node.attr}. Write the notes' rule for the one tensor p, keeping what it needs "
                                        "between calls in state", node.lineno))
                break
    return problems


def _rooted(node: ast.expr, roots: set[str]) -> bool:
    """Whether `node` is one of `roots` or an attribute or item of one (`p.data`, `layer.weight[j]`)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return isinstance(node, ast.Name) and node.id in roots


def changes_in_place(node: ast.AST, roots: set[str]) -> bool:
    """Whether `node` changes a value rooted at `roots` in place: an in-place method (`p.mul_`), a function given it
    first that changes its argument (`nn.init.zeros_(w)`) or any helper, `out=`, an item or attribute assigned, `+=`."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr.endswith("_") and not func.attr.startswith("_") \
                and _rooted(func.value, roots):
            return True
        name = ast.unparse(func)
        helper = isinstance(func, ast.Name) and not hasattr(builtins, name)
        if (name.endswith("_") or helper) and any(_rooted(arg, roots) for arg in node.args):
            return True
        return any(k.arg == "out" and _rooted(k.value, roots) for k in node.keywords)
    if isinstance(node, ast.Assign):
        return any(isinstance(t, (ast.Subscript, ast.Attribute)) and _rooted(t, roots) for t in node.targets)
    if isinstance(node, ast.AugAssign):
        return _rooted(node.target, roots)
    return False


def _check_unused_parameters(tree: ast.Module) -> list[Problem]:
    """A parameter or submodule a module makes (`self.V = nn.Parameter(...)`) that no code ever reads: the
    formula that needs it is not computed (a gate sharing the layer's weight, a projection left out), and the
    idea runs without it. A layer's own `weight` and `bias` are left out (the harness's helpers read them),
    as is a module that reaches its parameters by name or in a loop."""
    read = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load)}
    if read & {"parameters", "named_parameters", "children", "modules", "__dict__"} or \
            any(isinstance(n, ast.Name) and n.id in ("getattr", "vars") for n in ast.walk(tree)):
        return []
    problems = []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and "Module" in base_names(n)):
        for node in ast.walk(cls):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and (made := ast.unparse(node.value.func)).split(".")[0] in ("nn", "torch")
                    and made.rsplit(".", 1)[-1][:1].isupper()):
                continue  # only nn.Parameter(...), nn.Linear(...) and the like
            for target in node.targets:
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"
                        and target.attr not in read and target.attr not in ("weight", "bias")):
                    problems.append(Problem("unused_parameter", f"`self.{target.attr}` is made in `{cls.name}` but never "
                                            "used: the notes' formula that needs it is not computed; use it where the "
                                            "notes do", node.lineno))
    return problems


def _check_undefined(tree: ast.Module) -> list[Problem]:
    """Names used where nothing binds them (a missing class, import or argument) — the commonest
    generated-code bug, e.g. `out_features` used in build_model whose argument is `out_dim`."""
    looped = {n.id for n in _loop_variables(tree)}
    return [Problem("undefined", f"`{name}` is the loop variable of a comprehension, which exists only inside it: loop over "
                                 f"the values together there (`for w, m in zip(weights, means)`) or write a for loop"
                    if name in looped else
                    f"`{name}` is used but never defined here: the hooks get no optimizer; leave its state as it is and "
                    f"change only the parameters" if name in _OPTIMIZER_NAMES else
                    f"`{name}` is used but never defined here: define it, import it or take it as an argument",
                    line) for name, line in undefined_names(tree)]


# What notes' code calls the training's optimizer (`opt.state[head.weight] = {}`), which no hook is given.
_OPTIMIZER_NAMES = frozenset({"opt", "optim", "optimizer", "optimiser"})


_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)


def _check_read_before_assigned(tree: ast.Module) -> list[Problem]:
    """A function's local name read before anything binds it (reads_before_assigned): an UnboundLocalError at the
    first call."""
    return [Problem("undefined", f"`{name.id}` is read in `{fn.name}` before anything assigns it (an UnboundLocalError "
                    "at the first call): start it first, e.g. from the state dict or at zero", name.lineno)
            for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for name in reads_before_assigned(fn)]


def reads_before_assigned(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Name]:
    """The first read of each local name of `fn` that a statement of its body makes before any statement binds it
    (`s = s + lam * g`, s never started). Only statements that always run are read (those of the body itself, not
    of a branch or a loop), so a value started in a branch is no problem."""
    shared = {name for n in ast.walk(fn) if isinstance(n, ast.Global | ast.Nonlocal) for name in n.names}
    local = (bound_names(fn) - {fn.name}) - shared
    bound = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs, fn.args.vararg, fn.args.kwarg] if a}
    found = []
    for stmt in fn.body:
        if isinstance(stmt, _SIMPLE):
            value = stmt if isinstance(stmt, ast.Expr | ast.Return) else stmt.value
            reads = [n for n in _own_scope_nodes(value) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
            if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                reads.insert(0, stmt.target)
            for name in (n for n in reads if n.id in local and n.id not in bound):
                found.append(name)
                bound.add(name.id)
        bound |= bound_names(stmt)
    return found


def _own_scope_nodes(node: ast.AST | None) -> list[ast.AST]:
    """The nodes of `node` outside any lambda or comprehension (which have scopes of their own)."""
    if node is None:
        return []
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        found.append(current)
        if not isinstance(current, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            stack.extend(ast.iter_child_nodes(current))
    return found


def undefined_names(tree: ast.Module) -> list[tuple[str, int]]:
    """(name, first line) of each name used where nothing binds it, in the order met."""
    if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(tree)):
        return []
    module_bound = set(dir(builtins)) | harness_names()
    for stmt in tree.body:
        module_bound |= {stmt.name} if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else bound_names(stmt)
    class_bound = {n for stmt in tree.body if isinstance(stmt, ast.ClassDef) for item in stmt.body
                   if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in bound_names(item)}
    found: list[tuple[str, int]] = []
    for code, local in _scopes(tree):
        visible = module_bound | (local - _only_in_comprehensions(code)) | (class_bound if not local else set())
        for node, own in _with_comprehension_names(code):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in visible | own \
                    and node.id not in {name for name, _ in found}:
                found.append((node.id, node.lineno))
    return found


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def _comprehension_targets(node: ast.AST) -> set[str]:
    return {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}


def _loop_variables(code: ast.AST) -> list[ast.Name]:
    """The names bound as a comprehension's loop variable anywhere in `code`."""
    return [t for n in ast.walk(code) if isinstance(n, _COMPREHENSIONS) for g in n.generators for t in ast.walk(g.target)
            if isinstance(t, ast.Name)]


def _only_in_comprehensions(code: ast.AST) -> set[str]:
    """The names `code` binds only as a comprehension's loop variable (`[w.std() for w in ws]`): seen only inside it."""
    loops = _loop_variables(code)
    looped, targets = {t.id for t in loops}, {id(t) for t in loops}
    elsewhere = {n.id for n in ast.walk(code) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and id(n) not in targets}
    return looped - elsewhere - {a.arg for a in ast.walk(code) if isinstance(a, ast.arg)}


def _with_comprehension_names(node: ast.AST, own: frozenset[str] = frozenset()):
    """Every node under `node`, with the loop variables of the comprehensions it is inside."""
    if isinstance(node, _COMPREHENSIONS):
        own = own | _comprehension_targets(node)
    yield node, own
    for child in ast.iter_child_nodes(node):
        yield from _with_comprehension_names(child, own)


def base_names(cls: ast.ClassDef) -> list[str]:
    """A class's bases by their last name: `torch.optim.Optimizer` -> "Optimizer"."""
    return [ast.unparse(b).rsplit(".", 1)[-1] for b in cls.bases]


# Data attributes a direct subclass inherits: what torch.optim.Optimizer and nn.Module set themselves.
_INHERITED = {"Optimizer": {"param_groups", "state", "defaults"}, "Module": {"training"}}
# The public methods an nn.Module or a torch Optimizer inherits (torch 2.x), which `self.name(...)` may call unset.
_INHERITED_METHODS = frozenset({
    "add_module", "apply", "bfloat16", "buffers", "children", "compile", "cpu", "cuda", "double", "eval", "extra_repr",
    "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule", "half", "load_state_dict",
    "modules", "named_buffers", "named_children", "named_modules", "named_parameters", "parameters",
    "register_backward_hook", "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook", "register_module", "register_parameter",
    "requires_grad_", "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train", "type",
    "zero_grad", "add_param_group", "step", "register_step_post_hook", "register_step_pre_hook"})


def _check_unset_attributes(tree: ast.Module) -> list[Problem]:
    """`self.eps` read in a direct Optimizer or nn.Module subclass that never sets it (an AttributeError
    at the first step; small models use an eps or a momentum they forgot to store)."""
    problems, seen = [], set()
    for cls, node in unset_attribute_reads(tree):
        if (cls.name, node.attr) not in seen:
            seen.add((cls.name, node.attr))
            problems.append(Problem("unset_attribute", f"`self.{node.attr}` is read but `{cls.name}` never sets it: "
                                    f"set `self.{node.attr}` in __init__ or use a value", node.lineno))
    return problems


def unset_attribute_reads(tree: ast.Module) -> list[tuple[ast.ClassDef, ast.Attribute]]:
    """(class, read) for each `self.NAME` read in a direct Optimizer or nn.Module subclass that never sets NAME, nor
    inherits it as a method (`self.A(x)` of a layer never made is one, `self.parameters()` is not)."""
    reads = []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        bases = set(base_names(cls))
        if not bases or not bases <= set(_INHERITED):
            continue
        known = set().union(*(_INHERITED[b] for b in bases)) | _set_on_self(cls)
        inherited = {id(n.func) for n in ast.walk(cls) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                     and (n.func.attr in _INHERITED_METHODS or n.func.attr.startswith("_"))}
        reads += [(cls, node) for node in ast.walk(cls)
                  if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name)
                  and node.value.id == "self" and id(node) not in inherited and node.attr not in known]
    return reads


def _set_on_self(cls: ast.ClassDef) -> set[str]:
    """Attributes a class sets: `self.x = ...` anywhere, register_buffer/register_parameter("x", ...), its methods."""
    names = {item.name for item in cls.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
    names |= {n.id for item in cls.body if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
              for n in ast.walk(item) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for node in ast.walk(cls):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and ast.unparse(node.value) == "self":
            names.add(node.attr)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("register_buffer", "register_parameter") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value)
    return names


IdeaCheck = Callable[[str, ast.Module, NotePairs], list[Problem]]
# The checks written for kinds of idea, by the names guards/kinds.py lists; "own_optimizer" is
# applied by missing_hooks (a make_optimizer returning torch's own optimizer does not count).
IDEA_CHECKS: dict[str, IdeaCheck] = {
    "note_formulas": _check_note_pairs,
    "overwritten_weights": _check_overwritten_weights,
    "commented_returns": _check_commented_returns,
}
