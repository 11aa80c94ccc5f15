"""Run the note's formulas (guards/note_program.py) beside the idea's own hook, on the same inputs.

Usage, in the sandbox, in an iteration folder: python formula_probe.py experiment.py program.json OUT.json
Writes OUT.json: {"checked": true, "ok": bool, "where": ..., "expected": [...], "got": [...],
"max_diff": float} or {"checked": false, "why": ...} when the hook cannot be probed this way.
Only torch and the standard library: it runs where experiment.py runs.
"""

import importlib.util
import inspect
import json
import math
import sys

import torch
import torch.nn.functional as F

LR = 0.01
STEPS = 3  # update rule: optimizer steps compared
FUNCTIONS = {"sign": torch.sign, "sqrt": torch.sqrt, "exp": torch.exp, "log": torch.log, "tanh": torch.tanh,
             "sigmoid": torch.sigmoid, "relu": torch.relu, "abs": torch.abs, "softplus": F.softplus, "cos": torch.cos,
             "sin": torch.sin, "floor": torch.floor, "clip": torch.clamp, "clamp": torch.clamp, "pi": math.pi,
             "min": torch.minimum, "max": torch.maximum, "norm": torch.norm, "mean": torch.mean, "sum": torch.sum,
             "sum_over": lambda v: torch.sum(v, dim=-1), "cosh": torch.cosh, "std": torch.std, "ceil": torch.ceil,
             "where": lambda condition, a, b: torch.where(torch.as_tensor(condition), torch.as_tensor(a), torch.as_tensor(b)),
             "norm_rows": lambda v: torch.linalg.vector_norm(v, dim=-1, keepdim=True),
             "dot": lambda a, b: torch.dot(torch.as_tensor(a).flatten(), torch.as_tensor(b).flatten()),
             "lt": lambda a, b: torch.lt(torch.as_tensor(a), b), "le": lambda a, b: torch.le(torch.as_tensor(a), b),
             "gt": lambda a, b: torch.gt(torch.as_tensor(a), b), "ge": lambda a, b: torch.ge(torch.as_tensor(a), b),
             "ne": lambda a, b: torch.ne(torch.as_tensor(a), b),
             "ndtr": torch.special.ndtr, "ndtri": torch.special.ndtri, "erf": torch.special.erf,
             "quantile": lambda v, q: torch.quantile(torch.as_tensor(v, dtype=torch.float32), q),
             "median": lambda v: torch.median(torch.as_tensor(v, dtype=torch.float32))}


def run_program(program, values):
    """The environment after running the program's statements with `values` bound (the note's constants too)."""
    env = {**FUNCTIONS, **program["constants"], **values}
    allowed = {"__builtins__": {"__import__": __import__}}  # torch imports lazily inside a tensor's comparison
    for name, expression in program.get("bound", ()):  # pairs of samples or units, from the values
        env[name] = eval(expression, allowed, env)
    for target, expression in program["statements"]:
        env[target] = eval(expression, allowed, env)  # checked on the host: names, numbers, operators, FUNCTIONS
    return env


def as_tensor(value, like):
    return torch.as_tensor(value, dtype=like.dtype).expand_as(like) if not torch.is_tensor(value) or value.shape != like.shape else value


def compare(where, expected, got):
    expected, got = torch.as_tensor(expected, dtype=torch.float64), torch.as_tensor(got, dtype=torch.float64)
    expected = expected.expand_as(got) if expected.shape != got.shape and expected.numel() == 1 else expected
    if expected.shape != got.shape:
        return {"checked": True, "ok": False, "where": where, "why": f"shape {tuple(got.shape)} where the formulas give "
                f"{tuple(expected.shape)}", "expected": [], "got": [], "max_diff": None}
    diff = (expected - got).abs()
    ok = bool(torch.all(diff <= 1e-5 + 1e-4 * expected.abs()))
    return {"checked": True, "ok": ok, "where": where, "expected": expected.flatten()[:4].tolist(),
            "got": got.flatten()[:4].tolist(), "max_diff": float(diff.max()) if diff.numel() else 0.0}


def probe_update_rule(module, program):
    make = getattr(module, "make_optimizer", None)
    if not callable(make):
        return {"checked": False, "why": "no make_optimizer"}
    roles = program["roles"]
    torch.manual_seed(0)
    start = torch.randn(4, 3) * 0.5
    p = torch.nn.Parameter(start.clone())
    optimizer = make([p], LR)
    reference = start.clone()
    starts = dict(program.get("starts") or ())
    state = {name: torch.full_like(start, float(starts.get(name, 0.0))) for name in program["state"]}
    previous = {}  # each hook value at the step before (the step's own at the first step), by its name in the notes
    for step in range(1, STEPS + 1):
        g = torch.randn(4, 3)
        p.grad = g.clone()
        try:
            optimizer.step()
        except TypeError:
            return {"checked": False, "why": "the optimizer's step needs a closure"}
        values = {roles["param"]: reference, roles["grad"]: g, **state, **{name: start for name in program.get("initial", ())}}
        values.update({name: previous.get(name, values[name.removesuffix("_prev")]) for name in program.get("previous", ())})
        previous = {name: values[name.removesuffix("_prev")] for name in program.get("previous", ())}
        values.update({roles[name]: value for name, value in (("lr", LR), ("step", step)) if name in roles})
        env = run_program(program, values)
        reference = as_tensor(env[program["output"]], start)
        state = {name: env[name] for name in program["state"]}
        result = compare(f"the weights after step {step} (lr = {LR})", reference, p.detach())
        if not result["ok"]:
            return result
    return result


def probe_activation(module, program):
    cls = getattr(module, "IdeaActivation", None)
    if cls is None:
        return {"checked": False, "why": "no IdeaActivation"}
    x = torch.linspace(-3, 3, 13)[:12] if program.get("bound") else torch.linspace(-3, 3, 13)  # pairs of units
    with torch.no_grad():
        got = cls()(x.clone())
    expected = run_program(program, {program["roles"]["input"]: x})[program["output"]]
    return compare("the activation of x = -3, -2.5, ..., 3", expected, got)


def probe_schedule(module, program):
    lr_at = getattr(module, "lr_at", None)
    if not callable(lr_at):
        return {"checked": False, "why": "no lr_at"}
    if "loss" in inspect.signature(lr_at).parameters:
        return {"checked": False, "why": "lr_at follows the training loss"}
    roles, total, base = program["roles"], module.STEPS, 0.1
    steps = sorted({1, total // 4, total // 2, 3 * total // 4, total} - {0})
    got = [float(lr_at(step, base)) for step in steps]
    expected = []
    for step in steps:
        values = {roles["step"]: torch.tensor(float(step))}
        values.update({roles[name]: value for name, value in (("base", base), ("total", total)) if name in roles})
        expected.append(float(run_program(program, values)[program["output"]]))
    return compare(f"the learning rate at steps {steps} (base rate {base})", expected, got)


PROBES = {"update_rule": probe_update_rule, "activation": probe_activation, "schedule": probe_schedule}


def main():
    script, program_file, out = sys.argv[1:4]
    program = json.load(open(program_file, encoding="utf-8"))
    spec = importlib.util.spec_from_file_location("experiment", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if program["kind"] not in PROBES or program.get("drawn"):
        result = {"checked": False, "why": "random draws or a kind with no probe: the formulas cannot be rerun alike"}
    else:
        result = probe(module, program)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)


def probe(module, program):
    try:
        return PROBES[program["kind"]](module, program)
    except Exception as exc:  # the formulas or the hook failed on the probe's inputs: no verdict
        return {"checked": False, "why": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    main()
