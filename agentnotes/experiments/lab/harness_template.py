"""Experiment: an idea arm against a plain baseline arm under one fixed harness.

Run it with `python experiment.py`; it writes metrics.json into the current directory and
prints progress lines like `[idea seed=1] step 200/1000 loss 0.1234 val_mse 0.2345`.
`python experiment.py --describe` builds both arms without training and writes arms.json.

Idea code interface
-------------------
Write only the idea. The harness owns the data, seeds, training loop, number of steps, the
learning-rate search and the metrics. Define one or more of these top-level functions; anything
you leave out stays as in the baseline (`baseline_model(in_dim, hidden, out_dim)` trained with
`baseline_optimizer(params, lr)` on the task's loss). Both arms get the same data, seeds, steps
and learning-rate search. Hooks marked (by name) receive only the arguments they name.

    build_model(in_dim, hidden, out_dim) -> nn.Module
        The model of the idea arm. in_dim is an int for flat tasks, (1, 8, 8) for "digits_image"
        and (T, V) for "sequence" (one-hot tokens); the output is (batch, out_dim). Helpers:
        mlp(in_dim, hidden, out_dim, linear=nn.Linear, activation="baseline") (also depth=2, norm,
        head=the output layer's class), convnet(in_dim, hidden, out_dim, conv=nn.Conv2d,
        activation="baseline"), seqnet(in_dim, hidden, out_dim, cell=nn.GRU), and
        baseline_model(in_dim, hidden, out_dim, **parts), the baseline itself (build it, then
        re-initialise it for an initialisation idea; parts such as activation= replace its pieces).
        An initialisation from the data may also name x (all training inputs) and y (their targets).
          linear      a class called as linear(in_features, out_features) for every layer;
          activation  a class called with no arguments or width= (or a function of x); it may change
                      the width, e.g. torch.cat([F.relu(x), F.relu(-x)], dim=-1) doubles it.
          block       a class called as block(width), output of the same width (a residual
                      block x + a*f(x)); it replaces each hidden-to-hidden layer.
        Examples: return mlp(in_dim, hidden, out_dim, linear=MyLinear)  (or activation=, block=)

    make_optimizer(params, lr) -> optimizer
        params is a list of the model's parameters. Return an object with .step(), e.g. a
        subclass of torch.optim.Optimizer. The harness zeroes the gradients and calls
        loss.backward() before every step. If step needs to re-evaluate the loss, declare it
        `def step(self, closure)` (no default): the closure recomputes the loss on the same
        batch, calls backward and returns the loss. baseline_optimizer(params, lr) is the
        baseline's optimizer, e.g. to wrap it.

    after_step(model, step) -> None
        Called after every optimizer step of the idea arm, step = 1, 2, ..., STEPS, under
        torch.no_grad(): change weights in place with .copy_() or .mul_(). Use `step` for
        periodic work, e.g. `if step % 10 == 0:`.

    compute_loss(out, y, model, step) -> scalar tensor   (by name; x too)
        The idea arm's training loss; evaluation still uses the task metric. task_loss(out, y)
        is the task's own loss (MSE for regression, cross-entropy otherwise): return it plus
        your terms, or your own loss of out and y.

    transform_batch(x, y, step) -> (x, y)   (by name)
        The idea arm's training batch (augmentation, noise, mixup, curriculum); evaluation
        data is untouched. y holds class indices (regression: floats of shape (batch, 1)).

    lr_at(step, lr) -> float   (by name; loss too)
        The learning rate of step `step` (a schedule), a float >= 0; lr is the arm's tuned
        base rate, so write the schedule as lr times a function of step / STEPS; loss: this
        step's training loss.

    batch_size_at(step) -> int   (by name)
        How many examples the batch of step `step` holds; the baseline's: BATCH_SIZE at every step.

    choose_batch(idx, x, y, model, step) -> 1-D tensor of indices   (by name)
        Which training examples make up the batch of step `step`: indices into the whole training
        set x, y; idx holds the ones the baseline draws. model is called without gradients.

Facts you can use:
- Modules are in train mode while training and in eval mode when evaluated: use self.training.
- LR is the arm's base learning rate (a float) and STEPS the number of steps.
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
BASELINE_OPTIMIZER = "sgd"  # one of OPTIMIZERS; both arms use it unless the idea defines make_optimizer
BASELINE_NORM = None  # None, "layernorm" or "batchnorm": the normalisation of the baseline builders
BASELINE_MOMENTUM = 0.9  # the momentum coefficient of the "momentum" optimizer
BASELINE_ACTIVATION = "relu"  # one of ACTIVATIONS: the activation of the baseline builders
BASELINE_SCHEDULE = None  # None (a constant rate) or one of SCHEDULES; both arms follow it unless the idea defines lr_at
MATCH_PARAMS = False  # True: the baseline's hidden width is the one whose parameter count is closest to the idea model's
LR = "auto"  # base learning rate; "auto": BASE_LR of BASELINE_OPTIMIZER
LR_GRID = "auto"  # rates both arms try on TUNE_SEED; "auto": LR / 3, LR, LR * 3; []: no search, both use LR
ARM_LRS = {}  # arm -> its rate, no search: seeds added to an earlier run train at the rates its search chose
BATCH_SIZE = 64
HIDDEN = 64
INPUT_SCALE = 1.0
LABEL_NOISE = 0.0  # the share of training labels replaced by another class (classifying tasks); val and test stay clean
TRAIN_SIZE = 0  # the training examples kept (0: all of them), as many of each class as can be; val and test stay whole
CLASS_IMBALANCE = 0.0  # the training set made long-tailed, its first class this many times its last (0: as it is)
EVAL_EVERY = 100
PRINT_EVERY = 500
DEVICE = "auto"  # "auto": cuda if available, else cpu (small models often train faster on "cpu")
CPU_THREADS = 1
# ---- end config ----

import contextlib as _contextlib
import functools as _functools
import hashlib as _hashlib
import inspect as _inspect
import json as _json
import multiprocessing as _multiprocessing
import os as _os
import platform as _platform
import sys as _sys
import time as _time
import traceback as _traceback

_os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS

import math
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TASK_NAMES = ("regression", "classification", "digits", "digits_image", "sequence")
HOOKS = ("build_model", "make_optimizer", "after_step", "compute_loss", "transform_batch", "lr_at", "batch_size_at",
         "choose_batch")
# Arguments the harness offers to the hooks it calls by parameter name.
HOOK_ARGUMENTS = {"compute_loss": ("out", "y", "model", "step", "x"), "transform_batch": ("x", "y", "step"),
                  "lr_at": ("step", "lr", "loss"), "batch_size_at": ("step",),
                  "choose_batch": ("idx", "x", "y", "model", "step")}
# The training data build_model may name after its three positional arguments (a data-dependent initialisation).
BUILD_DATA = ("x", "y")
ARMS = ("baseline", "idea")
# The usual learning rate of each baseline optimizer: the centre of the default LR_GRID.
BASE_LR = {"sgd": 0.05, "momentum": 0.01, "adam": 0.003, "adamw": 0.003, "rmsprop": 0.001}
OPTIMIZERS = {"sgd": ("SGD", {}), "momentum": ("SGD", {"momentum": 0.9}), "adam": ("Adam", {}),
              "adamw": ("AdamW", {}), "rmsprop": ("RMSprop", {})}
NORMS = (None, "layernorm", "batchnorm")
SCHEDULES = (None, "cosine", "linear", "step")
ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU", "elu": "ELU", "silu": "SiLU",
               "leaky_relu": "LeakyReLU", "softplus": "Softplus"}  # name -> the torch.nn class
CPU_WORKERS = "auto"  # training runs trained side by side on the CPU: "auto" = one per CPU this process may use
LR_FACTOR = 3.0  # spacing of the default grid and of each widening step
MAX_LR_WIDENINGS = 2  # extra rates tried beyond an edge of LR_GRID while an arm's best rate sits there
TASK_SEED = 1234  # fixes the teacher functions: every seed sees the same problem
TUNE_SEED = 10_000  # learning-rate search runs on its own seed, never one of SEEDS
SEQ_LEN, SEQ_VOCAB, SEQ_CLASSES = 12, 8, 4  # the "sequence" task: the last class token before distractors
METRICS_FILE = "metrics.json"
ARMS_FILE = "arms.json"
DESCRIBE_FLAG = "--describe"
FAILURE_VALUES = "[harness] values at the failing line"  # followed by "LINE in FUNCTION:" and one "  name = value" per line
PROBE_STEPS = 100  # --describe: after_step is probed over this many steps
CLASS_COUNTS = None  # set by train(): each class's training examples, as a float tensor on the run's device


class FunctionLayer(nn.Module):
    """Wraps a plain function of x as a module."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def make_activation(activation, width=None):
    """An activation module from a class (given the `width` of its input when its constructor takes one), a module
    instance or a function; "baseline" means BASELINE_ACTIVATION."""
    if activation == "baseline":
        activation = getattr(nn, ACTIVATIONS[BASELINE_ACTIVATION])
    if isinstance(activation, type):
        takes_width = width is not None and "width" in _inspect.signature(activation).parameters
        return activation(width=width) if takes_width else activation()
    if isinstance(activation, nn.Module):
        import copy

        return copy.deepcopy(activation)
    return FunctionLayer(activation)


