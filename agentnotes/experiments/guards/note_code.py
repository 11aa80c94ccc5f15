"""A hook written from the notes' own Python code, where a note gives the idea as code.

A note may write its idea as a function (`def ortho_step(p, g, m, lr, beta=0.9): ...`), as a loop over the
model's parameters (`for p in model.parameters(): ...`) or as plain statements on a weight matrix (`U, S, Vh =
torch.linalg.svd(W) ... W.copy_(...)`). Such code is the idea exactly as its author means it, so the hook calls it
as it stands: each of its inputs bound to the hook's value of the same role (guards/note_program.py ROLES: `W` is
the parameter, `g` its gradient, `lr` the tuned rate), a tensor it keeps between steps (`m`) to the parameter's
state, a constant to the notes' value. A layer class of the notes (`class SortLinear(nn.Module)`) is built in the layer
skeleton in place of its own weights. A function that changes only a tensor it keeps (`def hold_(m, g, beta)`) is
followed by the step a line of the notes takes with that tensor (`w ← w − η·m`). Code in an aside (the setup, a
measurement) is not the idea's; code with an input nothing binds, or that never changes what the hook must change, is
not written here and the model is asked.
"""

from __future__ import annotations

import ast
import builtins
import copy
import re
import textwrap
from collections.abc import Iterator

from agentnotes.experiments.guards.autofix import Fix
from agentnotes.experiments.guards.constants import EPS, compared_name, note_constants
from agentnotes.experiments.guards.formula_lines import _assignments
from agentnotes.experiments.guards.kinds import idea_text
from agentnotes.notes.chunker import fence_line
from agentnotes.experiments.guards.note_program import HOOK_FUNCTIONS, ROLES
from agentnotes.experiments.guards.static_check import ALLOWED_MODULES, hidden_harness_names, undefined_names

# A code fence's line: its language, if it names one (```python opens a block; a bare ``` opens or closes one).
# The kinds whose hook changes one parameter in place, with a state dict kept for it between calls.
_ON_A_PARAMETER = ("update_rule", "weight_op")
_IN_PLACE = re.compile(r"_$")  # p.sub_, p.copy_, p.clamp_: a tensor method that changes the tensor
_KNOWN = frozenset(dir(builtins)) | {"torch", "nn", "F", "math", "np", "random"}  # what the harness imports
# The loops over a model's parameters a note's code may run its operation in.
_PARAMETER_LOOPS = ("parameters", "named_parameters")
_PARAMETER_LISTS = ("params", "parameters", "param_list", "weights")  # a function's list of the model's parameters
# A rate named with a suffix (`lr_p`, `eta_0`, `step_size`): a function's own learning rate.
_RATE_NAME = re.compile(r"(?:lr|eta|learning_rate)_\w+|step_?size")
# Calls whose argument is a sequence or a tensor, not a size.
_NOT_SIZE_CALLS = re.compile(r"(?:^|\.)(?:len|list|tuple|enumerate|zip|iter|sorted|register_buffer|Parameter|tensor|as_tensor|"
                             r"from_numpy|clone)$")
_LAYER_BASES = ("nn.Module", "nn.Linear", "torch.nn.Module", "torch.nn.Linear")
# A layer on images or sequences (a convolution, patches, a 2-d layer): no replacement for a linear layer on vectors.
_NOT_ON_VECTORS = re.compile(r"\b(?:nn\.Conv\w*|F\.conv\w*|F\.unfold|nn\.Unfold|\w*Conv\w*|\w+2[dD])\b|\.unfold\(")
_NO_GRAD = ("torch.no_grad()", "torch.no_grad", "torch.inference_mode()")
_MATRIX = re.compile(r"W(?:_?\w)?")  # what a note calls a weight matrix: W, W1, W_l


def code_body(kind: str, note_text: str) -> tuple[str, str] | None:
    """(the body of the kind's hook function, the code it calls) from the first of the notes' code blocks in the
    idea's own sections that binds to the hook, or None."""
    if kind not in HOOK_FUNCTIONS:
        return None
    constants = note_constants(note_text)
    for tree, block in parsed_blocks(note_text):
        imported = _imported(tree)
        for candidate in _candidates(tree):
            if isinstance(candidate, ast.FunctionDef) and not self_contained(candidate, constants):
                continue
            found = _function_call(candidate, kind, block, note_text) if isinstance(candidate, ast.FunctionDef) \
                else _statements_run(*candidate, kind, constants, imported)
            if found is not None:
                body, param_name = found
                return _on_matrices_only(kind) + body if _MATRIX.fullmatch(param_name) else body, _first_line(candidate)
    return None


