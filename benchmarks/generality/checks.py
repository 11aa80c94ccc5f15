"""Does idea code behave as its generality-suite note says? Runs inside the sandbox (the code is untrusted).

Usage: python checks.py CHECKS experiment.py   (CHECKS: comma-separated names below; a check that
takes an argument is written name:arg, e.g. task:digits_image or baseline_optimizer:adam)
Prints one JSON object: {check: "ok" or the reason it failed}.

The checks call the lab hooks of the assembled experiment (build_model, make_optimizer, after_step,
compute_loss, transform_batch, lr_at) on planted inputs and compare with the note's formulas, so
any faithful implementation passes whatever it names things. Hooks taking arguments by name are
called by name, as the harness does. The *_kept checks say that a hook the idea has no business
defining leaves the baseline alone. Generic checks are shared with ../idea_checks.py.
"""

import inspect
import json
import math
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))  # idea_checks.py, when run from the repository

import torch
import torch.nn as nn
import torch.nn.functional as F
from idea_checks import HIDDEN, IN, OUT, activation_modules, check_plain_sgd, check_weights_kept, load, need, outputs_on

CLASSES = 4
IMAGE = (1, 8, 8)
SEQUENCE = (12, 6)  # (T, V): time steps, one-hot vocabulary
LR = 0.1


def call(fn, **given):
    """Call a hook with the arguments it names among `given` (all of them if it takes **kwargs)."""
    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(**given)
    return fn(**{name: value for name, value in given.items() if name in params})


def model_of(module, in_dim=IN, hidden=HIDDEN, out_dim=OUT):
    """The idea arm's model: build_model when the idea defines it, else the task's baseline."""
    build = getattr(module, "build_model", None) or module.baseline_model
    return build(in_dim, hidden, out_dim)


def task_in_dim(module):
    return {"digits_image": IMAGE, "sequence": SEQUENCE}.get(getattr(module, "TASK", ""), IN)


def toy_batch(module, n=16):
    """(out, y) shaped like the module's task: one regression target or CLASSES labels."""
    torch.manual_seed(1)
    if getattr(module, "TASK", "") == "regression":
        return torch.randn(n, 1) * 2, torch.randn(n, 1)
    return torch.randn(n, CLASSES) * 2, torch.randint(0, CLASSES, (n,))


def close(a, b, atol=1e-5, rtol=1e-4):
    return torch.allclose(torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32), atol=atol, rtol=rtol)


def planted_step(module, params, grads, lr=LR):
    """One make_optimizer step on parameters with planted gradients; returns the values before it."""
    before = [p.detach().clone() for p in params]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    need(module, "make_optimizer")(params, lr).step()
    return before


# ---- config: the experiment follows the request ----

def check_task(module, name):
    if getattr(module, "TASK", None) != name:
        raise AssertionError(f"TASK is {getattr(module, 'TASK', None)!r}, the idea needs {name!r}")


def check_baseline_optimizer(module, name):
    if getattr(module, "BASELINE_OPTIMIZER", None) != name:
        raise AssertionError(f"BASELINE_OPTIMIZER is {getattr(module, 'BASELINE_OPTIMIZER', None)!r}, the request says {name!r}")


# ---- what the idea leaves alone ----

def check_model_kept(module):
    """No build_model, or one that builds the baseline's parameters with the baseline's initial values."""
    if getattr(module, "build_model", None) is None:
        return
    in_dim = task_in_dim(module)
    torch.manual_seed(0)
    idea = [p.detach() for p in module.build_model(in_dim, HIDDEN, OUT).parameters()]
    torch.manual_seed(0)
    base = [p.detach() for p in module.baseline_model(in_dim, HIDDEN, OUT).parameters()]
    if [tuple(p.shape) for p in idea] != [tuple(p.shape) for p in base]:
        raise AssertionError("build_model changes the model's parameter shapes, which the note does not")
    if not all(torch.equal(a, b) for a, b in zip(idea, base)):
        raise AssertionError("build_model changes the initial weights, which the note does not")