def per_unit(values, x):
    """A (width,) vector of one value per unit, shaped to meet x (batch, width, ...) unit by unit."""
    return values.view(1, -1, *([1] * (x.dim() - 2))) if x.dim() >= 2 else values


def probe_width(module, shape):
    """Feature count (dim 1) of `module`'s output for a zero input of `shape`, in eval mode; what it draws (a noisy
    activation's noise) leaves the generators as they were, so the layers built after it start as the baseline's."""
    module.eval()
    with torch.no_grad(), random_state_kept():
        out = module(torch.zeros(shape))
    module.train()
    if out.dim() != len(shape) or out.shape[0] != shape[0]:
        raise ValueError(f"{type(module).__name__} returned shape {tuple(out.shape)} for an input of shape {shape}: "
                         f"it must keep every dimension (batch first) and may change only the width of dim 1")
    return out.shape[1]


def norm_layers(norm, width, image=False):
    """[the normalisation module for `width` features] or []; "baseline" means BASELINE_NORM.

    norm: None, "layernorm", "batchnorm" or a class called with the width.
    """
    if norm == "baseline":
        norm = BASELINE_NORM
    if norm is None:
        return []
    if norm == "layernorm":
        return [nn.GroupNorm(1, width) if image else nn.LayerNorm(width)]
    if norm == "batchnorm":
        return [nn.BatchNorm2d(width) if image else nn.BatchNorm1d(width)]
    if isinstance(norm, str):
        raise ValueError(f"unknown norm {norm!r}; use one of {NORMS} or a class")
    return [norm(width)]


def mlp(in_dim, hidden, out_dim, linear=nn.Linear, activation="baseline", depth=2, norm="baseline", block=None,
        head=None):
    """`depth` hidden layers of `linear` (+ norm) + `activation`, then `head` (default: `linear`) to out_dim.

    A tuple in_dim is flattened first. The activation may change the width (e.g. concatenating
    two halves); the next layer adapts; activation=None leaves it out (a layer with its own
    nonlinearity). `block`, a class called as block(width) whose output keeps its input's width
    (a residual or gated block), replaces each hidden-to-hidden layer with its activation: the
    same number of weight layers as the baseline.
    """
    layers = []
    width = in_dim
    if isinstance(in_dim, (tuple, list)):
        layers.append(nn.Flatten())
        width = math.prod(in_dim)
    for index in range(depth):
        if block is not None and index > 0:
            layers.append(block(width))
            continue
        layers += [linear(width, hidden), *norm_layers(norm, hidden)]
        width = hidden
        if activation is not None:
            layers.append(make_activation(activation, hidden))
            width = probe_width(layers[-1], (2, hidden))
    layers.append((head or linear)(width, out_dim))
    return nn.Sequential(*layers)