def self_contained(function: ast.FunctionDef, constants: dict[str, str]) -> bool:
    """Whether the notes' function reads no name defined nowhere (`functional_call(net, …)` of code the notes left out;
    a constant the notes give is known) and rebinds none of the harness's (an input named `F` hides torch's F, and so does
    `F = torch.sigmoid(…)` where the function then reads `F.relu`; `F = lambda u: …` called as `F(b)` hides nothing)."""
    stored = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound = {n.arg for n in ast.walk(function) if isinstance(n, ast.arg)} \
        | {n.name for n in ast.walk(function) if isinstance(n, ast.FunctionDef)}  # inputs and inner functions
    read = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    unknown = {name for name in read - stored - bound - _KNOWN if compared_name(name) not in constants}
    harness = _KNOWN - frozenset(dir(builtins))
    return not unknown and not bound & harness and not hidden_harness_names(function, harness, harness)


def _on_matrices_only(kind: str) -> str:
    """The lines a hook starts with when the notes' code is on a weight matrix (`W`): a bias is left alone by a weight
    operation and given plain SGD by an update rule."""
    step = "p.sub_(lr * g)\n    " if kind == "update_rule" else ""
    return f"if p.dim() < 2:  # the notes' code is on a weight matrix\n    {step}return\n"


def layer_class_bodies(note_text: str) -> tuple[str, str, str] | None:
    """(the layer skeleton's forward body, the class it comes from, its extra_parameters body) when the notes give the
    idea as a layer class of their own (`class SortLinear(nn.Module)` built as `SortLinear(d_in, d_out)`, with a
    forward of x): the skeleton's layer holds one, built with the layer's sizes, in place of its own weights."""
    return _module_class_bodies(note_text, 2, "del self.weight, self.bias  # the notes' layer holds its own\n"
                                "self.layer = {name}(self.in_features, self.out_features)\n", "out = self.layer(x)")


def activation_class_bodies(note_text: str) -> tuple[str, str, str] | None:
    """The same for the activation skeleton, when the notes give their activation as a class built from the width of
    the layer before it (`class BentAct(nn.Module)` built as `BentAct(c)`): the skeleton's activation holds one."""
    return _module_class_bodies(note_text, 1, "self.act = {name}(self.width)\n", "out = self.act(x)")


def norm_class_bodies(note_text: str) -> tuple[str, str, str] | None:
    """The same for the norm skeleton, when the notes give their normalisation as a class built from the width of the
    layer before it (`class RankNorm(nn.Module)` built as `RankNorm(d)`): the skeleton's normalisation holds one."""
    return _module_class_bodies(note_text, 1, "self.norm = {name}(self.width)\n", "out = self.norm(z)")


def _module_class_bodies(note_text: str, sizes: int, built: str, forward: str) -> tuple[str, str, str] | None:
    """(forward body, source, extra_parameters body) for the first module class of the notes built from `sizes`
    sizes, held as `built` says and called as `forward` does."""
    for tree, _ in parsed_blocks(note_text):
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and _is_module_class(node, sizes):
                return f"{forward}\nreturn out\n", f"the notes' own code, class {node.name}", \
                    ast.unparse(node) + "\n" + built.format(name=node.name)
    return None


def _is_module_class(node: ast.ClassDef, sizes: int) -> bool:
    """A module class built from `sizes` sizes (`__init__(self, d_in, d_out, k=None)`, calling super().__init__) with a
    forward of one input."""
    if not any(ast.unparse(base) in _LAYER_BASES for base in node.bases) or _NOT_ON_VECTORS.search(ast.unparse(node)):
        return False
    methods = {item.name: item for item in node.body if isinstance(item, ast.FunctionDef)}
    init, forward = methods.get("__init__"), methods.get("forward")
    if init is None or forward is None or init.decorator_list or forward.decorator_list:
        return False
    given = init.args.args[1:len(init.args.args) - len(init.args.defaults)]
    built = any(isinstance(n, ast.Call) and ast.unparse(n.func).startswith("super().__init__") for n in ast.walk(init))
    return built and len(given) == sizes and all(_is_size(init, argument.arg) for argument in given) \
        and len(forward.args.args) == 2 and not forward.args.defaults


def _is_size(init: ast.FunctionDef, name: str) -> bool:
    """Whether `__init__` uses its argument `name` as a number only: never indexed, measured, iterated, kept as a
    buffer or read for an attribute (`def __init__(self, perm, d_out)` with `len(perm)` takes a permutation, no size)."""
    for node in ast.walk(init):
        if isinstance(node, (ast.Subscript, ast.Attribute)) and ast.unparse(node.value) == name:
            return False
        if isinstance(node, (ast.For, ast.comprehension)) and ast.unparse(node.iter) == name:
            return False
        if isinstance(node, ast.Call) and _NOT_SIZE_CALLS.search(ast.unparse(node.func)) \
                and any(ast.unparse(argument) == name for argument in node.args):
            return False
    return True


def parsed_blocks(note_text: str) -> Iterator[tuple[ast.Module, str]]:
    """Each code block of the idea's own sections that parses as Python, with its text."""
    for block in map(textwrap.dedent, code_blocks(idea_text(note_text))):
        try:
            yield ast.parse(block), block
        except SyntaxError:
            continue


