"""Experiment: an idea arm against a plain baseline arm under one fixed harness.

Run it with `python experiment.py`; it writes metrics.json into the current directory and
prints progress lines like `[idea seed=1] step 200/1000 loss 0.1234 val_mse 0.2345`.

Idea code interface
-------------------
Write only the idea. The harness owns the data, seeds, training loop, number of steps and the
metrics. Define one or more of these top-level functions; anything you leave out stays as in
the baseline (baseline = `mlp(in_dim, hidden, out_dim)` with nn.Linear + nn.ReLU, trained with
`torch.optim.SGD(params, lr)`; both arms get the same data, seeds and number of steps):

    build_model(in_dim, hidden, out_dim) -> nn.Module
        The model of the idea arm. Input: float tensor (batch, in_dim); output: (batch, out_dim).
        Use the helper `mlp(in_dim, hidden, out_dim, linear=nn.Linear, activation=nn.ReLU)`:
          linear      a class called as linear(in_features, out_features), used for every layer;
          activation  a class called with no arguments (or a function of x); it may change the
                      width, e.g. torch.cat([F.relu(x), F.relu(-x)], dim=-1) doubles it.
        Examples: return mlp(in_dim, hidden, out_dim, linear=MirrorLinear)
                  return mlp(in_dim, hidden, out_dim, activation=DoubleReLU)

    make_optimizer(params, lr) -> optimizer
        params is a list of the model's parameters. Return an object with .step(), e.g. a
        subclass of torch.optim.Optimizer. The harness zeroes the gradients and calls
        loss.backward() before every step.

    after_step(model, step) -> None
        Called after every optimizer step of the idea arm, step = 1, 2, ..., STEPS.
        Use it for periodic work, e.g. averaging weights every N steps. It runs under
        torch.no_grad(): change weights in place with .copy_() or .mul_().

Facts you can use:
- Modules are in train mode while training and in eval mode when evaluated: use self.training.
- LR is the learning rate of the current run (a float) and STEPS the number of steps.
- torch, nn (torch.nn), F (torch.nn.functional), math and np (numpy) are already imported.
- Create new tensors with device=x.device, or as nn.Parameter / registered buffers.

Rules: import only torch, math, numpy, typing, dataclasses, functools, itertools, collections,
copy, random. No files, no network, no printing, no training loop and no code outside functions
and classes (constants are fine). Do not define names the harness uses (TASK, SEEDS, STEPS, LR,
HIDDEN, mlp, train, evaluate, main, ...).
"""

# ---- config (edit and re-run) ----
IDEA_NAME = "idea"
TASK = "regression"  # one of TASK_NAMES
SEEDS = [0, 1, 2, 3, 4]
STEPS = 2000
LR = 0.05
BATCH_SIZE = 64
HIDDEN = 64
INPUT_SCALE = 1.0
EVAL_EVERY = 100
PRINT_EVERY = 500
LR_GRID = []  # optional: the same small LR search for both arms on a validation split
DEVICE = "auto"  # "auto": cuda if available, else cpu (small models often train faster on "cpu")
CPU_THREADS = 1
# ---- end config ----

import json as _json
import os as _os
import platform as _platform
import time as _time
import traceback as _traceback

_os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS

import math
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TASK_NAMES = ("regression", "classification", "digits")
HOOKS = ("build_model", "make_optimizer", "after_step")
ARMS = ("baseline", "idea")
TASK_SEED = 1234  # fixes the teacher functions: every seed sees the same problem
TUNE_SEED = 10_000  # learning-rate search runs on its own seed, never one of SEEDS
METRICS_FILE = "metrics.json"