def convnet(in_dim, hidden, out_dim, conv=nn.Conv2d, activation="baseline", norm="baseline"):
    """Two blocks of 3x3 `conv` (+ norm) + `activation` + 2x2 max-pool with hidden // 2 channels, then a linear head.

    in_dim is (channels, height, width); conv is called as conv(in_channels, out_channels, 3, padding=1).
    """
    channels, height, width = in_dim
    filters = max(4, hidden // 2)
    layers = []
    for _ in range(2):
        act = make_activation(activation, filters)
        layers += [conv(channels, filters, 3, padding=1), *norm_layers(norm, filters, image=True), act, nn.MaxPool2d(2)]
        channels = probe_width(act, (2, filters, height, width))
        height, width = height // 2, width // 2
    layers += [nn.Flatten(), nn.Linear(channels * height * width, out_dim)]
    return nn.Sequential(*layers)


class SeqNet(nn.Module):
    """A recurrent encoder over (batch, T, V) inputs; its last state (+ norm) feeds a linear head. An
    encoder that pools over time itself returns (batch, hidden), which feeds the head as it is."""

    def __init__(self, in_dim, hidden, out_dim, cell=nn.GRU, norm="baseline"):
        super().__init__()
        self.rnn = cell(in_dim[-1], hidden, batch_first=True)
        self.norm = nn.Sequential(*norm_layers(norm, hidden))
        self.head = nn.Linear(hidden, out_dim)

    def forward(self, x):
        out = self.rnn(x)
        out = out[0] if isinstance(out, tuple) else out
        return self.head(self.norm(out[:, -1] if out.dim() == 3 else out))


def seqnet(in_dim, hidden, out_dim, cell=nn.GRU, norm="baseline"):
    """SeqNet: `cell` is called as cell(V, hidden, batch_first=True) and returns (outputs, state) or outputs."""
    return SeqNet(in_dim, hidden, out_dim, cell=cell, norm=norm)


def baseline_model(in_dim, hidden, out_dim, **parts):
    """The baseline arm's model: convnet for "digits_image", seqnet for "sequence", mlp otherwise.

    parts replace pieces of it by name, as the builder takes them (activation=, linear=, conv=, cell=).
    """
    if TASK == "digits_image":
        return convnet(in_dim, hidden, out_dim, **parts)
    if TASK == "sequence":
        return seqnet(in_dim, hidden, out_dim, **parts)
    return mlp(in_dim, hidden, out_dim, **parts)


def baseline_optimizer(params, lr):
    """The baseline arm's optimizer (BASELINE_OPTIMIZER) at learning rate lr, a momentum at BASELINE_MOMENTUM."""
    name, options = OPTIMIZERS[BASELINE_OPTIMIZER]
    options = {**options, "momentum": BASELINE_MOMENTUM} if "momentum" in options else options
    return getattr(torch.optim, name)(params, lr=lr, **options)


def task_loss(out, y, per_sample=False):
    """The task's training loss: MSE for regression, cross-entropy otherwise; with per_sample, each sample's, as a
    column (batch, 1)."""
    if TASK == "regression":
        return F.mse_loss(out, y, reduction="none").flatten(1).mean(1, keepdim=True) if per_sample else F.mse_loss(out, y)
    return F.cross_entropy(out, y, reduction="none")[:, None] if per_sample else F.cross_entropy(out, y)


# ==== IDEA CODE BEGIN ====
# ==== IDEA CODE END ====


def log_line(message):
    """One line on stdout in one write: runs side by side share the pipe, unbuffered (print would write the newline
    apart, and another run's line could land between the two)."""
    _sys.stdout.write(message + "\n")
    _sys.stdout.flush()


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


def sequence_data(rng, n):
    """One-hot (n, SEQ_LEN, SEQ_VOCAB) sequences; the label is the last class token (0..SEQ_CLASSES-1) in it.

    It sits in the second half; distractor tokens (SEQ_CLASSES and up) follow it and any token
    precedes it, so the order matters and every class is equally likely.
    """
    tokens = rng.integers(0, SEQ_VOCAB, (n, SEQ_LEN))
    labels = rng.integers(0, SEQ_CLASSES, n)
    last = rng.integers(SEQ_LEN // 2, SEQ_LEN, n)
    after = np.arange(SEQ_LEN)[None, :] > last[:, None]
    distractors = rng.integers(SEQ_CLASSES, SEQ_VOCAB, (n, SEQ_LEN))
    tokens = np.where(after, distractors, tokens)
    tokens[np.arange(n), last] = labels
    return np.eye(SEQ_VOCAB)[tokens], labels


def load_data(task, seed):
    """Splits for one seed as numpy arrays, inputs scaled by INPUT_SCALE, with in_dim and out_dim. Same for both arms."""
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
    elif task in ("digits", "digits_image"):
        from sklearn.datasets import load_digits

        digits = load_digits()
        order = rng.permutation(len(digits.target))
        x = digits.data[order] / 16.0
        if task == "digits_image":
            x = x.reshape(-1, 1, 8, 8)
        parts = split_parts(x, digits.target[order], 180, 360)
        out_dim = 10
    elif task == "sequence":
        parts = split_parts(*sequence_data(rng, 3584), 512, 1024)
        out_dim = SEQ_CLASSES
    else:
        raise ValueError(f"unknown TASK {task!r}; use one of {TASK_NAMES}")
    if TRAIN_SIZE:
        kept = kept_examples(parts["train"][1], TRAIN_SIZE, task != "regression")
        parts["train"] = tuple(part[kept] for part in parts["train"])
    if CLASS_IMBALANCE:
        kept = long_tailed(parts["train"][1], CLASS_IMBALANCE)
        parts["train"] = tuple(part[kept] for part in parts["train"])
    if LABEL_NOISE:
        parts["train"] = (parts["train"][0], noisy_labels(parts["train"][1], out_dim, LABEL_NOISE, seed))
    shape = parts["train"][0].shape[1:]
    in_dim = shape[0] if len(shape) == 1 else tuple(shape)
    return {k: (px * INPUT_SCALE, py) for k, (px, py) in parts.items()}, in_dim, out_dim


def kept_examples(targets, size, by_class):
    """The indices of the first `size` training examples (they come shuffled per seed); `by_class`: taken from each
    class in turn (the first of every class, then the second...), so a small set keeps every class."""
    if not by_class:
        return np.arange(min(size, len(targets)))
    rank = np.zeros(len(targets), dtype=int)
    for label in np.unique(targets):
        rank[targets == label] = np.arange((targets == label).sum())
    return np.sort(np.argsort(rank, kind="stable")[:size])


def long_tailed(targets, ratio):
    """The indices of a long-tailed training set: class c of C (in label order) keeps its first
    n_c = n · ratio^(−c/(C−1)) examples (at least one), n the examples of the class that has fewest; val and test
    stay as they are."""
    classes = np.unique(targets)
    fewest = min((targets == label).sum() for label in classes)
    kept = [np.flatnonzero(targets == label)[:max(1, int(round(fewest * ratio ** (-c / max(1, len(classes) - 1)))))]
            for c, label in enumerate(classes)]
    return np.sort(np.concatenate(kept))


def noisy_labels(labels, classes, share, seed):
    """`labels` with round(share · n) of them, drawn for this seed, each replaced by one of the other classes
    (symmetric label noise): the same wrong labels for both arms."""
    rng = np.random.default_rng([seed, 1])
    labels = labels.copy()
    wrong = rng.choice(len(labels), size=int(round(share * len(labels))), replace=False)
    labels[wrong] = (labels[wrong] + rng.integers(1, classes, len(wrong))) % classes
    return labels


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


def by_name(name, fn):
    """fn as a function of keyword arguments: it gets those of HOOK_ARGUMENTS[name] that its parameters name."""
    offered = HOOK_ARGUMENTS[name]
    params = _inspect.signature(fn).parameters.values()
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return fn
    wanted = []
    for p in params:
        if p.name in offered and p.kind != p.POSITIONAL_ONLY:
            wanted.append(p.name)
        elif p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"{name} asks for an argument {p.name!r}; the harness passes only {', '.join(offered)} (by name)")
    return lambda **available: fn(**{key: available[key] for key in wanted})


def arm_hooks(arm):
    """The idea arm's training hooks (None where undefined; lr_at: the baseline's schedule when there is one); the
    by-name ones wrapped by by_name."""
    hooks = {name: idea_hook(arm, name) for name in HOOKS}
    hooks["lr_at"] = hooks["lr_at"] or (baseline_lr_at if BASELINE_SCHEDULE else None)
    for name in HOOK_ARGUMENTS:
        if hooks[name]:
            hooks[name] = by_name(name, hooks[name])
    return hooks


def build_arm(arm, in_dim, out_dim, device, lr, train_xy):
    """The arm's model and optimizer; train_xy, the training split's tensors, goes to a build_model naming x or y."""
    builder = idea_hook(arm, "build_model")
    if builder:
        idea_draws_aside()
    model = builder(in_dim, HIDDEN, out_dim, **data_arguments(builder, train_xy)) if builder else (
        baseline_model(in_dim, baseline_hidden(in_dim, out_dim, train_xy), out_dim))
    if not isinstance(model, nn.Module):
        raise TypeError(f"build_model must return an nn.Module, got {type(model).__name__}")
    model = model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters: register weights as nn.Parameter")
    make_opt = idea_hook(arm, "make_optimizer")
    optimizer = make_opt(params, lr) if make_opt else baseline_optimizer(params, lr)
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"make_optimizer must return an optimizer with .step(), got {type(optimizer).__name__}")
    return model, optimizer