def code_blocks(text: str) -> list[str]:
    """The text of each fenced code block in Python (or in no language named), then of each block indented by four
    spaces after a blank line outside the fences (Markdown's indented code); a block left open where another opens
    with its language named (a block cut where one passage ends, whole in the next) is dropped."""
    blocks, current, language, outside = [], None, "", []
    for line in text.split("\n"):
        fence = fence_line(line)
        if fence and (current is None or fence[1]):
            current, language = [], fence[1]
        elif fence:
            if language in ("", "python", "py"):
                blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
        else:
            outside.append(line)
    runs: list[list[str]] = []
    run, previous = None, ""
    for line in outside:
        if _INDENTED.match(line) and (run is not None or not previous.strip()):
            if run is None:
                run = []
                runs.append(run)
            run.append(line)
        elif line.strip():
            run = None  # text at the margin ends the block; a blank line does not
        previous = line
    return blocks + ["\n".join(run) for run in runs]


_INDENTED = re.compile(r"^(?: {4}|\t)\s*\S")  # a line of an indented code block


def _candidates(tree: ast.Module) -> list[ast.FunctionDef | tuple[list[ast.stmt], str | None]]:
    """What in a block may be the idea: each function it defines; the statements before and in a loop over the
    model's parameters (a function's defaults made constants before them) with the loop's parameter variable; the
    block's own statements."""
    found: list[ast.FunctionDef | tuple[list[ast.stmt], str | None]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found.append(node)
            if (split := _parameter_loop(node.body)) is not None:
                found.append((_defaults_as_constants(node) + split[0], split[1]))
        if isinstance(node, ast.ClassDef) and (stepped := _optimizer_step(node)) is not None:
            found.append(stepped)
    if (split := _parameter_loop(tree.body)) is not None:
        found.append(split)
    elif not any(isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)) for node in tree.body):
        found.append((tree.body, None))
    return found


def _optimizer_step(node: ast.ClassDef) -> tuple[list[ast.stmt], str] | None:
    """(the body of the notes' optimizer's loop over each parameter, as a hook's statements; the parameter's variable)
    for a `torch.optim.Optimizer` class whose `step` is a loop over `self.param_groups` and each group's params: the
    parameter's `self.state[p]` becomes the hook's `state` (started as `__init__` starts it), a group's `lr` the tuned
    rate and its other settings the defaults `__init__` gives them (also read before the loop over its params), a
    `continue` a return. None for anything else in `step`, or a setting without a default."""
    if not any(ast.unparse(base) in ("torch.optim.Optimizer", "optim.Optimizer", "Optimizer") for base in node.bases):
        return None
    methods = {item.name: item for item in node.body if isinstance(item, ast.FunctionDef)}
    init, step = methods.get("__init__"), methods.get("step")
    if init is None or step is None:
        return None
    defaults = dict(zip([a.arg for a in init.args.args][::-1], init.args.defaults[::-1]))
    body = [s for s in step.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
            and not (isinstance(s, ast.Return) and isinstance(s.value, (ast.Constant, type(None))))]
    if len(body) != 1 or not isinstance(groups := body[0], ast.For) or ast.unparse(groups.iter) != "self.param_groups" \
            or not groups.body or not isinstance(params := groups.body[-1], ast.For) \
            or not isinstance(groups.target, ast.Name) or not isinstance(params.target, ast.Name) \
            or ast.unparse(params.iter) != f"{groups.target.id}['params']" \
            or not all(isinstance(s, ast.Assign) for s in groups.body[:-1]):
        return None
    group, parameter = groups.target.id, params.target.id
    started = _state_started(init, defaults)
    if started is None:
        return None

    class AsHook(_ContinueAsReturn):
        def visit_Subscript(self, sub: ast.Subscript) -> ast.expr:
            if ast.unparse(sub) == f"self.state[{parameter}]":
                return ast.Name("state", ast.Load())
            key = sub.slice.value if isinstance(sub.slice, ast.Constant) else None
            if isinstance(sub.value, ast.Name) and sub.value.id == group and isinstance(key, str):
                if key == "lr":
                    return ast.Name("lr", ast.Load())
                if key in defaults:
                    return copy.deepcopy(defaults[key])
                raise ValueError(key)
            return self.generic_visit(sub)

    try:
        statements = [ast.fix_missing_locations(AsHook().visit(copy.deepcopy(s))) for s in groups.body[:-1] + params.body]
    except ValueError:
        return None  # a group setting nothing gives a value
    statements = started + statements
    names = {n.id for s in statements for n in ast.walk(s) if isinstance(n, ast.Name)}
    return (statements, parameter) if not names & {"self", group} else None