class FunctionLayer(nn.Module):
    """Wraps a plain function of x as a module."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def make_activation(activation):
    """An activation module from a class, a module instance or a function."""
    if isinstance(activation, type):
        return activation()
    if isinstance(activation, nn.Module):
        import copy

        return copy.deepcopy(activation)
    return FunctionLayer(activation)


def mlp(in_dim, hidden, out_dim, linear=nn.Linear, activation=nn.ReLU, depth=2):
    """`depth` hidden layers of `linear` + `activation`, then `linear` to out_dim.

    The activation may change the width (e.g. concatenating two halves); the next layer adapts.
    """
    layers = []
    width = in_dim
    for _ in range(depth):
        act = make_activation(activation)
        layers += [linear(width, hidden), act]
        act.eval()  # probe the output width without training-mode side effects
        with torch.no_grad():
            width = act(torch.zeros(2, hidden)).shape[-1]
        act.train()
    layers.append(linear(width, out_dim))
    return nn.Sequential(*layers)


# ==== IDEA CODE BEGIN ====
# ==== IDEA CODE END ====


def log_line(message):
    print(message, flush=True)


def pick_device():
    if DEVICE != "auto":
        return torch.device(DEVICE)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def environment(device):
    cuda = torch.cuda.is_available()
    return {
        "python": _platform.python_version(),
        "platform": _platform.platform(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "cuda_available": cuda,
        "cuda_version": torch.version.cuda,
        "gpu_name": torch.cuda.get_device_name(0) if cuda else None,
        "device": str(device),
        "cpu_threads": torch.get_num_threads(),
        "seeds": list(SEEDS),
    }


def task_spec(task):
    """(metric name, higher is better, loss kind) of a task."""
    if task == "regression":
        return "test_mse", False, "mse"
    return "test_accuracy", True, "cross_entropy"


def split_parts(x, y, n_val, n_test):
    return {
        "train": (x[n_val + n_test:], y[n_val + n_test:]),
        "val": (x[:n_val], y[:n_val]),
        "test": (x[n_val:n_val + n_test], y[n_val:n_val + n_test]),
    }


def teacher_regression(x):
    rng = np.random.default_rng(TASK_SEED)
    a = rng.normal(0.0, 1.0 / math.sqrt(x.shape[1]), (x.shape[1], 16))
    b = rng.normal(0.0, 1.0, (16, 1))
    c = rng.normal(0.0, 1.0, (x.shape[1], 1))
    return np.sin(2.0 * x @ a) @ b + 0.3 * x @ c


def teacher_classes(x, n_classes):
    rng = np.random.default_rng(TASK_SEED)
    a = rng.normal(0.0, 1.0, (x.shape[1], 32))
    b = rng.normal(0.0, 1.0, (32, n_classes))
    return np.argmax(np.tanh(x @ a) @ b, axis=1)


def load_data(task, seed):
    """Splits for one seed as numpy arrays; inputs scaled by INPUT_SCALE. Same for both arms."""
    rng = np.random.default_rng([seed, 0])
    if task == "regression":
        x = rng.normal(0.0, 1.0, (3072, 8))
        y = teacher_regression(x) + rng.normal(0.0, 0.05, (len(x), 1))
        parts = split_parts(x, y, 512, 1024)
        mean, std = parts["train"][1].mean(), parts["train"][1].std()
        parts = {k: (px, (py - mean) / std) for k, (px, py) in parts.items()}
        out_dim = 1
    elif task == "classification":
        x = rng.normal(0.0, 1.0, (3584, 10))
        y = teacher_classes(x, 4)
        parts = split_parts(x, y, 512, 1024)
        out_dim = 4
    elif task == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        order = rng.permutation(len(digits.target))
        parts = split_parts(digits.data[order] / 16.0, digits.target[order], 180, 360)
        out_dim = 10
    else:
        raise ValueError(f"unknown TASK {task!r}; use one of {TASK_NAMES}")
    in_dim = parts["train"][0].shape[1]
    return {k: (px * INPUT_SCALE, py) for k, (px, py) in parts.items()}, in_dim, out_dim


def trivial_metric(parts, loss_kind):
    """Test score of the best constant prediction fit on the training split: what learning must beat."""
    y_train, y_test = parts["train"][1], parts["test"][1]
    if loss_kind == "mse":
        return float(((y_test - y_train.mean()) ** 2).mean())
    return float((y_test == np.bincount(y_train).argmax()).mean())


def to_tensors(parts, device, loss_kind):
    y_type = torch.float32 if loss_kind == "mse" else torch.long
    return {
        k: (torch.as_tensor(px, dtype=torch.float32, device=device), torch.as_tensor(py, dtype=y_type, device=device))
        for k, (px, py) in parts.items()
    }


def loss_fn(out, y, loss_kind):
    if loss_kind == "mse":
        return F.mse_loss(out, y)
    return F.cross_entropy(out, y)


def evaluate(model, x, y, loss_kind):
    """The task metric on one split, in eval mode: MSE or accuracy."""
    model.eval()
    with torch.no_grad():
        out = model(x)
        if loss_kind == "mse":
            value = ((out - y) ** 2).mean().item()
        else:
            value = (out.argmax(dim=1) == y).float().mean().item()
    model.train()
    return value


def idea_hook(arm, name):
    """The idea's hook for the idea arm, None for the baseline or an undefined hook."""
    if arm != "idea":
        return None
    fn = globals().get(name)
    return fn if callable(fn) else None