def check_loss_kept(module):
    compute_loss = getattr(module, "compute_loss", None)
    if compute_loss is None:
        return
    out, y = toy_batch(module)
    loss = call(compute_loss, out=out, y=y, model=model_of(module, task_in_dim(module)), step=1, x=None)
    if not close(loss, module.task_loss(out, y)):
        raise AssertionError("compute_loss differs from the task's loss, which the note does not change")


def check_batch_kept(module):
    transform = getattr(module, "transform_batch", None)
    if transform is None:
        return
    x, y = torch.randn(32, IN), torch.randn(32, 1)
    x2, y2 = call(transform, x=x.clone(), y=y.clone(), step=1)
    if not (torch.equal(x, x2) and torch.equal(y, y2)):
        raise AssertionError("transform_batch changes the training batch, which the note does not")


def check_lr_kept(module):
    lr_at = getattr(module, "lr_at", None)
    if lr_at is None:
        return
    for step in (1, 10, 100):
        if not close(call(lr_at, step=step, lr=LR), LR):
            raise AssertionError(f"lr_at changes the learning rate at step {step}, which the note does not")


# ---- update rules ----

def check_lion(module):
    """c = b1*m + (1-b1)*g; p -= lr*sign(c); m = b2*m + (1-b2)*g, with b1 = 0.9, b2 = 0.99, m0 = 0."""
    torch.manual_seed(0)
    p = nn.Parameter(torch.randn(6, 3))
    optimizer = need(module, "make_optimizer")([p], LR)
    g1 = torch.randn(6, 3)
    g2 = -0.06 * g1 + 0.02 * torch.randn(6, 3)  # the momentum still points along g1, the new gradient not
    expected = p.detach().clone()
    m = torch.zeros(6, 3)
    for step, g in enumerate((g1, g2), start=1):
        p.grad = g.clone()
        optimizer.step()
        expected = expected - LR * torch.sign(0.9 * m + 0.1 * g)
        m = 0.99 * m + 0.01 * g
        if not close(p.detach(), expected):
            raise AssertionError(f"step {step} is not p - lr*sign(0.9*m + 0.1*g) with m = 0.99*m + 0.01*g")


def check_grad_centralization(module):
    """A weight matrix steps by -lr*(g - row mean of g); a bias by -lr*g."""
    torch.manual_seed(0)
    w, b = nn.Parameter(torch.randn(6, 3)), nn.Parameter(torch.randn(6))
    gw, gb = torch.randn(6, 3) + 2.0, torch.randn(6) + 2.0
    before = planted_step(module, [w, b], [gw, gb])
    if not close(w.detach(), before[0] - LR * (gw - gw.mean(dim=1, keepdim=True))):
        raise AssertionError("the weight matrix does not step by -lr * (g - mean(g, dim=1))")
    if not close(b.detach(), before[1] - LR * gb):
        raise AssertionError("the bias gradient is changed; the note leaves 1-D parameters alone")


def check_tensor_clipping(module):
    """Each tensor on its own: g*c/||g|| when ||g|| > c = 1, else g; then p -= lr*g."""
    torch.manual_seed(0)
    w, b = nn.Parameter(torch.randn(6, 3)), nn.Parameter(torch.randn(6))
    gw = torch.randn(6, 3)
    gw, gb = gw * 50 / gw.norm(), torch.full((6,), 0.2)
    before = planted_step(module, [w, b], [gw, gb])
    if not close(w.detach(), before[0] - LR * gw / gw.norm()):
        raise AssertionError("a gradient of norm 50 is not clipped to norm 1 (p - lr * g / ||g||)")
    if not close(b.detach(), before[1] - LR * gb):
        raise AssertionError("a gradient of norm < 1 is changed (clipped together with other tensors?)")