def _state_started(init: ast.FunctionDef, defaults: dict[str, ast.expr]) -> list[ast.stmt] | None:
    """The state entries an optimizer's `__init__` starts for each parameter (`self.state[p]['q'] = deque(maxlen=delay
    + 1)` in its loops over the groups' params), as the hook's `if 'q' not in state: state['q'] = …` with the settings'
    defaults written in; None where one reads a setting without a default or anything else of the optimizer."""
    arguments = {a.arg for a in init.args.args}

    class Defaults(ast.NodeTransformer):
        def visit_Name(self, name: ast.Name) -> ast.expr:
            if name.id in defaults:
                return copy.deepcopy(defaults[name.id])
            if name.id in arguments:
                raise ValueError(name.id)  # `params`, `self`, a setting without a default
            return name

    started = []
    for node in ast.walk(init):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(target := node.targets[0], ast.Subscript)
                and isinstance(target.slice, ast.Constant) and ast.unparse(target.value).startswith("self.state[")):
            continue
        try:
            value = Defaults().visit(copy.deepcopy(node.value))
        except ValueError:
            return None
        key = repr(target.slice.value)
        started.append(ast.parse(f"if {key} not in state:\n    state[{key}] = {ast.unparse(value)}  # as the notes' "
                                 "optimizer starts it").body[0])
    return started


def _parameter_loop(body: list[ast.stmt]) -> tuple[list[ast.stmt], str] | None:
    """(the statements before a loop over `model.parameters()` / `model.named_parameters()` / a function's list of
    parameters (`for p in params`) and the loop's own, its
    `continue` a return; the loop's parameter variable) when a body (or its `with torch.no_grad():`) ends in one and
    computes nothing of the model before it; else None."""
    statements = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(statements) == 1 and isinstance(statements[0], ast.With):
        statements = statements[0].body
    if not statements or not isinstance(loop := statements[-1], ast.For):
        return None
    call, before = loop.iter, statements[:-1]
    buffers = _paired_buffers(loop)
    over_list = isinstance(call, ast.Name) and call.id in _PARAMETER_LISTS  # `def hyp_step(params, lr, beta): for p in params:`
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in _PARAMETER_LOOPS) \
            and buffers is None and not over_list:
        return None
    if any(isinstance(n, ast.Name) and n.id == "model" for s in before for n in ast.walk(s)):
        return None  # something of the whole model computed first: not one parameter's operation
    variable = _loop_variable(loop) if buffers is None else loop.target.elts[0].id
    kept = [ast.parse(f'{name} = state.setdefault("{name}", torch.zeros_like({variable}))  # kept between steps').body[0]
            for name in buffers or ()]
    return (before + kept + [_ContinueAsReturn().visit(copy.deepcopy(s)) for s in loop.body], variable) if variable else None


def _paired_buffers(loop: ast.For) -> list[str] | None:
    """The buffers a loop pairs with each parameter (`for p, m in zip(params, bufs)`: ["m"], each parameter's own,
    kept between steps), or None for another loop."""
    call, target = loop.iter, loop.target
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "zip" and call.args
            and isinstance(call.args[0], ast.Name) and call.args[0].id in _PARAMETER_LISTS
            and isinstance(target, ast.Tuple) and len(target.elts) == len(call.args) > 1
            and all(isinstance(e, ast.Name) for e in target.elts)):
        return None
    return [e.id for e in target.elts[1:]]


class _ContinueAsReturn(ast.NodeTransformer):
    """A loop body's `continue` (skip this parameter) as the per-parameter hook's `return`; a nested loop's own stays."""

    def visit_Continue(self, node: ast.Continue) -> ast.Return:
        return ast.Return(value=None)

    def visit_For(self, node: ast.For) -> ast.For:
        return node

    visit_While = visit_For


def _loop_variable(loop: ast.For) -> str | None:
    """The loop's parameter variable (the second of `for name, p in model.named_parameters()`), the hook's parameter."""
    target = loop.target.elts[-1] if isinstance(loop.target, ast.Tuple) else loop.target
    return target.id if isinstance(target, ast.Name) else None


def _defaults_as_constants(function: ast.FunctionDef) -> list[ast.stmt]:
    """`lam = 0.8` for each of a function's arguments given a default."""
    arguments = function.args.args[len(function.args.args) - len(function.args.defaults):]
    return [ast.parse(f"{a.arg} = {ast.unparse(d)}").body[0] for a, d in zip(arguments, function.args.defaults)]


def _roles(names: list[str], kind: str, known: dict[str, str] | None = None) -> dict[str, str]:
    """Role -> the name of the notes' code that stands for the hook's argument of that role: as `known`, else the
    argument's own name (`lr`), else the first name ROLES gives the role (`eta` when no `lr` is read, `W` for the
    parameter)."""
    arguments = HOOK_FUNCTIONS[kind][1]
    taken = {**{role: argument for role, argument in arguments.items() if argument in names and role not in (known or {})},
             **(known or {})}
    for name in names:
        role = next((r for r, aliases in ROLES[kind].items() if r in arguments and r not in taken and name in aliases
                     and name not in taken.values()), None)
        if role is not None:
            taken[role] = name
    rates = [name for name in names if _RATE_NAME.fullmatch(name) and name not in taken.values()]
    if "lr" in arguments and "lr" not in taken and len(rates) == 1:
        taken["lr"] = rates[0]  # `def step(params, state, lr_p=0.05, …)`: the function's own rate is the one the lab tunes
    return taken