_matched_widths = {}


def baseline_hidden(in_dim, out_dim, train_xy):
    """HIDDEN; with MATCH_PARAMS, the width up to 16 * HIDDEN whose baseline model's parameter count is closest to the
    idea model's. The models it counts are built aside: the random state the arms are built from is untouched."""
    key = (str(in_dim), out_dim)
    if not MATCH_PARAMS or not (builder := idea_hook("idea", "build_model")):
        return HIDDEN
    if key not in _matched_widths:
        with random_state_kept():
            wanted = parameter_count(builder(in_dim, HIDDEN, out_dim, **data_arguments(builder, train_xy)))
            count = lambda width: parameter_count(baseline_model(in_dim, width, out_dim))  # noqa: E731
            low, high = 1, 16 * HIDDEN  # the first width whose count reaches the idea's, by bisection
            while low < high:
                middle = (low + high) // 2
                low, high = (middle + 1, high) if count(middle) < wanted else (low, middle)
            _matched_widths[key] = min((max(low - 1, 1), low), key=lambda width: abs(count(width) - wanted))
    return _matched_widths[key]


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def idea_draws_aside():
    """Make every idea class's extra_parameters draw from a random stream of its own (seeded from the arm's), so the
    idea's own draws (a fixed permutation, a random projection) leave the weights built after them as the baseline's."""
    for value in list(globals().values()):
        extra = vars(value).get("extra_parameters") if isinstance(value, type) and issubclass(value, nn.Module) else None
        if callable(extra) and not getattr(extra, "drawn_aside", False):
            value.extra_parameters = _drawn_aside(extra)


def _drawn_aside(extra_parameters):
    @_functools.wraps(extra_parameters)
    def aside(self):
        with random_state_kept():
            seed = int(torch.randint(2**62, (1,)))  # from the arm's stream, which is then left as it was
            torch.manual_seed(seed)
            random.seed(seed)
            np.random.seed(seed % 2**32)
            return extra_parameters(self)
    aside.drawn_aside = True
    return aside


@_contextlib.contextmanager
def random_state_kept():
    """A block whose draws from random, numpy and torch (CPU and CUDA) leave their generators as they were."""
    kept = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng():
            yield
    finally:
        random.setstate(kept[0])
        np.random.set_state(kept[1])


def data_arguments(builder, train_xy):
    """{"x": inputs, "y": targets}, the training split, for those of BUILD_DATA that builder's parameters name."""
    named = _inspect.signature(builder).parameters
    return {name: value for name, value in zip(BUILD_DATA, train_xy) if name in named}


def batch_size(hook, step, n_train):
    """batch_size_at(step) checked to be a whole number of examples from 1 to n_train."""
    value = hook(step=step)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= n_train:
        raise ValueError(f"batch_size_at(step={step}) must return a whole number from 1 to {n_train} "
                         f"(the training set's size), got {value!r}")
    return value


def needs_closure(optimizer):
    """Whether optimizer.step requires a `closure` argument (declared without a default)."""
    try:
        param = _inspect.signature(optimizer.step).parameters.get("closure")
    except (TypeError, ValueError):
        return False
    return param is not None and param.default is param.empty


def check_output(out, y, out_dim):
    expected = (y.shape[0], out_dim)
    if tuple(out.shape) != expected:
        raise ValueError(
            f"the model returned shape {tuple(out.shape)} but the task needs {expected}: "
            "the last layer must output out_dim features"
        )


def check_loss(loss):
    """`loss` when it is one number that depends on the model's output; else a TypeError that says what it is."""
    if not (torch.is_tensor(loss) and loss.numel() == 1 and loss.requires_grad):
        raise TypeError("compute_loss must return a one-element tensor that depends on the model's output, "
                        f"got {type(loss).__name__} {tuple(getattr(loss, 'shape', ()))}"
                        + (": a value per unit or per example, not yet summed or averaged as the formula says"
                           if torch.is_tensor(loss) and loss.numel() > 1 else ""))
    return loss


def chosen_batch(hook, idx, x, y, model, step):
    """The indices choose_batch gives for this step's batch (checked: a non-empty 1-D integer tensor of training
    examples), from the drawn ones idx; the model is called without gradients and left in training mode."""
    with torch.no_grad():
        chosen = hook(idx=idx, x=x, y=y, model=model, step=step)
    model.train()
    if not torch.is_tensor(chosen) or chosen.dim() != 1 or chosen.numel() == 0 \
            or chosen.dtype.is_floating_point or chosen.dtype == torch.bool:
        raise TypeError("choose_batch must return a non-empty 1-D tensor of integer indices into the training set, got "
                        f"{type(chosen).__name__} {tuple(chosen.shape) if torch.is_tensor(chosen) else ''}")
    if int(chosen.min()) < 0 or int(chosen.max()) >= len(x):
        raise ValueError(f"choose_batch returned an index outside the training set (0 to {len(x) - 1})")
    return chosen.to(device=idx.device, dtype=torch.long)


def probe_chosen(hook, model, train_xy):
    """Whether choose_batch picks other examples than the drawn ones at any probe step."""
    if not hook:
        return {"changes": False}
    x, y = train_xy
    drawn = torch.as_tensor(np.random.default_rng(0).integers(0, len(x), BATCH_SIZE))
    return {"changes": any(not torch.equal(chosen_batch(hook, drawn, x, y, model, s), drawn) for s in probe_steps())}


def transformed(hook, x, y, step):
    """The batch after transform_batch (checked), or the batch itself without the hook."""
    if not hook:
        return x, y
    result = hook(x=x, y=y, step=step)
    if not (isinstance(result, (tuple, list)) and len(result) == 2 and all(torch.is_tensor(t) for t in result)):
        raise TypeError(f"transform_batch must return a pair of tensors (x, y), got {type(result).__name__}")
    if result[0].shape[0] != result[1].shape[0]:
        raise ValueError(f"transform_batch returned {result[0].shape[0]} inputs but {result[1].shape[0]} targets")
    return result