def check_sam(module):
    """On a quadratic: w -= lr * grad(w + rho*g/||g||), rho = 0.05, through the harness's closure."""
    torch.manual_seed(0)
    a = torch.rand(5) + 0.5
    w = nn.Parameter(torch.randn(5))
    w0 = w.detach().clone()

    def loss_fn():
        return 0.5 * (a * w * w).sum()

    def closure():
        w.grad = None
        loss = loss_fn()
        loss.backward()
        return loss

    optimizer = need(module, "make_optimizer")([w], LR)
    closure()
    params = inspect.signature(optimizer.step).parameters
    optimizer.step(closure) if params else optimizer.step()
    g = a * w0
    expected = w0 - LR * a * (w0 + 0.05 * g / g.norm())
    if not close(w.detach(), expected, atol=1e-6):
        raise AssertionError("the step is not w - lr * grad at w + rho*g/||g|| (rho = 0.05), taken from w")


# ---- layers and activations ----

def check_rezero(module):
    """Learnable scalars start at 0, so the residual block is the identity: its square weights do not matter."""
    torch.manual_seed(0)
    model = need(module, "build_model")(IN, HIDDEN, OUT)
    params = list(model.parameters())
    scalars = [p for p in params if p.numel() == 1]
    if not scalars or any(float(s) != 0.0 for s in scalars):
        raise AssertionError("no learnable scalar alpha initialised at 0")
    square = [p for p in params if tuple(p.shape) == (HIDDEN, HIDDEN)]
    if not square:
        raise AssertionError("no hidden -> hidden block")
    x = torch.randn(16, IN)
    out = model(x).detach()
    with torch.no_grad():
        for p in square:
            p.add_(torch.randn_like(p))
    if not close(model(x), out):
        raise AssertionError("with alpha = 0 the block is not the identity y = x")
    model(x).sum().backward()
    if not any(s.grad is not None and s.grad.abs().sum() > 0 for s in scalars):
        raise AssertionError("alpha gets no gradient: it does not scale the residual branch")


def _affine_maps(mod):
    """The affine maps x -> x W^T + b inside mod: its nn.Linear children, and its own weight matrices, each
    with any of its own bias vectors of the right size (or none)."""
    maps = [(c.weight, c.bias) for c in mod.children() if isinstance(c, nn.Linear)]
    own = list(mod.parameters(recurse=False))
    for w in (p for p in own if p.dim() == 2):
        maps += [(w, b) for b in [None, *(p for p in own if p.dim() == 1 and p.shape[0] == w.shape[0])]]
    return maps


def _gated(mod, x):
    """Whether mod(x) == a*sigmoid(b) for two affine maps inside mod (two weights, or one split in halves)."""
    maps = _affine_maps(mod)
    with torch.no_grad():
        y = mod(x)
        outs = [(id(w), F.linear(x, w, b)) for w, b in maps if w.shape[1] == x.shape[-1]]
        pairs = [(a, g) for wa, a in outs for wg, g in outs if wa != wg]
        pairs += [out.chunk(2, dim=-1) for _, out in outs if out.shape[-1] % 2 == 0]
    return any(a.shape == y.shape and close(y, a * torch.sigmoid(g)) for a, g in pairs)


def check_glu(module):
    """Both hidden layers compute (W1 x + b1) * sigmoid(W2 x + b2); no ReLU left."""
    torch.manual_seed(0)
    model = need(module, "build_model")(IN, HIDDEN, OUT).eval()
    found = 0
    for mod in model.modules():
        maps = [] if isinstance(mod, nn.Sequential) else _affine_maps(mod)
        if maps and _gated(mod, torch.randn(16, maps[0][0].shape[1])):
            found += 1
    if found < 2:
        raise AssertionError(f"{found} of the 2 hidden layers compute (W1 x + b1) * sigmoid(W2 x + b2)")
    if any(isinstance(m, nn.ReLU) for m in model.modules()):
        raise AssertionError("a ReLU is left; the gate is the only nonlinearity")