# A loss's input named for the training set's class frequencies (`def la_loss(logits, y, log_prior, tau=1.0)`): the
# harness's CLASS_COUNTS, as the counts, the prior or its log.
_CLASS_FREQUENCIES = {
    **dict.fromkeys(("class_counts", "counts", "n_per_class", "cls_num", "class_sizes"), "CLASS_COUNTS"),
    **dict.fromkeys(("prior", "priors", "class_prior", "pi", "class_freq", "freq"), "CLASS_COUNTS / CLASS_COUNTS.sum()"),
    **dict.fromkeys(("log_prior", "log_priors", "log_pi", "log_class_prior"), "torch.log(CLASS_COUNTS / CLASS_COUNTS.sum())"),
}


def _function_call(function: ast.FunctionDef, kind: str, block: str = "", note_text: str = "") -> tuple[str, str] | None:
    """(the notes' function defined in the hook and called with the hook's values, the tensors it keeps taken from
    the parameter's state; its name for the parameter), or None when an input without a default binds to nothing or
    the call changes nothing."""
    arguments = HOOK_FUNCTIONS[kind][1]
    if function.decorator_list and (kind not in _ON_A_PARAMETER or any(ast.unparse(d) not in _NO_GRAD
                                                                       for d in function.decorator_list)):
        return None  # a decorator that changes what the function does
    function = ast.FunctionDef(**{**function.__dict__, "decorator_list": []})  # a parameter's hook runs without gradients
    positional = function.args.args[1:] if function.args.args and function.args.args[0].arg == "self" else function.args.args
    without_default = positional[:len(positional) - len(function.args.defaults)]
    names = [a.arg for a in positional]
    taken = _roles(names, kind)  # role -> the function's input bound to it
    given = note_constants(note_text)
    if (param := taken.get("param")) and compared_name(param) in given:  # `def step(w, g, m, p)` beside `p ∈ {1.5, 3}`:
        taken = _roles([name for name in names if name != param], kind)  # a number of the notes, w the parameter
        if not taken.get("param") or compared_name(taken["param"]) in given:
            return None  # `def spow(M, p)` beside `p ∈ {0, 0.5, 1}`: a number of the notes, and nothing else the parameter
    if kind == "loss" and "pred" not in taken and len(positional) >= 2 and taken.get("target") == positional[1].arg \
            and positional[0].arg not in taken.values():
        taken["pred"] = positional[0].arg  # `def log_odds_loss(z, y, m=2.94)`: a loss of the network's output and the targets
    # An input the notes give a number (`def f(t, T, eta0, k)` with k ∈ {1, 2, 4}), where the function takes hook values.
    numbers = {a.arg: given[compared_name(a.arg)] for a in without_default
               if taken and a.arg not in taken.values() and compared_name(a.arg) in given}
    if kind == "loss":  # the class frequencies, where the function names them
        numbers.update({a.arg: _CLASS_FREQUENCIES[a.arg] for a in without_default
                        if a.arg in _CLASS_FREQUENCIES and a.arg not in taken.values()})
    kept = [a.arg for a in without_default if a.arg not in taken.values() and a.arg not in numbers]
    # `def peak_hold_(m, g, beta=0.9)` changing only its kept m, beside `w ← w − η·m`: the step moves the parameter.
    stepped = _kept_tensor_step(kept, note_text) if kind == "update_rule" and "param" not in taken else None
    renamed = {name: arguments[role] for role, name in taken.items() if name != arguments[role]}
    used = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)} | {a.arg for a in positional}
    for name in set(renamed.values()) & (used - set(renamed)):  # `def step(w, g, m, p)` with p an exponent: the
        renamed[name] = next(f"{name}{k}_note" for k in range(len(used) + 1) if f"{name}{k}_note" not in used)  # hook's p
    numbers = {renamed.get(name, name): value for name, value in numbers.items()}
    kept = [renamed.get(name, name) for name in kept]
    function = names_replaced(function, renamed)  # its inputs under the hook's names: `w.sub_` is `p.sub_`
    param_name, taken = taken.get("param", ""), {role: renamed.get(name, name) for role, name in taken.items()}
    passed = [f"{name}={name}" for name in taken.values()]
    if kept and (kind not in _ON_A_PARAMETER or ("param" not in taken and stepped is None)
                 or not all(_changes_in_place(function.body, name) for name in kept)):
        return None  # an input nothing gives: only a parameter's own kept tensors, which the function changes, are known
    call = f"{function.name}({', '.join(passed + [f'{name}={name}' for name in kept] + [f'{n}={v}' for n, v in numbers.items()])})"
    if kind in _ON_A_PARAMETER:
        if stepped is not None:
            result = f"{call}\n{arguments['param']}.sub_({arguments['lr']} * {stepped})  # the notes' step with what it keeps"
        elif "param" not in taken:
            return None
        elif _changes_in_place(function.body, taken["param"]):
            result = call
        elif _returns_value(function):
            result = f"{arguments['param']}.copy_({call})"
        else:
            return None
    elif kind == "data" and _returns_value(function):
        result = _batch_changed(function, call, taken, _declared_shape(block, function, taken.get("input", "")),
                                _applied_sometimes(function, note_text))
        if result is None:
            return None
    elif _returns_value(function):
        result = f"return {call}"
    else:
        return None
    state = [f'{name} = state.setdefault("{name}", torch.zeros_like({arguments["param"]}))  # kept between steps'
             for name in kept]
    return "\n".join([ast.unparse(function), *state, result]) + "\n", param_name