def scheduled_lr(hook, step, lr, loss=None):
    """lr_at(step, lr, loss) checked to be a finite non-negative number; lr without the hook."""
    if not hook:
        return lr
    value = hook(step=step, lr=lr, loss=loss)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"lr_at must return a number, got {type(value).__name__} at step {step}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"lr_at returned {value} at step {step}; it must be a finite rate >= 0")
    return value


def baseline_lr_at(step, lr):
    """The rate of step `step` under BASELINE_SCHEDULE: lr decayed to 0 over STEPS along a half cosine ("cosine") or
    a line ("linear"), or lr cut tenfold after half the run and again after three quarters ("step")."""
    done = (step - 1) / STEPS
    if BASELINE_SCHEDULE == "cosine":
        return lr * 0.5 * (1 + math.cos(math.pi * done))
    if BASELINE_SCHEDULE == "linear":
        return lr * (1 - done)
    return lr * 0.1 ** ((done >= 0.5) + (done >= 0.75))


def group_rates(optimizer, needed):
    """Each param group's initial learning rate (lr_at scales them all by lr_at / lr)."""
    if not needed:
        return []
    groups = getattr(optimizer, "param_groups", None)
    if not groups or not all("lr" in g for g in groups):
        raise TypeError("lr_at needs an optimizer with param_groups that hold 'lr' (a torch.optim.Optimizer)")
    return [g["lr"] for g in groups]


def set_class_counts(y, out_dim):
    """CLASS_COUNTS of the training labels y (None for regression)."""
    global CLASS_COUNTS
    CLASS_COUNTS = None if TASK == "regression" else torch.bincount(y, minlength=out_dim).float()


def train(arm, tag, seed, data, in_dim, out_dim, device, lr):
    """One training run at base learning rate lr; returns its record (curves, final test metric, wall time).

    The loss is read back only at evaluation points (no GPU sync per step); a non-finite
    window mean marks the run as diverged and stops it.
    """
    global LR
    LR = lr
    metric, _, loss_kind = task_spec(TASK)
    set_seed(seed)
    tensors = to_tensors(data, device, loss_kind)
    x_train, y_train = tensors["train"]
    set_class_counts(y_train, out_dim)
    model, optimizer = build_arm(arm, in_dim, out_dim, device, lr, (x_train, y_train))
    hooks = arm_hooks(arm)
    closure_step = needs_closure(optimizer)
    initial_rates = group_rates(optimizer, hooks["lr_at"] is not None)
    rate_reads_loss = initial_rates and "loss" in _inspect.signature(idea_hook(arm, "lr_at") or baseline_lr_at).parameters
    draw = np.random.default_rng([seed, 1])
    order = None if hooks["batch_size_at"] else torch.as_tensor(draw.integers(0, len(x_train), (STEPS, BATCH_SIZE)),
                                                                  device=device)
    steps, train_curve, val_curve = [], [], []
    window_sum, window_n = torch.zeros((), device=device), 0
    diverged = False
    start = _time.perf_counter()
    model.train()
    for step in range(1, STEPS + 1):
        if order is None:  # the idea's batch size: drawn step by step from the same generator
            size = batch_size(hooks["batch_size_at"], step, len(x_train))
            idx = torch.as_tensor(draw.integers(0, len(x_train), size), device=device)
        else:
            idx = order[step - 1]
        if hooks["choose_batch"]:
            idx = chosen_batch(hooks["choose_batch"], idx, x_train, y_train, model, step)
        xb, yb = transformed(hooks["transform_batch"], x_train[idx], y_train[idx], step)

        def training_loss():
            out = model(xb)
            if step == 1:
                check_output(out, yb, out_dim)
            if not hooks["compute_loss"]:
                return task_loss(out, yb)
            loss = hooks["compute_loss"](out=out, y=yb, model=model, step=step, x=xb)
            if step == 1:
                check_loss(loss)
            return loss

        def closure():
            model.zero_grad(set_to_none=True)
            with torch.enable_grad():
                again = training_loss()
                again.backward()
            return again

        loss = training_loss()
        model.zero_grad(set_to_none=True)
        loss.backward()
        if initial_rates:  # the step's rate, set before the optimizer step (a schedule may follow this step's loss)
            scale = scheduled_lr(hooks["lr_at"], step, lr, loss.item() if rate_reads_loss else None) / lr
            for group, rate in zip(optimizer.param_groups, initial_rates):
                group["lr"] = rate * scale
        if closure_step:
            optimizer.step(closure)
        else:
            optimizer.step()
        if hooks["after_step"]:
            with torch.no_grad():  # weight surgery, never part of the graph
                hooks["after_step"](model, step)
        window_sum += loss.detach().reshape(())
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
        "lr": lr,
        "final_metric": final,
        "final_val_metric": final_val,
        "diverged": diverged,
        "steps": steps,
        "train_loss": train_curve,
        "val_metric": [v if math.isfinite(v) else None for v in val_curve],
        "n_params": parameter_count(model),
        "wall_s": round(_time.perf_counter() - start, 4),
    }


def rounded(value):
    """A learning rate rounded to 3 significant digits (grid values read well in logs and reports)."""
    return float(f"{value:.3g}")


def base_lr():
    """LR, or the usual rate of BASELINE_OPTIMIZER when LR is "auto"."""
    return float(BASE_LR[BASELINE_OPTIMIZER]) if LR == "auto" else float(LR)


def initial_grid(lr):
    """LR_GRID, or LR / LR_FACTOR, LR, LR * LR_FACTOR when it is "auto"; sorted."""
    if LR_GRID == "auto":
        return [rounded(lr / LR_FACTOR), lr, rounded(lr * LR_FACTOR)]
    return sorted(float(v) for v in LR_GRID)


def best_rate(scores, higher):
    """(best rate, "low"/"high" when it is the smallest/largest rate tried, else None).

    A tie goes to the smaller rate; when every rate diverged the best is unknown: (None, "low"). The same score at
    every rate says the arm does not use the rate (a step size fixed in its code): no edge, nothing to widen.
    """
    rates = sorted(scores)
    finite = [r for r in rates if scores[r] is not None]
    if not finite:
        return None, "low"
    best = (max if higher else min)(finite, key=lambda r: scores[r])
    if len(finite) == len(rates) > 1 and len({scores[r] for r in rates}) == 1:
        return best, None
    return best, "low" if best == rates[0] else "high" if best == rates[-1] else None