def build_arm(arm, in_dim, out_dim, device):
    builder = idea_hook(arm, "build_model")
    model = builder(in_dim, HIDDEN, out_dim) if builder else mlp(in_dim, HIDDEN, out_dim)
    if not isinstance(model, nn.Module):
        raise TypeError(f"build_model must return an nn.Module, got {type(model).__name__}")
    model = model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters: register weights as nn.Parameter")
    make_opt = idea_hook(arm, "make_optimizer")
    optimizer = make_opt(params, LR) if make_opt else torch.optim.SGD(params, lr=LR)
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"make_optimizer must return an optimizer with .step(), got {type(optimizer).__name__}")
    return model, optimizer


def check_output(out, y, out_dim):
    expected = (y.shape[0], out_dim)
    if tuple(out.shape) != expected:
        raise ValueError(
            f"the model returned shape {tuple(out.shape)} but the task needs {expected}: "
            "the last layer must output out_dim features"
        )


def train(arm, tag, seed, data, in_dim, out_dim, device):
    """One training run; returns its record (curves, final test metric, wall time).

    The loss is read back only at evaluation points (no GPU sync per step); a non-finite
    window mean marks the run as diverged and stops it.
    """
    metric, _, loss_kind = task_spec(TASK)
    set_seed(seed)
    tensors = to_tensors(data, device, loss_kind)
    x_train, y_train = tensors["train"]
    model, optimizer = build_arm(arm, in_dim, out_dim, device)
    after = idea_hook(arm, "after_step")
    order = np.random.default_rng([seed, 1]).integers(0, len(x_train), (STEPS, BATCH_SIZE))
    order = torch.as_tensor(order, device=device)
    steps, train_curve, val_curve = [], [], []
    window_sum, window_n = torch.zeros((), device=device), 0
    diverged = False
    start = _time.perf_counter()
    model.train()
    for step in range(1, STEPS + 1):
        idx = order[step - 1]
        xb, yb = x_train[idx], y_train[idx]
        out = model(xb)
        if step == 1:
            check_output(out, yb, out_dim)
        loss = loss_fn(out, yb, loss_kind)
        model.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if after:
            with torch.no_grad():  # periodic weight surgery, never part of the graph
                after(model, step)
        window_sum += loss.detach()
        window_n += 1
        if step % EVAL_EVERY == 0 or step == STEPS:
            mean_loss = (window_sum / window_n).item()
            window_sum, window_n = torch.zeros((), device=device), 0
            if not math.isfinite(mean_loss):
                diverged = True
                log_line(f"[{arm} {tag}] step {step}/{STEPS} loss {mean_loss} diverged: stopping this run")
                break
            val = evaluate(model, *tensors["val"], loss_kind)
            steps.append(step)
            train_curve.append(mean_loss)
            val_curve.append(val)
            if step % PRINT_EVERY == 0 or step == STEPS:
                log_line(f"[{arm} {tag}] step {step}/{STEPS} loss {mean_loss:.4g} val_{metric[5:]} {val:.4g}")
    final = None if diverged else evaluate(model, *tensors["test"], loss_kind)
    if final is not None and not math.isfinite(final):
        final, diverged = None, True
    final_val = None if diverged else evaluate(model, *tensors["val"], loss_kind)
    return {
        "seed": seed,
        "lr": LR,
        "final_metric": final,
        "final_val_metric": final_val,
        "diverged": diverged,
        "steps": steps,
        "train_loss": train_curve,
        "val_metric": [v if math.isfinite(v) else None for v in val_curve],
        "n_params": sum(p.numel() for p in model.parameters()),
        "wall_s": round(_time.perf_counter() - start, 4),
    }