def _batch_changed(function: ast.FunctionDef, call: str, taken: dict[str, str], shape: str,
                   sometimes: tuple[float, bool] | None = None) -> str | None:
    """The return of a batch hook calling the notes' function: a function returning only the new inputs keeps the
    targets; an input the note shapes in a comment (`# x: (B, 8, 8)`) is passed so shaped and given back as the batch's.
    Applied `sometimes` (probability, per batch) as the notes say outside the function: to a whole batch with that
    probability, or to each example (its inputs only: None for a function that also changes the targets)."""
    x, y = HOOK_FUNCTIONS["data"][1]["input"], HOOK_FUNCTIONS["data"][1]["target"]
    pair = all(isinstance(r.value, ast.Tuple) and len(r.value.elts) == 2
               for r in ast.walk(function) if isinstance(r, ast.Return) and r.value is not None)
    if shape:
        call = call.replace(f"{x}={x}", f"{x}={x}.reshape({x}.shape[0], {shape})")
    if sometimes is None and shape:
        return f"new_x, new_y = {call}\nreturn new_x.reshape({x}.shape), new_y" if pair \
            else f"return {call}.reshape({x}.shape), {y}"
    if sometimes is None:
        return f"return {call}" if pair else f"return {call}, {y}"
    new = f"new_x, new_y = {call}\n" if pair else f"new_x, new_y = {call}, {y}\n"
    new += f"new_x = new_x.reshape({x}.shape)\n" if shape else ""
    probability, per_batch = sometimes
    if per_batch:
        return f"if torch.rand(()) >= {probability!r}:  # a batch is changed with this probability, as the notes say\n" \
               f"    return {x}, {y}\n" + new + "return new_x, new_y"
    if pair:
        return None  # each example changed or not, its targets too: more than a choice of inputs
    return new + f"chosen = torch.rand({x}.shape[0], device={x}.device) < {probability!r}  # each example with this " \
        f"probability, as the notes say\nchosen = chosen.view(-1, *[1] * ({x}.dim() - 1))\n" \
        f"return torch.where(chosen, new_x, {x}), new_y"


# A change applied only sometimes, said outside the function: "以概率 p = 0.5 应用，否则保留原图", "applied with probability
# 0.3", "applied to half the batches".
_SOMETIMES = re.compile(r"以\s*(?:概率|prob(?:ability)?)\s*(?:p\s*=\s*)?(?P<zh>0?\.\d+|1\.0*)\s*(?:应用|使用|施加|做|执行)|"
                        r"\b(?:applied|apply|use[sd]?|done)\s+(?:it\s+)?with\s+probability\s+(?:p\s*=\s*)?(?P<en>0?\.\d+|1\.0*)|"
                        r"(?P<half>\b(?:applied\s+)?(?:to|on)\s+half\s+(?:of\s+)?the\s+(?:mini-?)?batches|一半的?\s*batch)",
                        re.IGNORECASE)
_PER_BATCH = re.compile(r"(?:each|every|per|a)\s+(?:mini-?)?batch|每个?\s*batch|整个\s*batch", re.IGNORECASE)


def _applied_sometimes(function: ast.FunctionDef, note_text: str) -> tuple[float, bool] | None:
    """(probability, whether per batch) when the idea's own sections apply the change only sometimes and the function
    itself draws no such chance (it takes no input `p`, `prob`, `probability` or `q`); None otherwise."""
    text = idea_text(note_text)
    said = _SOMETIMES.search(text)
    if said is None or {a.arg for a in function.args.args} & {"p", "prob", "probability", "q"}:
        return None
    if said["half"]:
        return 0.5, True
    start = max(text.rfind(mark, 0, said.start()) for mark in "。;；\n") + 1
    end = min([i for i in (text.find(mark, said.end()) for mark in "。;；\n") if i >= 0] or [len(text)])
    return float(said["zh"] or said["en"]), bool(_PER_BATCH.search(text[start:end]))


# A comment giving a batch's shape: `# x: (B, 8, 8)`, `# x: [B, 8, 8]`.
_SHAPE_COMMENT = re.compile(r"#[^\n]*?\b(\w+)\s*:\s*[(\[]\s*(?:B|N|batch|bs)\s*,\s*(\d+(?:\s*,\s*\d+)*)\s*[)\]]")


def _declared_shape(block: str, function: ast.FunctionDef, name: str) -> str:
    """The sizes after the batch's that a comment on the function's `def` line gives its input `name` ("8, 8"), or ""."""
    lines = block.split("\n")
    found = _SHAPE_COMMENT.search(lines[function.lineno - 1]) if name and function.lineno <= len(lines) else None
    return re.sub(r"\s+", "", found[2]).replace(",", ", ") if found and found[1] == name else ""