def tune_lrs(device, lr, where):
    """Both arms train once per rate on TUNE_SEED; the best validation metric picks each arm's rate.

    While an arm's best rate is the smallest or largest tried, one more rate beyond that edge
    (a factor LR_FACTOR further) is tried by both arms, at most MAX_LR_WIDENINGS times, so the
    budget stays equal. Returns the lr_tuning record of metrics.json.
    """
    _, higher, _ = task_spec(TASK)
    data, in_dim, out_dim = load_data(TASK, TUNE_SEED)
    scores = {arm: {} for arm in ARMS}

    def try_rates(rates):
        tried = [(arm, rate) for arm in ARMS for rate in rates]
        jobs = [(f"{arm} lr search", (arm, f"lr={rate:g}", TUNE_SEED, data, in_dim, out_dim, device, rate))
                for arm, rate in tried]
        for (arm, rate), record in zip(tried, train_all(jobs, device, where)):
            scores[arm][rate] = record["final_val_metric"]

    grid = initial_grid(lr)
    try_rates(grid)
    for _ in range(MAX_LR_WIDENINGS):
        edges = {best_rate(scores[arm], higher)[1] for arm in ARMS} - {None}
        if not edges:
            break
        grid = sorted(scores["baseline"])
        rate = rounded(grid[0] / LR_FACTOR) if "low" in edges else rounded(grid[-1] * LR_FACTOR)
        log_line(f"[harness] widening the learning-rate grid to {rate:g}: a best rate sits at the grid's edge")
        try_rates([rate])
    tuning = {}
    for arm in ARMS:
        best, edge = best_rate(scores[arm], higher)
        if best is None:
            raise RuntimeError(f"every learning rate tried ({sorted(scores[arm])}) diverged for the {arm} arm")
        tuning[arm] = {"chosen": best, "val_metric": {str(r): scores[arm][r] for r in sorted(scores[arm])},
                       "tried": sorted(scores[arm]), "at_edge": edge is not None, "edge": edge}
    return tuning


def stabler_rate(metrics, arm):
    """The next lower rate the search tried for `arm` when a seed diverged at its chosen rate, else None.

    The search picks a rate on one tuning seed; a rate at the edge of stability there can diverge on
    another seed. A diverged seed then says more about that rate than about the idea.
    """
    entry, tuning = metrics["arms"][arm], metrics["lr_tuning"]
    if not tuning or not any(r["diverged"] for r in entry["runs"]):
        return None
    lower = [r for r in tuning[arm]["tried"] if r < entry["lr"] and tuning[arm]["val_metric"][str(r)] is not None]
    return max(lower) if lower else None


def rerun_at(metrics, arm, rate, device, where):
    """Every seed of `arm` again at `rate`; the arm's record keeps what was dropped and why."""
    entry = metrics["arms"][arm]
    diverged = [r["seed"] for r in entry["runs"] if r["diverged"]]
    log_line(f"[harness] the {arm} arm diverged at lr {entry['lr']:g} (seeds {', '.join(map(str, diverged))}): "
             f"every seed of it runs again at the next lower rate tried, {rate:g}")
    entry.setdefault("lr_fallbacks", []).append({"from": entry["lr"], "to": rate, "diverged_seeds": diverged})
    entry["lr"], entry["runs"] = rate, []
    train_seeds(metrics, [(arm, seed, load_data(TASK, seed)) for seed in SEEDS], device, where)


class JobFailed(Exception):
    """A training run failed in a worker process; its values and traceback are already on stderr."""

    def __init__(self, record):
        super().__init__(record["message"])
        self.record = record


def worker_count(device, jobs):
    """How many processes train `jobs` runs: one per usable CPU (at most one per run) on the CPU, else one."""
    if device.type != "cpu" or jobs < 2 or "fork" not in _multiprocessing.get_all_start_methods():
        return 1
    usable = len(_os.sched_getaffinity(0)) if hasattr(_os, "sched_getaffinity") else (_os.cpu_count() or 1)
    return max(1, min(jobs, usable if CPU_WORKERS == "auto" else int(CPU_WORKERS)))


def run_job(job):
    """One (during, args of train) job in a worker: ("ok", record), or ("error", error record, the values at
    the failing line) for the parent to report."""
    during, args = job
    try:
        return "ok", train(*args), ""
    except BaseException as exc:  # whatever ends the run (SystemExit too) reaches the parent, or it would wait forever
        return "error", error_record(during, exc), failure_values(exc)


def train_all(jobs, device, where):
    """The record of train(*args) for each (during, args) job, in order, yielded as each finishes in order.
    The runs are independent (each seeds itself), so on the CPU they train side by side in forked processes."""
    pool = None
    if (workers := worker_count(device, len(jobs))) > 1:
        try:
            pool = _multiprocessing.get_context("fork").Pool(workers)
        except OSError:  # no shared semaphores where this runs (a sandbox without /dev/shm): one after another
            pool = None
    if pool is None:
        for during, args in jobs:
            where["during"] = during
            yield train(*args)
        return
    with pool:
        for (during, _), (status, result, values) in zip(jobs, pool.imap(run_job, jobs)):
            where["during"] = during
            if status == "error":  # the first failure in order, reported as the script's own would be
                print(*filter(None, [values, result["traceback"].rstrip()]), sep="\n", file=_sys.stderr, flush=True)
                raise JobFailed(result)
            yield result


def train_seeds(metrics, arms_and_seeds, device, where):
    """Each (arm, seed, loaded data) run at its arm's rate, added to metrics.json as it finishes."""
    jobs = [(f"{arm} seed={seed}", (arm, f"seed={seed}", seed, *loaded, device, metrics["arms"][arm]["lr"]))
            for arm, seed, loaded in arms_and_seeds]
    for (arm, seed, _), record in zip(arms_and_seeds, train_all(jobs, device, where)):
        metrics["arms"][arm]["runs"].append(record)
        shown = "diverged" if record["diverged"] else f"{record['final_metric']:.4g}"
        log_line(f"[{arm} seed={seed}] done {metrics['metric']} {shown} ({record['wall_s']:.1f}s)")
        write_json(METRICS_FILE, metrics)


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        _json.dump(data, fh, indent=1)
    _os.replace(tmp, path)


def describe_value(value):
    """A local variable as the code writer needs to see it after a failure: a tensor's shape and dtype
    (and its value when it holds one number), a number, a short string, a container's length; None
    for what says nothing (modules of code, functions, classes)."""
    if isinstance(value, torch.Tensor):
        shown = f"tensor of shape {tuple(value.shape)}, {str(value.dtype).removeprefix('torch.')}"
        return shown + (f", value {value.item():.4g}" if value.numel() == 1 and not value.is_complex() else "")
    if isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else f"a string of {len(value)} characters"
    if isinstance(value, (list, tuple, dict)):
        shown = f"{type(value).__name__} of {len(value)}"
        items = [] if isinstance(value, dict) else [describe_value(v) or type(v).__name__ for v in list(value)[:3]]
        return f"{shown}: {', '.join(items)}{', ...' if len(value) > 3 else ''}" if items else shown
    if isinstance(value, nn.Module):
        return f"module {type(value).__name__}"
    return None