def tune_lr(arm, device):
    """Same budget for both arms: one run per LR_GRID value on TUNE_SEED, best validation metric wins."""
    global LR
    metric, higher, _ = task_spec(TASK)
    data, in_dim, out_dim = load_data(TASK, TUNE_SEED)
    scores = {}
    for lr in LR_GRID:
        LR = float(lr)
        record = train(arm, f"lr={LR:g}", TUNE_SEED, data, in_dim, out_dim, device)
        scores[str(LR)] = record["final_val_metric"]
    finite = {k: v for k, v in scores.items() if v is not None}
    if not finite:
        raise RuntimeError(f"every learning rate in LR_GRID diverged for the {arm} arm")
    best = (max if higher else min)(finite, key=finite.get)
    return float(best), scores


def write_metrics(metrics):
    tmp = METRICS_FILE + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        _json.dump(metrics, fh, indent=1)
    _os.replace(tmp, METRICS_FILE)


def main():
    global LR
    if TASK not in TASK_NAMES:
        raise ValueError(f"unknown TASK {TASK!r}; use one of {TASK_NAMES}")
    device = pick_device()
    if device.type == "cpu":
        torch.set_num_threads(CPU_THREADS)
    else:
        torch.set_default_device(device)  # tensors the idea creates land on the GPU too
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)
    metric, higher, loss_kind = task_spec(TASK)
    base_lr = LR
    metrics = {
        "schema": 1,
        "status": "running",
        "idea_name": IDEA_NAME,
        "task": TASK,
        "metric": metric,
        "higher_is_better": higher,
        "config": {
            "seeds": list(SEEDS), "steps": STEPS, "lr": LR, "batch_size": BATCH_SIZE, "hidden": HIDDEN,
            "input_scale": INPUT_SCALE, "eval_every": EVAL_EVERY, "lr_grid": list(LR_GRID),
        },
        "hooks": [name for name in HOOKS if idea_hook("idea", name)],
        "environment": environment(device),
        "arms": {arm: {"lr": LR, "runs": []} for arm in ARMS},
        "lr_tuning": None,
        "trivial_metric": {},
        "error": None,
    }
    log_line(f"[harness] task={TASK} arms={','.join(ARMS)} seeds={','.join(map(str, SEEDS))} steps={STEPS} "
        f"device={device} hooks={','.join(metrics['hooks']) or 'none'}")
    current = "setup"
    try:
        if LR_GRID:
            metrics["lr_tuning"] = {}
            for arm in ARMS:
                current = f"{arm} lr search"
                best, scores = tune_lr(arm, device)
                metrics["lr_tuning"][arm] = {"chosen": best, "val_metric": scores}
                metrics["arms"][arm]["lr"] = best
        for seed in SEEDS:
            data, in_dim, out_dim = load_data(TASK, seed)
            metrics["trivial_metric"][str(seed)] = trivial_metric(data, loss_kind)
            for arm in ARMS:
                current = f"{arm} seed={seed}"
                LR = metrics["arms"][arm]["lr"]
                record = train(arm, f"seed={seed}", seed, data, in_dim, out_dim, device)
                metrics["arms"][arm]["runs"].append(record)
                shown = "diverged" if record["diverged"] else f"{record['final_metric']:.4g}"
                log_line(f"[{arm} seed={seed}] done {metric} {shown} ({record['wall_s']:.1f}s)")
                write_metrics(metrics)
            LR = base_lr
    except Exception as exc:
        metrics["status"] = "error"
        metrics["error"] = {"during": current, "type": type(exc).__name__, "message": str(exc),
                            "traceback": _traceback.format_exc()}
        write_metrics(metrics)
        raise
    metrics["status"] = "ok"
    write_metrics(metrics)
    log_line(f"[harness] wrote {METRICS_FILE}")


if __name__ == "__main__":
    main()