def names_replaced(node: ast.AST, renamed: dict[str, str]) -> ast.AST:
    """A copy of `node` (a function, an expression) with its names (inputs and their uses) replaced as `renamed` says."""
    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.Name:
            return ast.Name(renamed.get(node.id, node.id), node.ctx)

        def visit_arg(self, node: ast.arg) -> ast.arg:
            return ast.arg(renamed.get(node.arg, node.arg), node.annotation)

    return ast.fix_missing_locations(Rename().visit(copy.deepcopy(node)))


def _imported(tree: ast.Module) -> dict[str, str]:
    """Name -> the import line of a block's own imports from the modules idea code may use (`from collections import
    deque`), for statements of the block that read it."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and all(
                ((node.module or "") if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0] in ALLOWED_MODULES
                for alias in node.names):
            found |= {(alias.asname or alias.name).split(".")[0]: ast.unparse(node) for alias in node.names}
    return found


def _statements_run(statements: list[ast.stmt], loop_variable: str | None, kind: str,
                    constants: dict[str, str], imported: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(the notes' statements run in the hook, each input they read bound to the hook's value of its role (the
    parameter to `loop_variable` when they are a loop's over the parameters), to the block's own import or to the
    notes' constant; their name for the parameter), or None when one binds to nothing, or they change nothing the
    hook must change."""
    imported = imported or {}
    if kind in _ON_A_PARAMETER and loop_variable:
        statements = [_StateStarted(loop_variable).visit(copy.deepcopy(s)) for s in statements]
    rate_numbers = [s for s in statements if isinstance(s, ast.Assign) and len(s.targets) == 1
                    and isinstance(s.targets[0], ast.Name) and _RATE_NAME.fullmatch(s.targets[0].id)
                    and isinstance(s.value, ast.Constant)]
    if "lr" in HOOK_FUNCTIONS[kind][1] and len(rate_numbers) == 1:
        statements = [s for s in statements if s is not rate_numbers[0]]  # the function's own rate: the tuned one
    module = ast.Module(body=list(statements), type_ignores=[])
    assigned = {n.id for n in ast.walk(module) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    read_first = _read_before_assigned(statements)
    arguments = HOOK_FUNCTIONS[kind][1]
    taken = _roles([name for name in read_first if name not in _KNOWN and name != loop_variable], kind,
                   {"param": loop_variable} if loop_variable else {})
    role_of = {name: role for role, name in taken.items()}
    lines, param_name, kept = [], taken.get("param"), []
    for name in read_first:
        if name in _KNOWN or (name == "state" and kind in _ON_A_PARAMETER):  # the hook's own state dict
            continue
        if name in imported:
            lines.append(imported[name])
        elif name in role_of:
            if name != arguments[role_of[name]]:
                lines.append(f"{name} = {arguments[role_of[name]]}")
        elif kind in _ON_A_PARAMETER and (name in assigned or _changes_in_place(statements, name)):
            kept.append(name)  # `prev_step.copy_(step)`, `m = beta * m + g`: a value kept from step to step
        elif compared_name(name) in constants:
            lines.append(f"{name} = {constants[compared_name(name)]}  # from the notes")
        elif compared_name(name) == "eps":
            lines.append(f"{name} = {EPS}  # a small constant (the notes give no value)")
        else:
            return None
    if kind not in _ON_A_PARAMETER or param_name is None:
        return None
    lines += [f'{name} = state.get("{name}", torch.full_like({arguments["param"]}, '
              f'{constants.get(compared_name(name), "0.0")}))  # kept between steps' for name in kept]
    body = [ast.unparse(s) for s in statements]
    if _changes_in_place(statements, param_name):
        pass
    elif param_name in assigned:
        body.append(f"{arguments['param']}.copy_({param_name})")
    else:
        return None
    body += [f'state["{name}"] = {name}' for name in kept]
    return "\n".join(lines + body) + "\n", param_name


class _StateStarted(ast.NodeTransformer):
    """`state[p]` read as the parameter's buffer, which the notes' loop assumes is there: started at zero on first use
    (`state.setdefault(p, torch.zeros_like(p))`), as the parameter's own state dict has nothing before the first step."""

    def __init__(self, parameter: str) -> None:
        self.parameter = parameter

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name) and node.value.id == "state" \
                and isinstance(node.slice, ast.Name) and node.slice.id == self.parameter:
            return ast.parse(f"state.setdefault({self.parameter}, torch.zeros_like({self.parameter}))", mode="eval").body
        return node


def _read_before_assigned(statements: list[ast.stmt]) -> list[str]:
    """The names the statements read before they assign them, in the order met."""
    read: list[str] = []
    assigned: set[str] = set()
    for name, stored in _names_in_order(statements):
        if stored:
            assigned.add(name)
        elif name not in assigned and name not in read:
            read.append(name)
    return read