def failure_values(exc):
    """The local values of the innermost frame of this script when `exc` was raised, as lines for stderr (a
    shape error reads at a glance: `lam = tensor of shape (64,)` next to `x = tensor of shape (64, 8)`)."""
    here = _os.path.abspath(__file__)
    found = None
    for frame, line in _traceback.walk_tb(exc.__traceback__):
        if _os.path.abspath(frame.f_code.co_filename) == here:
            found = frame, line
    if found is None:
        return ""
    frame, line = found
    shown = [(name, describe_value(value)) for name, value in frame.f_locals.items() if not name.startswith("_")]
    lines = [f"  {name} = {text}" for name, text in shown if text is not None][:16]
    return "\n".join([f"{FAILURE_VALUES} {line} in {frame.f_code.co_name}:", *lines])


def log_failure_values(exc):
    if values := failure_values(exc):
        print(values, file=_sys.stderr, flush=True)


def error_record(during, exc):
    return {"during": during, "type": type(exc).__name__, "message": str(exc), "traceback": _traceback.format_exc()}


def check_config():
    if TASK not in TASK_NAMES:
        raise ValueError(f"unknown TASK {TASK!r}; use one of {TASK_NAMES}")
    if BASELINE_OPTIMIZER not in OPTIMIZERS:
        raise ValueError(f"unknown BASELINE_OPTIMIZER {BASELINE_OPTIMIZER!r}; use one of {tuple(OPTIMIZERS)}")
    if BASELINE_ACTIVATION not in ACTIVATIONS:
        raise ValueError(f"unknown BASELINE_ACTIVATION {BASELINE_ACTIVATION!r}; use one of {tuple(ACTIVATIONS)}")
    if BASELINE_NORM not in NORMS:
        raise ValueError(f"unknown BASELINE_NORM {BASELINE_NORM!r}; use one of {NORMS}")
    if BASELINE_SCHEDULE not in SCHEDULES:
        raise ValueError(f"unknown BASELINE_SCHEDULE {BASELINE_SCHEDULE!r}; use one of {SCHEDULES}")


def setup_device(device):
    if device.type == "cpu":
        torch.set_num_threads(CPU_THREADS)
    else:
        torch.set_default_device(device)  # tensors the idea creates land on the GPU too
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)


def main():
    check_config()
    device = pick_device()
    setup_device(device)
    metric, higher, loss_kind = task_spec(TASK)
    lr = base_lr()
    grid = initial_grid(lr) if LR_GRID else []
    metrics = {
        "schema": 1,
        "status": "running",
        "idea_name": IDEA_NAME,
        "task": TASK,
        "metric": metric,
        "higher_is_better": higher,
        "config": {
            "seeds": list(SEEDS), "steps": STEPS, "lr": lr, "batch_size": BATCH_SIZE, "hidden": HIDDEN,
            "input_scale": INPUT_SCALE, "label_noise": LABEL_NOISE, "train_size": TRAIN_SIZE,
            "class_imbalance": CLASS_IMBALANCE,
            "eval_every": EVAL_EVERY, "lr_grid": grid,
            "baseline_optimizer": BASELINE_OPTIMIZER, "baseline_norm": BASELINE_NORM,
            "baseline_momentum": BASELINE_MOMENTUM, "baseline_activation": BASELINE_ACTIVATION,
            "baseline_schedule": BASELINE_SCHEDULE, "match_params": MATCH_PARAMS, "arm_lrs": ARM_LRS,
        },
        "hooks": [name for name in HOOKS if idea_hook("idea", name)],
        "environment": environment(device),
        "arms": {arm: {"lr": lr, "runs": []} for arm in ARMS},
        "lr_tuning": None,
        "trivial_metric": {},
        "error": None,
    }
    log_line(f"[harness] task={TASK} arms={','.join(ARMS)} seeds={','.join(map(str, SEEDS))} steps={STEPS} "
        f"device={device} hooks={','.join(metrics['hooks']) or 'none'}")
    where = {"during": "setup"}
    try:
        if ARM_LRS:
            for arm in ARMS:
                metrics["arms"][arm]["lr"] = float(ARM_LRS[arm])
        elif grid:
            metrics["lr_tuning"] = tune_lrs(device, lr, where)
            for arm in ARMS:
                metrics["arms"][arm]["lr"] = metrics["lr_tuning"][arm]["chosen"]
        runs = []
        for seed in SEEDS:
            loaded = load_data(TASK, seed)
            metrics["trivial_metric"][str(seed)] = trivial_metric(loaded[0], loss_kind)
            runs += [(arm, seed, loaded) for arm in ARMS]
        train_seeds(metrics, runs, device, where)
        for arm in ARMS:
            while (rate := stabler_rate(metrics, arm)) is not None:
                rerun_at(metrics, arm, rate, device, where)
    except JobFailed as failed:  # its traceback is on stderr already: it stays the last one there
        metrics["status"], metrics["error"] = "error", failed.record
        write_json(METRICS_FILE, metrics)
        raise SystemExit(1) from None
    except Exception as exc:
        metrics["status"] = "error"
        metrics["error"] = error_record(where["during"], exc)
        write_json(METRICS_FILE, metrics)
        log_failure_values(exc)
        raise
    metrics["status"] = "ok"
    write_json(METRICS_FILE, metrics)
    log_line(f"[harness] wrote {METRICS_FILE}")


# ---- --describe: what each arm is, without training ----


def plain(value):
    """value as JSON-safe data (tuples become lists, other objects their type name)."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return type(value).__name__


def fingerprint(tensor):
    """A short digest of a tensor's values, with its mean and std for reading."""
    data = tensor.detach().float().cpu().contiguous()
    digest = _hashlib.sha1(data.numpy().tobytes()).hexdigest()[:12]
    mean = data.mean().item() if data.numel() else 0.0
    std = data.std().item() if data.numel() > 1 else 0.0
    return f"{digest} mean={mean:.4g} std={std:.4g}"


def module_class(module):
    """The module's class name; a wrapped function also shows its own name."""
    name = type(module).__name__
    if isinstance(module, FunctionLayer):
        name += f"({getattr(module.fn, '__name__', type(module.fn).__name__)})"
    return name


def module_outputs(model, x):
    """[[path, output shape without the batch dim]] of every module a forward pass on x calls, in call order."""
    seen = []
    names = {id(m): path for path, m in model.named_modules()}

    def record(module, _inputs, output):
        out = output[0] if isinstance(output, (tuple, list)) else output
        if torch.is_tensor(out):
            seen.append([names[id(module)], list(out.shape[1:])])

    forward_watched(model, x, record)
    return seen