def check_weight_norm(module):
    """Every weight direction v is scale-free: multiplying it by 3 leaves the output unchanged."""
    torch.manual_seed(0)
    model = need(module, "build_model")(IN, HIDDEN, OUT).eval()
    directions = [p for p in model.parameters() if p.dim() == 2 and min(p.shape) > 1]
    if len(directions) < 3:
        raise AssertionError("not every layer has a weight matrix v")
    x = torch.randn(16, IN)
    out = model(x).detach()
    for v in directions:
        with torch.no_grad():
            v.mul_(3.0)
        if not close(model(x), out, atol=1e-4):
            raise AssertionError(f"scaling a weight matrix {tuple(v.shape)} changes the output: it is not g * v/||v||")


def _activation_outputs(module, x):
    torch.manual_seed(0)
    model = need(module, "build_model")(IN, HIDDEN, OUT)
    return model, list(outputs_on(activation_modules(model), x))


def check_swish_beta(module):
    """Activations compute x*sigmoid(beta*x) with a learnable beta per layer, starting at 1."""
    x = torch.randn(32, HIDDEN) * 3
    model, outputs = _activation_outputs(module, x)
    if not any(close(out, x * torch.sigmoid(x)) for out in outputs):
        raise AssertionError("no activation computes x * sigmoid(x) at initialisation (beta = 1)")
    betas = [m for m in activation_modules(model) if sum(p.numel() for p in m.parameters()) == 1]
    if len(betas) < 2:
        raise AssertionError("not one learnable scalar beta per activation layer")
    with torch.no_grad():
        next(betas[0].parameters()).fill_(2.0)
        if not close(betas[0](x), x * torch.sigmoid(2 * x)):
            raise AssertionError("with beta = 2 the activation is not x * sigmoid(2x)")


def check_penalized_tanh(module):
    """Activations compute tanh(x) for x > 0 and 0.25*tanh(x) otherwise."""
    x = torch.randn(32, HIDDEN) * 2
    wanted = torch.where(x > 0, torch.tanh(x), 0.25 * torch.tanh(x))
    _, outputs = _activation_outputs(module, x)
    if not any(close(out, wanted) for out in outputs):
        raise AssertionError("no activation computes tanh(x) (x > 0), 0.25*tanh(x) (x <= 0)")


# ---- operations on the weights ----

def _weights(model):
    return [p.detach().clone() for p in model.parameters()]


def _simulated_steps(module, model, steps):
    """after_step over `steps`, with a planted optimizer move before each call but the first."""
    after_step = need(module, "after_step")
    for step in steps:
        if step > 1:
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(0.1 * torch.randn_like(p))
        moved = _weights(model)
        with torch.no_grad():  # as the harness calls it
            after_step(model, step)
    return moved


def check_lookahead(module):
    """Every 5 steps: slow += 0.5*(w - slow); w = slow; in between the weights are left alone."""
    torch.manual_seed(0)
    model = model_of(module)
    slow = _weights(model)
    for period in (range(1, 6), range(6, 11)):
        for step in period:
            moved = _simulated_steps(module, model, [step])
            now = _weights(model)
            if step % 5:
                if not all(torch.equal(a, b) for a, b in zip(moved, now)):
                    raise AssertionError(f"after_step changes the weights at step {step}, not a multiple of k = 5")
                continue
            slow = [s + 0.5 * (w - s) for s, w in zip(slow, moved)]
            if not all(close(a, b) for a, b in zip(now, slow)):
                raise AssertionError(f"at step {step} w is not slow + 0.5*(w - slow) with slow starting at the initial w")