def _names_in_order(statements: list[ast.stmt]) -> list[tuple[str, bool]]:
    """(name, whether it is assigned) for each name the statements use, in the order they run: an assignment's
    value before its targets (`W = W - g` reads W first), a block's header before its body."""
    def used(node: ast.AST | None) -> list[tuple[str, bool]]:
        return [] if node is None else [(n.id, isinstance(n.ctx, ast.Store)) for n in ast.walk(node) if isinstance(n, ast.Name)]

    found: list[tuple[str, bool]] = []
    for statement in statements:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            found += used(statement.value) + [pair for target in targets for pair in used(target)]
        elif isinstance(statement, ast.AugAssign):
            found += used(statement.value) + [(name, False) for name, _ in used(statement.target)] + used(statement.target)
        elif isinstance(statement, ast.For):
            found += used(statement.iter) + used(statement.target) + _names_in_order(statement.body + statement.orelse)
        elif isinstance(statement, ast.With):
            for item in statement.items:
                found += used(item.context_expr) + used(item.optional_vars)
            found += _names_in_order(statement.body)
        elif isinstance(statement, (ast.If, ast.While)):
            found += used(statement.test) + _names_in_order(statement.body + statement.orelse)
        else:
            found += used(statement)
    return found


def _kept_tensor_step(kept: list[str], note_text: str) -> str | None:
    """The one tensor of `kept` that an idea line of the notes steps the parameter by, times the rate (`w ← w − η·m`,
    `θ = θ - lr * m`), or None."""
    params, rates = ROLES["update_rule"]["param"], ROLES["update_rule"]["lr"]
    found = set()
    for line in idea_text(note_text).splitlines():
        for target, value in _assignments(line) or ():
            if target in params and isinstance(value, ast.BinOp) and isinstance(value.op, ast.Sub) \
                    and isinstance(value.left, ast.Name) and value.left.id == target \
                    and isinstance(value.right, ast.BinOp) and isinstance(value.right.op, ast.Mult):
                factors = {ast.unparse(value.right.left), ast.unparse(value.right.right)}
                if factors & set(rates) and len(factors - set(rates)) == 1 and (factors - set(rates)) <= set(kept):
                    found |= factors - set(rates)
    return found.pop() if len(found) == 1 else None


def _changes_in_place(body: list[ast.stmt], name: str) -> bool:
    """Whether the code changes the tensor `name` in place: `name.sub_(…)`, `name.data -= …`, `name -= …`,
    `name.data = …`, `name[...] = …`."""
    for node in (n for statement in body for n in ast.walk(statement)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _IN_PLACE.search(node.func.attr) \
                and _is_tensor(node.func.value, name):
            return True
        if isinstance(node, ast.AugAssign) and _is_tensor(node.target, name):
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, (ast.Attribute, ast.Subscript)) and _is_tensor(t, name)
                                                for t in node.targets):
            return True
    return False


def _is_tensor(node: ast.AST, name: str) -> bool:
    """`name`, `name.data` or `name[...]`."""
    if isinstance(node, (ast.Attribute, ast.Subscript)) and not (isinstance(node, ast.Attribute) and node.attr != "data"):
        node = node.value
    return isinstance(node, ast.Name) and node.id == name


def _returns_value(function: ast.FunctionDef) -> bool:
    return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(function))


def _first_line(candidate: ast.FunctionDef | tuple[list[ast.stmt], str | None]) -> str:
    """What the body calls, for its mark: the function's signature or the code's first statement."""
    if isinstance(candidate, ast.FunctionDef):
        return f"the notes' own code, def {candidate.name}({ast.unparse(candidate.args)})"
    return "the notes' own code, " + ast.unparse(candidate[0][0]).splitlines()[0]


def define_note_functions(code: str, note_text: str) -> tuple[str, list[Fix]]:
    """The code with each function it calls and never defines, that the notes' own code defines self-contained
    (`def ns5(G, steps=5): …` beside a rule that calls `ns5(D)`), defined after its imports as the notes write it,
    with the notes' functions that one calls; the code as it was otherwise."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    constants = note_constants(note_text)
    notes_functions = {node.name: node for block, _ in parsed_blocks(note_text) for node in block.body
                       if isinstance(node, ast.FunctionDef) and self_contained_with(node, block, constants)}
    wanted, added = [name for name, _ in undefined_names(tree) if name in notes_functions], []
    while wanted:
        name = wanted.pop(0)
        if name in added:
            continue
        added.append(name)
        wanted += [n.id for n in ast.walk(notes_functions[name]) if isinstance(n, ast.Name) and n.id in notes_functions]
    if not added:
        return code, []
    definitions = "\n\n".join(ast.unparse(notes_functions[name]) for name in reversed(added)).splitlines()
    lines = code.splitlines()
    at = max((node.end_lineno for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)), default=0)
    lines[at:at] = ["", *definitions, ""]
    return "\n".join(lines) + "\n", [Fix(at + 2, "undefined", f"{name}: the notes' own function") for name in added]


def self_contained_with(function: ast.FunctionDef, block: ast.Module, constants: dict[str, str]) -> bool:
    """Whether the notes' function is self-contained (`self_contained`) once the other functions of its code block
    count as known."""
    others = {node.name for node in block.body if isinstance(node, ast.FunctionDef)}
    return self_contained(function, {**constants, **{name: name for name in others}})
