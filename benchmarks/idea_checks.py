"""Does generated idea code behave as the note says? Runs inside the sandbox (the code is untrusted).

Usage: python idea_checks.py CHECKS experiment.py   (CHECKS: comma-separated names below)
Prints one JSON object: {check name: "ok" or the reason it failed}.
The checks test behaviour, not names, so any faithful implementation passes.
"""

import importlib.util
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

IN, HIDDEN, OUT = 4, 8, 2


def load(path):
    spec = importlib.util.spec_from_file_location("experiment", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the harness runs main() only under __main__
    module.LR = module.base_lr()  # as train() sets it: idea code may read LR (h = LR / 2)
    return module


def need(module, name):
    fn = getattr(module, name, None)
    if fn is None:
        raise AssertionError(f"the idea code defines no {name}()")
    return fn


def weight_copies(model):
    """Parameters shaped like the first layer's weight (HIDDEN, IN)."""
    return [p for p in model.parameters() if tuple(p.shape) == (HIDDEN, IN)]


def check_mirror(module):
    """Inputs at zero still move the first layer's weights; periodic averaging merges the copies."""
    torch.manual_seed(0)
    model = need(module, "build_model")(IN, HIDDEN, OUT)
    model.train()
    model(torch.zeros(32, IN)).pow(2).sum().backward()
    copies = weight_copies(model)
    if not any(p.grad is not None and p.grad.abs().sum() > 0 for p in copies):
        raise AssertionError("with x = 0 the first layer's weights get no gradient (as in a plain Linear)")
    if len(copies) < 2:
        raise AssertionError("no second weight copy (w1, w2) in the first layer")
    with torch.no_grad():
        for i, p in enumerate(copies):
            p.add_(0.01 * (i + 1))
        mean = sum(copies) / len(copies)
    after_step = need(module, "after_step")
    for step in range(1, 201):
        after_step(model, step)
    if not all(torch.allclose(p, mean, atol=1e-5) for p in copies):
        raise AssertionError("after 200 steps the weight copies were not averaged into one w")
    model.eval()
    x = torch.randn(5, IN)
    if not torch.allclose(model(x), model(x)):
        raise AssertionError("evaluation is not deterministic")


def check_gonnor(module):
    """One step moves each parameter by lr * g / ||g||."""
    torch.manual_seed(0)
    p = nn.Parameter(torch.randn(6, 3))
    g = torch.randn(6, 3) * 50
    before = p.detach().clone()
    p.grad = g.clone()
    need(module, "make_optimizer")([p], 0.1).step()
    expected = before - 0.1 * g / g.norm()
    if not torch.allclose(p.detach(), expected, rtol=1e-3, atol=1e-4):
        raise AssertionError("the step is not -lr * g / ||g||")


def check_plain_sgd(module):
    """An idea that does not change the update rule keeps plain SGD: one step is -lr * g."""
    if getattr(module, "make_optimizer", None) is None:
        return
    torch.manual_seed(0)
    p = nn.Parameter(torch.randn(6, 3))
    g = torch.randn(6, 3)
    before = p.detach().clone()
    p.grad = g.clone()
    module.make_optimizer([p], 0.1).step()
    if not torch.allclose(p.detach(), before - 0.1 * g, rtol=1e-3, atol=1e-5):
        raise AssertionError("the idea arm changes the optimizer, which the note does not")


def check_weights_kept(module):
    """An idea whose note does nothing after a step leaves the weights alone in after_step (if any)."""
    after_step = getattr(module, "after_step", None)
    if after_step is None:
        return
    torch.manual_seed(0)
    build = getattr(module, "build_model", None)
    model = build(IN, HIDDEN, OUT) if build else nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))
    before = [p.detach().clone() for p in model.parameters()]
    for step in range(1, 201):
        after_step(model, step)
    if not all(torch.equal(a, p.detach()) for a, p in zip(before, model.parameters())):
        raise AssertionError("after_step changes the weights, which the note does not")


def activation_modules(model):
    return [m for m in model.modules() if not isinstance(m, (nn.Sequential, nn.Linear)) and not list(m.children())]


def outputs_on(module_list, x):
    for m in module_list:
        try:
            with torch.no_grad():
                yield m(x)
        except Exception:  # not an activation that takes (batch, width)
            continue


def check_gates(module):
    """Some unit of the layer computes XOR of two binarized inputs: -sign(a) * sign(b)."""
    torch.manual_seed(0)
    model = need(module, "build_model")(IN, HIDDEN, OUT).eval()
    x = torch.sign(torch.randn(64, HIDDEN)) * 10
    signs = torch.sign(x)
    for out in outputs_on(activation_modules(model), x):
        for col in out.reshape(len(x), -1).t():
            for i in range(HIDDEN):
                for j in range(i + 1, HIDDEN):
                    if (col - (-signs[:, i] * signs[:, j])).abs().max() < 0.2:
                        return
    raise AssertionError("no unit computes XOR (-a*b) of two tanh-binarized inputs")


def check_double_relu(module):
    """The activation outputs relu(x) and relu(-x) side by side (twice the width)."""
    torch.manual_seed(0)
    model = need(module, "build_model")(IN, HIDDEN, OUT).eval()
    x = torch.randn(16, HIDDEN)
    wanted = torch.cat([F.relu(x), F.relu(-x)], dim=-1).t()
    for out in outputs_on(activation_modules(model), x):
        cols = out.reshape(len(x), -1).t()
        if cols.shape[0] == 2 * HIDDEN and all(any(torch.allclose(w, c) for c in cols) for w in wanted):
            return
    raise AssertionError("no activation returns [relu(x), relu(-x)]")


CHECKS = {"mirror": check_mirror, "gonnor": check_gonnor, "gates": check_gates, "double_relu": check_double_relu,
          "plain_sgd": check_plain_sgd, "weights_kept": check_weights_kept}


def main():
    names, path = sys.argv[1].split(","), sys.argv[2]
    results = {}
    try:
        module = load(path)
    except Exception as exc:
        print(json.dumps({name: f"cannot load: {type(exc).__name__}: {exc}" for name in names}))
        return
    for name in names:
        try:
            CHECKS[name](module)
            results[name] = "ok"
        except Exception as exc:
            results[name] = f"{type(exc).__name__}: {exc}"[:300]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