def check_max_norm(module):
    """After every step each weight row longer than c = 2 is scaled back to length 2; others and biases untouched."""
    torch.manual_seed(0)
    model = model_of(module)
    after_step = need(module, "after_step")
    for step in (1, 7):
        weight = next(p for p in model.parameters() if p.dim() == 2)
        bias = next(p for p in model.parameters() if p.dim() == 1)
        with torch.no_grad():
            weight.copy_(weight / weight.norm(dim=1, keepdim=True) * torch.tensor([5.0, 0.5] * (len(weight) // 2))[:, None])
            bias.fill_(10.0)
        before = weight.detach().clone()
        with torch.no_grad():
            after_step(model, step)
        norms = before.norm(dim=1, keepdim=True)
        wanted = torch.where(norms > 2.0, before * 2.0 / norms, before)
        if not close(weight.detach(), wanted):
            raise AssertionError(f"at step {step} rows are not projected to norm <= 2 (w_i * c/||w_i|| when longer)")
        if not torch.all(bias == 10.0):
            raise AssertionError("biases are changed; the note constrains weight rows only")


def check_shrink_perturb(module):
    """Every 100 steps all parameters become 0.8*w + 0.01*noise; other steps leave them alone."""
    torch.manual_seed(0)
    model = model_of(module, 32, 64, CLASSES)
    after_step = need(module, "after_step")
    for step in range(1, 201):
        before = torch.cat([p.detach().flatten() for p in model.parameters()])
        biases = [p.detach().clone() for p in model.parameters() if p.dim() == 1]
        with torch.no_grad():
            after_step(model, step)
        after = torch.cat([p.detach().flatten() for p in model.parameters()])
        if step % 100:
            if not torch.equal(before, after):
                raise AssertionError(f"after_step changes the weights at step {step}, not a multiple of N = 100")
            continue
        slope = float(before @ after / (before @ before))
        noise = float((after - slope * before).std())
        if abs(slope - 0.8) > 0.03 or not 0.0075 < noise < 0.0125:
            raise AssertionError(f"at step {step}: w -> {slope:.3f}*w + noise of std {noise:.4f}, not 0.8*w + 0.01*eps")
        if any(torch.equal(b, p.detach()) for b, p in zip(biases, (p for p in model.parameters() if p.dim() == 1))):
            raise AssertionError("biases are left out; the note shrinks and perturbs all parameters")


# ---- initialisation ----

def _shapes_as_baseline(module, model, dims):
    base = module.baseline_model(*dims)
    if [tuple(p.shape) for p in model.parameters()] != [tuple(p.shape) for p in base.parameters()]:
        raise AssertionError("the model's parameter shapes differ from the baseline's: an init idea keeps the model")


def check_orthogonal_init(module):
    """Same shapes as the baseline; every weight semi-orthogonal (gain 1); biases 0."""
    torch.manual_seed(0)
    dims = (16, 32, CLASSES)
    model = need(module, "build_model")(*dims)
    _shapes_as_baseline(module, model, dims)
    for p in model.parameters():
        w = p.detach()
        if w.dim() == 1 and w.abs().max() > 0:
            raise AssertionError("a bias is not initialised to 0")
        if w.dim() == 2:
            gram = w.t() @ w if w.shape[0] >= w.shape[1] else w @ w.t()
            if not close(gram, torch.eye(len(gram)), atol=1e-4):
                raise AssertionError(f"weight {tuple(w.shape)} is not semi-orthogonal (W^T W = I or W W^T = I)")


def check_zero_init_last(module):
    """Same shapes as the baseline; the output layer's W and b are 0; the other layers keep a default init."""
    torch.manual_seed(0)
    dims = (16, 32, 1)
    model = need(module, "build_model")(*dims)
    _shapes_as_baseline(module, model, dims)
    params = [p.detach() for p in model.parameters()]
    base = [p.detach() for p in module.baseline_model(*dims).parameters()]
    if params[-1].abs().max() > 0 or params[-2].abs().max() > 0:
        raise AssertionError("the output layer's weight and bias are not all 0")
    for p, b in zip(params[:-2], base[:-2]):
        if p.dim() == 2 and not 0.5 < float(p.std() / b.std()) < 2.0:
            raise AssertionError("a hidden layer's initialisation is changed too; the note changes the output layer only")


# ---- losses and regularisers ----

def _loss(module, out, y, model=None, step=1):
    model = model if model is not None else model_of(module, task_in_dim(module))
    return call(need(module, "compute_loss"), out=out, y=y, model=model, step=step, x=None)


def check_label_smoothing(module):
    """-sum q log softmax(out), q = 0.9*onehot(y) + 0.1/K, averaged over the batch."""
    out, y = toy_batch(module)
    q = 0.9 * F.one_hot(y, CLASSES).float() + 0.1 / CLASSES
    if not close(_loss(module, out, y), -(q * F.log_softmax(out, dim=1)).sum(dim=1).mean()):
        raise AssertionError("compute_loss is not cross entropy with labels smoothed by eps = 0.1")


def check_focal_loss(module):
    """-mean((1 - p_t)^2 * log p_t)."""
    out, y = toy_batch(module)
    log_pt = F.log_softmax(out, dim=1).gather(1, y[:, None]).squeeze(1)
    if not close(_loss(module, out, y), -((1 - log_pt.exp()) ** 2 * log_pt).mean()):
        raise AssertionError("compute_loss is not -mean((1 - p_t)^2 log p_t)")


def check_huber_loss(module):
    """mean of 0.5 r^2 (|r| <= 1) and |r| - 0.5 (|r| > 1), r = out - y."""
    out, y = toy_batch(module, 64)
    r = (out - y).abs()
    if not close(_loss(module, out, y), torch.where(r <= 1, 0.5 * r ** 2, r - 0.5).mean()):
        raise AssertionError("compute_loss is not the Huber loss with delta = 1")


def check_l1_penalty(module):
    """task loss + 1e-3 * sum |W| over weight matrices (biases not penalised)."""
    torch.manual_seed(0)
    model = model_of(module, task_in_dim(module))
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 1:
                p.fill_(5.0)
    out, y = toy_batch(module)
    penalty = sum(p.detach().abs().sum() for p in model.parameters() if p.dim() >= 2)
    if not close(_loss(module, out, y, model), module.task_loss(out, y) + 1e-3 * penalty):
        raise AssertionError("compute_loss is not task_loss + 1e-3 * sum|W| (weights only)")


def check_l2_sp(module):
    """task loss + 0.01/2 * sum ||W - W0||^2, W0 = the weights before the first step (biases not counted)."""
    torch.manual_seed(0)
    model = model_of(module, task_in_dim(module))
    out, y = toy_batch(module)
    if not close(_loss(module, out, y, model, step=1), module.task_loss(out, y)):
        raise AssertionError("at the initial weights the penalty is not 0")
    moves = []
    with torch.no_grad():
        for p in model.parameters():
            delta = 0.1 * torch.randn_like(p) if p.dim() >= 2 else torch.full_like(p, 3.0)
            p.add_(delta)
            moves.append(delta if p.dim() >= 2 else torch.zeros_like(p))
    wanted = module.task_loss(out, y) + 0.005 * sum((d ** 2).sum() for d in moves)
    if not close(_loss(module, out, y, model, step=2), wanted):
        raise AssertionError("compute_loss is not task_loss + 0.01/2 * sum ||W - W0||^2 (weights only)")


# ---- data ----

def check_mixup_regression(module):
    """x and y of each new row mix two rows of the batch with the same weights lambda, 1 - lambda."""
    transform = need(module, "transform_batch")
    torch.manual_seed(0)
    x, y = torch.eye(16), torch.randn(16, 1)
    mixed = False
    for step in range(1, 6):
        x2, y2 = call(transform, x=x.clone(), y=y.clone(), step=step)
        if x2.shape != x.shape or y2.shape != y.shape:
            raise AssertionError("transform_batch changes the batch shape")
        weights = x2  # row b of x2 holds the mixing weights over the rows of x (x is the identity)
        if weights.min() < -1e-6 or not close(weights.sum(dim=1), torch.ones(16)) or ((weights > 1e-6).sum(dim=1) > 2).any():
            raise AssertionError("a new input is not lambda*x_i + (1-lambda)*x_j")
        if not close(y2, weights @ y):
            raise AssertionError("targets are not mixed with the same lambda as the inputs")
        mixed |= bool(((weights > 1e-6).sum(dim=1) == 2).any())
    if not mixed:
        raise AssertionError("no row was ever mixed")


def check_input_noise(module):
    """x + 0.1*N(0,1), fresh each call; y unchanged."""
    transform = need(module, "transform_batch")
    torch.manual_seed(0)
    x, y = torch.randn(256, 16), torch.randn(256, 1)
    x2, y2 = call(transform, x=x.clone(), y=y.clone(), step=1)
    x3, _ = call(transform, x=x.clone(), y=y.clone(), step=2)
    noise = x2 - x
    if abs(float(noise.mean())) > 0.01 or not 0.09 < float(noise.std()) < 0.11:
        raise AssertionError(f"x changes by noise of mean {float(noise.mean()):.3f}, std {float(noise.std()):.3f}, not N(0, 0.1^2)")
    if not torch.equal(y, y2):
        raise AssertionError("the targets are changed")
    if torch.equal(x2, x3):
        raise AssertionError("the same noise every step")


def check_norm_curriculum(module):
    """At step t keep the ceil(f*B) smallest-norm rows, f = min(1, 0.25 + 0.75*t/(STEPS/2)), labels aligned."""
    transform = need(module, "transform_batch")
    module.STEPS = 200
    torch.manual_seed(0)
    x, y = torch.randn(64, 8), torch.arange(64)
    by_norm = x.norm(dim=1).argsort()
    for step in (1, 50, 100, 150):
        x2, y2 = call(transform, x=x.clone(), y=y.clone(), step=step)
        f = min(1.0, 0.25 + 0.75 * step / 100)
        if abs(len(y2) - f * 64) > 1:
            raise AssertionError(f"step {step}: keeps {len(y2)} of 64 rows, the note says about {f * 64:.1f}")
        if set(y2.tolist()) != set(by_norm[:len(y2)].tolist()):
            raise AssertionError(f"step {step}: the rows kept are not those of smallest ||x||")
        if not torch.equal(x2, x[y2]):
            raise AssertionError(f"step {step}: inputs and labels no longer match")


# ---- schedules ----

def _lrs(module, steps):
    module.STEPS = 1000
    lr_at = need(module, "lr_at")
    return [float(call(lr_at, step=t, lr=LR)) for t in steps]


def check_warmup_cosine(module):
    """lr*t/W up to W = 0.1*STEPS, then lr*0.5*(1 + cos(pi*(t-W)/(STEPS-W)))."""
    steps = (1, 50, 100, 101, 400, 550, 999, 1000)
    wanted = [LR * t / 100 if t <= 100 else LR * 0.5 * (1 + math.cos(math.pi * (t - 100) / 900)) for t in steps]
    got = _lrs(module, steps)
    if not close(got, wanted, atol=1e-7):
        raise AssertionError(f"lr_at at steps {steps} gives {[round(v, 6) for v in got]}, the note {[round(v, 6) for v in wanted]}")


def check_step_decay(module):
    """lr up to 50% of STEPS, 0.1*lr up to 75%, 0.01*lr after."""
    steps = (1, 499, 501, 749, 751, 1000)
    wanted = [LR, LR, LR * 0.1, LR * 0.1, LR * 0.01, LR * 0.01]
    got = _lrs(module, steps)
    if not close(got, wanted, atol=1e-9):
        raise AssertionError(f"lr_at at steps {steps} gives {got}, the note {wanted}")


# ---- architectures ----

def _shaped_model(module, in_dim, x, out_dim):
    torch.manual_seed(0)
    model = need(module, "build_model")(in_dim, 16, out_dim).eval()
    with torch.no_grad():
        out = model(x)
    if tuple(out.shape) != (len(x), out_dim):
        raise AssertionError(f"on a batch of shape {tuple(x.shape)} the model returns {tuple(out.shape)}")
    return model


def _tokens(n=8):
    T, V = SEQUENCE
    return F.one_hot(torch.randint(0, V, (n, T)), V).float()


def check_depthwise_conv(module):
    """On (B, 1, 8, 8) images: depthwise 3x3 (groups = channels) and pointwise 1x1 convs; no full 3x3 conv after the first."""
    model = _shaped_model(module, IMAGE, torch.randn(8, *IMAGE), 10)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not any(c.groups == c.in_channels > 1 and c.kernel_size == (3, 3) for c in convs):
        raise AssertionError("no depthwise 3x3 conv (groups = in_channels)")
    if not any(c.kernel_size == (1, 1) for c in convs):
        raise AssertionError("no pointwise 1x1 conv")
    if any(c.kernel_size == (3, 3) and c.groups == 1 and c.in_channels > 1 for c in convs):
        raise AssertionError("a full 3x3 conv is left after the first layer")


def check_coordconv(module):
    """The first conv sees the image and two coordinate channels (row, column) scaled to [-1, 1]."""
    torch.manual_seed(0)
    model = need(module, "build_model")(IMAGE, 16, 10).eval()
    seen = []
    hooks = [m.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach()))
             for m in model.modules() if isinstance(m, nn.Conv2d)]
    x = torch.randn(8, *IMAGE)
    out = model(x)
    for hook in hooks:
        hook.remove()
    if tuple(out.shape) != (8, 10) or not seen:
        raise AssertionError("the model does not map (B, 1, 8, 8) images to (B, 10) through a Conv2d")
    first = seen[0]
    if first.shape[1] != 3:
        raise AssertionError(f"the first conv gets {first.shape[1]} channels, not image + 2 coordinates")
    grid = torch.linspace(-1, 1, 8)
    rows, cols = grid[:, None].expand(8, 8), grid[None, :].expand(8, 8)
    channels = [first[:, c] for c in range(3)]
    wanted = (x[:, 0], rows.expand(8, 8, 8), cols.expand(8, 8, 8))
    if not all(any(close(c, w) for c in channels) for w in wanted):
        raise AssertionError("the channels are not the image, the row coordinate and the column coordinate in [-1, 1]")


def check_attention_pooling(module):
    """On (B, T, V) one-hot sequences; no position information: permuting the time steps keeps the output."""
    x = _tokens()
    model = _shaped_model(module, SEQUENCE, x, CLASSES)
    if any(isinstance(m, nn.RNNBase) for m in model.modules()):
        raise AssertionError("a recurrent layer is left; the note replaces it by attention")
    with torch.no_grad():
        if not close(model(x), model(x[:, torch.randperm(x.shape[1])]), atol=1e-5):
            raise AssertionError("the output depends on the order of time steps: position information is used")


def check_dilated_tcn(module):
    """On (B, T, V) sequences: 1-D convs over time, kernel 3, dilations 1, 2, 4; no recurrent layer."""
    model = _shaped_model(module, SEQUENCE, _tokens(), CLASSES)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    if {c.dilation[0] for c in convs if c.kernel_size == (3,)} != {1, 2, 4}:
        raise AssertionError("the kernel-3 Conv1d layers do not have dilations 1, 2 and 4")
    if any(isinstance(m, nn.RNNBase) for m in model.modules()):
        raise AssertionError("a recurrent layer is left; the note replaces it by convolutions")


CHECKS = {name[len("check_"):]: fn for name, fn in globals().items() if name.startswith("check_") and callable(fn)}


def run_check(module, spec):
    """'name' or 'name:arg' -> "ok" or the reason it failed."""
    name, _, arg = spec.partition(":")
    try:
        CHECKS[name](module, *([arg] if arg else []))
        return "ok"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]


def main():
    specs, path = sys.argv[1].split(","), sys.argv[2]
    try:
        module = load(path)
    except Exception as exc:
        print(json.dumps({spec: f"cannot load: {type(exc).__name__}: {exc}" for spec in specs}))
        return
    print(json.dumps({spec: run_check(module, spec) for spec in specs}))


if __name__ == "__main__":
    main()