def forward_watched(model, x, record):
    """One forward pass on x in eval mode without gradients, `record(module, inputs, output)` called for every module."""
    handles = [m.register_forward_hook(record) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
        model.train()


def probe_head_input_varies(model, x):
    """Whether the input of the last module with parameters (the output layer) differs between the batch's samples at
    the start: where it does not, nothing of the input reaches the output (an activation or layer that starts as a
    constant). A zero-initialised output layer or residual branch still passes the input on."""
    last = []

    def record(module, inputs, _output):
        if inputs and torch.is_tensor(inputs[0]) and any(True for _ in module.parameters(recurse=False)):
            last[:] = [inputs[0].detach()]

    forward_watched(model, x, record)
    if not last or last[0].shape[0] < 2:
        return None
    seen = last[0].reshape(last[0].shape[0], -1).double()
    return bool((seen - seen[:1]).abs().max() > 1e-9 * (1 + seen.abs().max()))


def probe_optimizer_moves(model, optimizer, x, y, steps=3):
    """Whether a few optimizer steps on one batch, with the task's loss, change any weight."""
    before = [p.detach().clone() for p in model.parameters()]

    def closure():
        model.zero_grad(set_to_none=True)
        with torch.enable_grad():
            loss = task_loss(model(x), y)
            loss.backward()
        return loss

    for _ in range(steps):
        closure()
        if needs_closure(optimizer):
            optimizer.step(closure)
        else:
            optimizer.step()
    return any(not torch.equal(start, p.detach()) for start, p in zip(before, model.parameters()))


def probe_after_step(model, hook):
    """Steps (1..PROBE_STEPS) at which after_step changed a weight; each call follows a small random
    nudge of every weight, a stand-in for the training step (so averaging or syncing copies shows)."""
    if not hook:
        return []
    generator = torch.Generator().manual_seed(0)
    changed = []
    for step in range(1, min(PROBE_STEPS, STEPS) + 1):
        with torch.no_grad():
            for p in model.parameters():
                if p.is_floating_point():
                    p.add_(1e-3 * torch.randn(p.shape, generator=generator).to(p))
            before = {name: p.detach().clone() for name, p in model.named_parameters()}
            hook(model, step)
            after = dict(model.named_parameters())
        if before.keys() != after.keys() or any(not torch.equal(before[n], after[n]) for n in before):
            changed.append(step)
    return changed


def probe_loss_at(step):
    """The training loss a schedule that follows it is probed with: falling over the first half of the run, then flat."""
    return math.exp(-2.0 * min(step, STEPS // 2) / STEPS)


def probe_rates(hook, lr):
    """lr_at at the probe steps, called at every step from 1 (a rule that follows the loss keeps state between steps)."""
    wanted, rates = set(probe_steps()), []
    for step in range(1, STEPS + 1):
        rate = scheduled_lr(hook, step, lr, probe_loss_at(step))
        if step in wanted:
            rates.append([step, rate])
    return rates


def probe_steps():
    """A few steps across the run, for the schedule and loss probes."""
    return sorted({max(1, s) for s in (1, STEPS // 10, STEPS // 4, STEPS // 2, 3 * STEPS // 4, STEPS)})


def probe_batch(hook, x, y):
    """Whether transform_batch changes x and y at any probe step."""
    changes_x = changes_y = False
    for step in probe_steps():
        nx, ny = transformed(hook, x, y, step)
        changes_x = changes_x or nx.shape != x.shape or not torch.equal(nx, x)
        changes_y = changes_y or ny.shape != y.shape or not torch.equal(ny, y)
    return {"changes_x": changes_x, "changes_y": changes_y}


def probe_loss(hook, model, x, y):
    """compute_loss against task_loss on one batch, at the probe steps."""
    out = model(x)
    reference = task_loss(out, y).item()
    values = [[s, check_loss(hook(out=out, y=y, model=model, step=s, x=x)).item()] for s in probe_steps()] if hook else []
    differs = any(abs(v - reference) > 1e-6 * (1 + abs(reference)) for _, v in values)
    return {"differs": differs, "task_loss": reference, "values": values}


def optimizer_record(optimizer):
    defaults = getattr(optimizer, "defaults", None)
    defaults = {k: plain(v) for k, v in defaults.items()} if isinstance(defaults, dict) else {}
    return {"class": type(optimizer).__name__, "defaults": defaults, "closure": needs_closure(optimizer)}


def describe_arm(arm, seed, in_dim, out_dim, train_xy, lr):
    """One arm of arms.json: modules, parameters (shape and initial-value fingerprint), optimizer, hooks, probes."""
    set_seed(seed)
    model, optimizer = build_arm(arm, in_dim, out_dim, torch.device("cpu"), lr, train_xy)
    x, y = (part[:BATCH_SIZE] for part in train_xy)
    hooks = arm_hooks(arm)
    record = {
        "modules": [[path, module_class(m)] for path, m in model.named_modules()],
        "params": [[name, list(p.shape), fingerprint(p)] for name, p in model.named_parameters()],
        "n_params": parameter_count(model),
        "optimizer": optimizer_record(optimizer),
        "hooks": [name for name in HOOKS if idea_hook(arm, name)],
    }
    record["outputs"] = module_outputs(model, x)
    set_seed(seed)
    record["probes"] = {
        "transform_batch": probe_batch(hooks["transform_batch"], x, y),
        "lr_at": probe_rates(hooks["lr_at"], lr),
        "batch_size_at": [[s, batch_size(hooks["batch_size_at"], s, len(train_xy[0])) if hooks["batch_size_at"]
                           else BATCH_SIZE] for s in probe_steps()],
        "compute_loss": probe_loss(hooks["compute_loss"], model, x, y),
        "choose_batch": probe_chosen(hooks["choose_batch"], model, train_xy),
        "after_step": {"changed_at": probe_after_step(model, hooks["after_step"])},
    }
    record["probes"]["after_step"]["changes_weights"] = bool(record["probes"]["after_step"]["changed_at"])
    record["probes"]["head_input_varies"] = probe_head_input_varies(model, x)
    record["probes"]["optimizer_moves"] = probe_optimizer_moves(model, optimizer, x, y)  # last: it trains the model
    return record


def describe():
    """Build both arms from the same seed, probe the idea's hooks on one batch and write ARMS_FILE; no training."""
    global LR
    check_config()
    setup_device(torch.device("cpu"))
    LR = lr = base_lr()
    seed = SEEDS[0]
    data, in_dim, out_dim = load_data(TASK, seed)
    x, y = to_tensors({"train": data["train"]}, torch.device("cpu"), task_spec(TASK)[2])["train"]
    set_class_counts(y, out_dim)
    report = {"schema": 1, "task": TASK, "seed": seed, "steps": STEPS, "lr": lr, "in_dim": plain(in_dim),
              "out_dim": out_dim, "arms": {}, "error": None}
    arm = "setup"
    try:
        for arm in ARMS:
            report["arms"][arm] = describe_arm(arm, seed, in_dim, out_dim, (x, y), lr)
    except Exception as exc:
        report["error"] = error_record(f"{arm} describe", exc)
        write_json(ARMS_FILE, report)
        log_failure_values(exc)
        raise
    write_json(ARMS_FILE, report)
    log_line(f"[harness] wrote {ARMS_FILE}")


if __name__ == "__main__":
    describe() if DESCRIBE_FLAG in _sys.argv[1:] else main()
