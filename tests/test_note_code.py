"""Hooks written from a note's own Python code (guards/note_code.py), called with the hook's values and run."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from agentnotes.experiments.guards.formula_code import program_reply, written_by_program
from agentnotes.experiments.guards.note_code import code_body
from agentnotes.experiments.guards.skeleton import fill, skeleton_for
from agentnotes.experiments.guards.static_check import blocking, check_idea_code

# Invented notes, each giving its idea as code.
HEAVY_BALL = """# Heavy ball with a leak

```python
@torch.no_grad()
def leaky_step(w, grad, buf, lr, leak=0.5):
    buf.mul_(leak).add_(grad)
    w.sub_(lr * buf)
```
"""
SHRINK_EVERY_STEP = """# Shrink the rows after every step

After every optimizer step:

```python
@torch.no_grad()
def shrink(model, keep=0.5):
    low = keep * 0.5
    for name, q in model.named_parameters():
        if q.dim() < 2:
            continue
        q.mul_(keep).clamp_(min=low)
```
"""
FLOOR_ON_W = """# Entries floored after every step

After every optimizer step, on each weight matrix:

```
W.copy_(torch.clamp(W, min=floor))
```

floor = -0.25
"""
SHUFFLED_FEATURES = """# Shuffle the features

```python
def shuffle(x):
    return x.flip(-1)
```
"""
IN_THE_SETUP = """# Nudge

Setup:
```python
for p in model.parameters():
    p.data -= lr * p.grad
```
"""


def _written(note: str, kinds: list[str]) -> dict:
    """The filled skeleton's namespace, after checking the program wrote every function and the checks pass."""
    skeleton = skeleton_for(kinds, note)
    code = fill(skeleton, program_reply(skeleton, "", note))
    assert written_by_program(skeleton, code) and not blocking(check_idea_code(code, kinds, [])), code
    namespace = {"torch": torch, "F": F, "nn": torch.nn, "math": __import__("math")}
    exec(code, namespace)
    return namespace


def test_a_function_is_called_with_the_hooks_values_and_its_kept_tensor_from_the_parameters_state() -> None:
    update, state, w = _written(HEAVY_BALL, ["update_rule"])["update"], {}, torch.zeros(2)
    update(w, torch.tensor([1.0, -2.0]), state, 0.1, 1)
    update(w, torch.tensor([1.0, -2.0]), state, 0.1, 2)
    assert torch.allclose(state["buf"], torch.tensor([1.5, -3.0]))  # leaked by half, then the gradient added
    assert torch.allclose(w, torch.tensor([-0.25, 0.5]))


def test_a_functions_input_named_as_the_hooks_parameter_but_given_a_number_is_renamed() -> None:
    note = ("# Power step\n\nRule, with the exponent swept, p ∈ {0.5, 1, 2} (here p = 2):\n\n```python\n"  # invented
            "def power_step(w, g, m, p, lr, beta=0.5):\n    m.mul_(beta).add_(g)\n"
            "    w.sub_(lr * m.sign() * m.abs().pow(p))\n```\n")
    update, state, w = _written(note, ["update_rule"])["update"], {}, torch.zeros(2)
    update(w, torch.tensor([1.0, -2.0]), state, 0.1, 1)
    assert torch.allclose(w, torch.tensor([-0.1, 0.4]))  # squared: the notes' p, not the parameter


def test_a_loop_over_the_models_parameters_runs_on_each_parameter_after_what_comes_before_it() -> None:
    weight_op = _written(SHRINK_EVERY_STEP, ["weight_op"])["weight_op"]
    matrix, bias = torch.tensor([[1.0, 0.2]]), torch.ones(2)
    weight_op(matrix, {}, 1)
    weight_op(bias, {}, 1)  # skipped by the loop's `continue`
    assert matrix.tolist() == [[0.5, 0.25]] and bias.tolist() == [1.0, 1.0]


def test_statements_on_a_weight_matrix_take_the_notes_constant_and_leave_the_biases_alone() -> None:
    body, _ = code_body("weight_op", FLOOR_ON_W)
    assert "floor = -0.25  # from the notes" in body and "W = p" in body
    weight_op = _written(FLOOR_ON_W, ["weight_op"])["weight_op"]
    matrix, bias = torch.tensor([[-1.0, 1.0]]), torch.tensor([-1.0])
    weight_op(matrix, {}, 1)
    weight_op(bias, {}, 1)
    assert matrix.tolist() == [[-0.25, 1.0]] and bias.tolist() == [-1.0]


def test_a_batch_change_of_the_inputs_keeps_the_targets() -> None:
    transform_batch = _written(SHUFFLED_FEATURES, ["data"])["transform_batch"]
    x, y = transform_batch(torch.tensor([[1.0, 2.0]]), torch.tensor([3]), 1)
    assert x.tolist() == [[2.0, 1.0]] and y.tolist() == [3]


ROW_FLIP_PER_CLASS = """# Flip rows within a class

```python
def flip_rows(x, y):           # x: (B, 2, 2)
    out = x.clone()
    out[y == 1] = x[y == 1].flip(1)
    return out
```
"""


def test_a_batch_change_reading_the_targets_gets_its_inputs_in_the_shape_its_comment_gives() -> None:
    transform_batch = _written(ROW_FLIP_PER_CLASS, ["data"])["transform_batch"]
    x, y = transform_batch(torch.tensor([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]), torch.tensor([0, 1]), 1)
    assert x.tolist() == [[1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 1.0, 2.0]]  # flat as the batch came, rows of 2×2 flipped
    assert y.tolist() == [0, 1]  # the function returns the inputs only: the targets are kept


NEGATED = """# Negate the inputs sometimes

```python
def negate(x):
    return -x
```
"""


def test_a_change_the_notes_apply_only_sometimes_is_applied_so() -> None:
    torch.manual_seed(0)
    x, y = torch.ones(400, 3), torch.zeros(400, dtype=torch.long)
    each = _written(NEGATED + "以概率 p = 0.25 应用，否则保留原图。", ["data"])["transform_batch"]
    changed, kept = each(x, y, 1)
    assert torch.equal(kept, y) and bool(((changed[:, 0] < 0) == (changed[:, 2] < 0)).all())  # an example whole
    assert 0.15 < float((changed[:, 0] < 0).float().mean()) < 0.35  # about a quarter of the examples
    whole = _written(NEGATED + "Applied to half the batches.", ["data"])["transform_batch"]
    outputs = [whole(x, y, step)[0] for step in range(200)]
    assert all(bool((out < 0).all()) or bool((out > 0).all()) for out in outputs)  # a whole batch
    assert 60 < sum(bool((out < 0).all()) for out in outputs) < 140  # about half of them
    always = _written(NEGATED.replace("def negate(x):", "def negate(x, p=0.3):") + "以概率 p = 0.3 应用", ["data"])
    assert bool((always["transform_batch"](x, y, 1)[0] < 0).all())  # the function draws its own chance: called as it is


def test_a_loss_function_of_an_output_named_otherwise_and_the_targets_gets_the_networks_output() -> None:
    note = "# Margin to a target\n\n```python\ndef margin_loss(z, y, m=1.5):\n    zy = z.gather(1, y[:, None]).squeeze(1)\n" \
           "    return ((zy - z.logsumexp(dim=1)) + m).pow(2).mean()\n```\n"
    compute_loss = _written(note, ["loss"])["compute_loss"]
    z, y = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 1])
    expected = ((z.gather(1, y[:, None]).squeeze(1) - z.logsumexp(dim=1)) + 1.5).pow(2).mean()
    assert torch.allclose(compute_loss(z, y, 1), expected)


QUIET_OPTIMIZER = """# Quiet-coordinate boost

```python
class QuietBoost(torch.optim.Optimizer):
    def __init__(self, params, lr=0.1, rho=0.5):
        super().__init__(params, dict(lr=lr, rho=rho))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["s"] = torch.zeros_like(p)
                st["s"].mul_(group["rho"]).add_(p.grad.abs())
                p.add_(p.grad / (1 + st["s"]), alpha=-group["lr"])
```
"""


def test_a_notes_optimizer_class_runs_its_loop_body_as_the_hook_with_its_own_settings() -> None:
    update, state = _written(QUIET_OPTIMIZER, ["update_rule"])["update"], {}
    w, g = torch.zeros(2, requires_grad=True), torch.tensor([1.0, -2.0])
    w.grad = g
    with torch.no_grad():
        update(w, g, state, 0.5, 1)
        update(w, g, state, 0.5, 2)
    s1, s2 = g.abs(), 0.5 * g.abs() + g.abs()  # rho from the class's default, lr the hook's
    assert torch.allclose(state["s"], s2)
    assert torch.allclose(w.detach(), -0.5 * g / (1 + s1) - 0.5 * g / (1 + s2))
    unknown = QUIET_OPTIMIZER.replace('group["rho"]', 'group["mystery"]')
    assert code_body("update_rule", unknown) is None  # a setting with no default


def test_a_loop_pairing_each_parameter_with_its_buffer_keeps_the_buffer_in_its_state() -> None:
    paired = ("```python\n@torch.no_grad()\ndef step(params, bufs, lr, beta=0.8):\n"
              "    for p, m in zip(params, bufs):\n        m.mul_(beta).add_(p.grad.sign())\n        p.add_(m, alpha=-lr)\n```")
    body = code_body("update_rule", paired)
    assert body is not None and "m = state.setdefault('m', torch.zeros_like(p))" in body[0]
    namespace: dict = {"torch": torch}
    exec("def update(p, g, state, lr, t):\n" + "\n".join("    " + line for line in body[0].splitlines()), namespace)
    p, state = torch.nn.Parameter(torch.zeros(2)), {}
    p.grad = torch.tensor([1.0, -1.0])
    with torch.no_grad():
        namespace["update"](p, p.grad, state, 0.1, 1)
        namespace["update"](p, p.grad, state, 0.1, 2)
    assert torch.allclose(p.detach(), torch.tensor([-0.28, 0.28]))  # m = 1, then 0.8 + 1: kept between the steps
    assert code_body("update_rule", paired.replace("zip(params, bufs)", "zip(layers, bufs)")) is None  # not the parameters


def test_code_in_an_aside_or_with_an_input_nothing_gives_is_left_to_the_model() -> None:
    assert code_body("update_rule", IN_THE_SETUP) is None  # the setup's, not the idea's
    assert code_body("update_rule", "```python\ndef step(w, g, lr, mystery):\n    w.sub_(lr * g * mystery)\n```") is None
    kept = "```python\ndef step(w, g, lr, prev):\n    w.sub_(lr * (g + prev))\n    prev.copy_(g)\n```"
    assert code_body("update_rule", kept) is not None  # a tensor the function keeps (changes) between steps
    assert code_body("data", "```python\ndef mix(x, mystery):\n    return x * mystery\n```") is None  # no kept tensor in data
    assert code_body("weight_op", "```\nW.copy_(W * unknown_scale)\n```") is None  # a constant the notes never give
    assert code_body("update_rule", "```python\ndef norm(w, g):\n    print(g.norm())\n```") is None  # changes nothing


SCALED_LAYER = """# A linear layer with a learned input scale

```python
class ScaledLinear(nn.Module):
    def __init__(self, d_in, d_out, start=2.0):
        super().__init__()
        self.inner = nn.Linear(d_in, d_out)
        self.scale = nn.Parameter(torch.full((d_in,), start))

    def forward(self, x):
        return self.inner(x * self.scale)
```
"""


def test_a_layer_class_of_the_notes_is_the_layer_with_its_own_parameters_only() -> None:
    layer = _written(SCALED_LAYER, ["layer"])["IdeaLinear"](3, 2)
    assert sorted(name for name, _ in layer.named_parameters()) == ["layer.inner.bias", "layer.inner.weight", "layer.scale"]
    x = torch.ones(4, 3)
    out = layer(x)
    assert out.shape == (4, 2)
    assert torch.allclose(out, layer.layer.inner(2 * x))  # the notes' forward, at its start value


SLEW_LIMITED = """# Step growth limited per coordinate

kappa = 2, delta = 0.1.

```python
raw = -lr * g
cap = kappa * prev_step.abs() + delta
step = torch.maximum(torch.minimum(raw, cap), -cap)
p.add_(step); prev_step.copy_(step)
```
"""


def test_statements_keep_a_tensor_they_read_before_changing_it_in_the_parameters_state() -> None:
    update, state, w = _written(SLEW_LIMITED, ["update_rule"])["update"], {}, torch.zeros(2)
    update(w, torch.tensor([-10.0, 0.5]), state, 1.0, 1)
    assert torch.allclose(w, torch.tensor([0.1, -0.1]))  # capped at delta from a zero last step
    update(w, torch.tensor([-10.0, 0.5]), state, 1.0, 2)
    assert torch.allclose(state["prev_step"], torch.tensor([0.3, -0.3]))  # kappa * 0.1 + delta
    assert torch.allclose(w, torch.tensor([0.4, -0.4]))


def test_a_layer_class_built_from_a_permutation_is_not_built_from_the_layers_sizes() -> None:
    from agentnotes.experiments.guards.note_code import layer_class_bodies

    permuted = ("```python\nclass PermLinear(nn.Module):\n    def __init__(self, perm, d_out):\n        super().__init__()\n"
                "        self.lin = nn.Linear(len(perm), d_out)\n        self.register_buffer('perm', perm)\n"
                "    def forward(self, x):\n        return self.lin(x[:, self.perm])\n```\n")
    sized = permuted.replace("perm, d_out", "d_in, d_out").replace("len(perm)", "d_in").replace(
        "self.register_buffer('perm', perm)", "self.perm = torch.arange(d_in)")
    assert layer_class_bodies(permuted) is None  # a permutation is no size: the program leaves it to the model
    assert layer_class_bodies(sized) is not None


GAINED_ACTIVATION = """# A tanh with a learned gain per unit

```python
class GainTanh(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.g = nn.Parameter(torch.full((c,), 2.0))
    def forward(self, x):
        return torch.tanh(self.g * x)
```
"""


def test_an_activation_class_of_the_notes_is_the_activation_built_with_the_layers_width() -> None:
    activation = _written(GAINED_ACTIVATION, ["activation"])["IdeaActivation"](3)
    x = torch.randn(4, 3)
    assert torch.allclose(activation(x), torch.tanh(2.0 * x))
    assert [tuple(p.shape) for p in activation.parameters()] == [(3,)]  # one gain per unit, learnable


def test_a_code_block_cut_where_a_passage_ends_is_read_where_the_next_passage_has_it_whole() -> None:
    from agentnotes.experiments.guards.note_code import code_blocks

    cut = "```python\ndef f(x):\n    y = x + 1"
    whole = "```python\ndef f(x):\n    y = x + 1\n    return y\n```\n\n```\nplain = 1\n```\n```text\nnot python\n```"
    assert code_blocks(cut + "\n\n" + whole) == ["def f(x):\n    y = x + 1\n    return y", "plain = 1"]


def test_a_chunk_keeps_the_indentation_of_its_first_line() -> None:
    from agentnotes.notes.chunker import chunk_note
    from agentnotes.notes.types import NoteFile

    code = "\n".join(f"    value_{i} = torch.zeros(8, 8) + {i}  # a long enough line of code" for i in range(12))
    chunks = chunk_note(NoteFile("n.md", f"# N\n\n```python\ndef f():\n{code}\n```\n", "utf-8", "0"))
    assert len(chunks) > 1 and all(c.text.startswith(("#", "```", "    ")) for c in chunks)


def test_once_what_the_program_wrote_failed_the_model_writes_the_next_attempt() -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from agentnotes.agents.experimenter import Plan, write_idea_body
    from agentnotes.notes.types import Chunk, Hit
    from agentnotes.prompts import load_prompt

    hits = [Hit(Chunk("/n/ideas.md", 1, 9, HEAVY_BALL, ("Heavy ball with a leak",)), 1.0)]
    plan = Plan(idea_name="leak", hypothesis="h", idea_rule="buf = leak*buf + grad; w -= lr*buf".ljust(30),
                kinds=["update_rule"], baseline="sgd", task="classification", metric="test_accuracy")
    model_code = "```python\ndef update(p, g, state, lr, t):\n    p.sub_(lr * g)  # the model's\n```"
    skeleton = skeleton_for(["update_rule"], HEAVY_BALL)
    by_program, _ = write_idea_body(FakeListChatModel(responses=[model_code]), load_prompt("write_idea_body"), plan, hits,
                                    skeleton)
    by_model, _ = write_idea_body(FakeListChatModel(responses=[model_code]), load_prompt("write_idea_body"), plan, hits,
                                  skeleton, by_program=False)
    assert "leaky_step" in by_program and "the model's" not in by_program
    assert "the model's" in by_model and "leaky_step" not in by_model


def test_a_failure_of_what_the_program_wrote_turns_the_program_off_for_the_run() -> None:
    from agentnotes.pipeline.experiment import _CodeWriter

    skeleton = skeleton_for(["update_rule"], HEAVY_BALL)
    writer = _CodeWriter.__new__(_CodeWriter)  # only the failure bookkeeping is exercised
    writer.skeleton, writer.failed, writer.program_failed = skeleton, set(), False
    writer.last_written = fill(skeleton, "def update(p, g, state, lr, t):\n    p.sub_(lr * g)\n")  # the model's
    writer.record_failure()
    assert not writer.program_failed
    writer.last_written = fill(skeleton, program_reply(skeleton, "", HEAVY_BALL))
    writer.record_failure()
    assert writer.program_failed


def test_a_function_reading_names_the_notes_never_define_or_hiding_the_harness_names_it_uses_is_not_called() -> None:
    from agentnotes.experiments.guards.note_code import code_body

    partial = "```python\ndef loss1(p, x, y):\n    return F.cross_entropy(functional_call(net, p, (x,)), y)\n```"
    hiding = ("```python\ndef ecdf_gelu(x, c=0.3):\n    F = torch.sigmoid(x / c)\n    return x * F\n```")
    own = hiding.replace("F = ", "cdf = ").replace("x * F", "x * cdf")
    assert code_body("update_rule", partial) is None  # functional_call and net: code the notes left out
    assert code_body("activation", hiding) is not None  # its own value named F, read as that value only
    as_module = hiding.replace("return x * F", "return F.relu(x) * F")
    assert code_body("activation", as_module) is None  # F would hide torch.nn.functional where it reads F.relu
    assert code_body("activation", own) is not None
    assert code_body("data", "```python\ndef flip(x):\n    return x * random.choice([1.0, -1.0])\n```") is not None  # imported
    as_input = "```python\ndef shift_step(W, F, beta=1.0):\n    F.mul_(0.9).add_(W)\n    return W + beta * F\n```"
    assert code_body("weight_op", as_input) is None  # an input named F hides it too
    assert code_body("weight_op", as_input.replace("F", "D")) is not None


def test_a_functions_input_the_notes_give_a_number_is_passed_that_number() -> None:
    from agentnotes.experiments.guards.note_code import code_body

    note = ("```python\ndef stairs(t, T, eta0, k):\n    i = min(int(k * t / T), k - 1)\n    return eta0 * (1 - i / k)\n```\n"
            "k ∈ {2, 4, 8}，外加 k = T（连续的）。")  # invented; "外加 k = T" is one more arm, not k's value
    body, _ = code_body("schedule", note)
    assert body.splitlines()[-1] == "return stairs(step=step, STEPS=STEPS, lr=lr, k=4)"
    assert code_body("schedule", note.replace("k ∈ {2, 4, 8}，外加 k = T（连续的）。", "")) is None  # k: nothing gives it
    alone = "```python\ndef perm(T):\n    return list(range(T, 0, -1))\n```\nT = 16"
    assert code_body("loss", alone) is None  # only numbers of the notes, none of the hook's values: no function of them


def test_a_function_of_the_notes_the_code_calls_and_never_defines_is_defined_as_the_notes_write_it() -> None:
    from agentnotes.experiments.guards.note_code import define_note_functions

    note = ("# Sharpened displacement every 10 steps\n```python\ndef sharpen(D, k=3):\n    return D.sign() * D.abs() ** (1 / k)\n\n"
            "def rescaled(D):\n    S = sharpen(D)\n    return S * D.norm() / (S.norm() + EPS)\n\ndef unused(x):\n    return x\n```\n"
            "EPS = 1e-8\n")  # invented
    code = "import torch\n\ndef after_step(model, step):\n    for p in model.parameters():\n        p.copy_(rescaled(p))\n"
    from agentnotes.experiments.guards.constants import define_note_constants

    fixed, fixes = define_note_functions(code, note)
    fixed = define_note_constants(fixed, note)[0]  # as the pipeline does next: the notes' EPS
    namespace: dict = {"torch": torch}
    exec(fixed, namespace)
    assert {"rescaled", "sharpen"} <= set(namespace) and "unused" not in namespace
    D = torch.tensor([8.0, -1.0])
    assert torch.allclose(namespace["rescaled"](D), D.sign() * D.abs() ** (1 / 3) * D.norm() / (torch.tensor([2.0, -1.0]).norm() + 1e-8))
    assert [fix.after for fix in fixes] == ["rescaled: the notes' own function", "sharpen: the notes' own function"]
    assert define_note_functions(code.replace("rescaled(p)", "p * 0.5"), note) == (code.replace("rescaled(p)", "p * 0.5"), [])
    # a function reading a name the notes never give is not the notes' whole function: left to the model
    assert define_note_functions(code, note.replace("EPS = 1e-8\n", ""))[1] == []


def test_a_functions_input_named_like_the_parameter_that_the_notes_give_numbers_is_no_parameter() -> None:
    note = ("# Powered singular values\n```python\ndef spow(M, p):\n    U, S, Vh = torch.linalg.svd(M, full_matrices=False)\n"
            "    return (U * S ** p) @ Vh\n```\np ∈ {0, 0.5, 1}")  # invented
    assert code_body("update_rule", note) is None  # p is the exponent: the model writes the rule


MEDIAN_NORM = """# Median-centred norm with a gain per feature

```python
class MedianNorm(nn.Module):
    # each sample centred on its median feature, scaled by its mean absolute deviation
    def __init__(self, d):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(d))
    def forward(self, h):
        m = h.median(dim=1, keepdim=True).values
        return self.gain * (h - m) / ((h - m).abs().mean(dim=1, keepdim=True) + 1e-5)
```
"""  # invented


def test_a_norm_class_of_the_notes_is_the_normalisation_built_with_the_layers_width() -> None:
    norm = _written(MEDIAN_NORM, ["layer"])["IdeaNorm"](3)
    z = torch.tensor([[1.0, 2.0, 6.0]])
    assert torch.allclose(norm(z), torch.tensor([[-1.0, 0.0, 4.0]]) / (5.0 / 3 + 1e-5))
    assert [tuple(p.shape) for p in norm.parameters()] == [(3,)]


DELAYED_OPTIMIZER = """# Two-step echo

```python
from collections import deque

class EchoSGD(torch.optim.Optimizer):
    def __init__(self, params, lr=0.1, depth=2):
        super().__init__(params, dict(lr=lr, depth=depth))
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["past"] = deque(maxlen=depth)

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            half = group["lr"] / 2
            for p in group["params"]:
                past = self.state[p]["past"]
                past.append(p.grad.clone())
                p.add_(past[0], alpha=-half)
```
"""


def test_a_notes_optimizer_that_starts_its_state_in_init_and_imports_what_it_keeps_runs_as_the_hook() -> None:
    # invented note: the state started in __init__, a group setting read before the parameters' loop, an import
    update, state = _written(DELAYED_OPTIMIZER, ["update_rule"])["update"], {}
    w = torch.zeros(2, requires_grad=True)
    grads = [torch.tensor([1.0, -2.0]), torch.tensor([3.0, 4.0]), torch.tensor([5.0, 6.0])]
    with torch.no_grad():
        for t, g in enumerate(grads, 1):
            w.grad = g
            update(w, g, state, 0.5, t)
    # steps use the oldest of the last two gradients: g1, g1, g2
    assert torch.allclose(w.detach(), -0.25 * (grads[0] + grads[0] + grads[1]))
    assert code_body("update_rule", DELAYED_OPTIMIZER.replace("maxlen=depth", "maxlen=size")) is None  # given by nothing


PEAK_BUFFER = """# A buffer that keeps the larger of its decayed self and the gradient

- m ← g where the signs differ, else the larger of β·m and g
- w ← w − η·m

```python
@torch.no_grad()
def hold_(m, g, beta=0.5):
    dm = beta * m
    keep = (torch.sign(dm) == torch.sign(g)) & (dm.abs() > g.abs())
    m.copy_(torch.where(keep, dm, g))
```
"""


def test_a_function_changing_only_its_kept_tensor_is_followed_by_the_step_the_notes_write_with_it() -> None:
    update, state, w = _written(PEAK_BUFFER, ["update_rule"])["update"], {}, torch.zeros(2)
    update(w, torch.tensor([4.0, 1.0]), state, 0.1, 1)
    update(w, torch.tensor([1.0, -1.0]), state, 0.1, 2)
    assert torch.allclose(state["m"], torch.tensor([2.0, -1.0]))  # held at β·4, then reset by a flipped sign
    assert torch.allclose(w, torch.tensor([-0.6, 0.0]))
    # Without the step line, nothing says how the kept tensor moves the weights: left to the model.
    assert code_body("update_rule", PEAK_BUFFER.replace("- w ← w − η·m\n", "")) is None


OCCUPANCY = """# Rescaled by how many units are on

Right after the ReLU, per sample:

    def occ(z, tau=0.5, rho0=0.5):
        n = torch.sigmoid(z / tau).sum(-1, keepdim=True)
        return F.relu(z) * torch.sqrt(rho0 * z.shape[-1] / (n + 1))

- a list item
    continued, not code
"""


def test_an_indented_code_block_is_the_notes_code_and_a_function_of_the_pre_activations_the_norm() -> None:
    from agentnotes.experiments.guards.note_code import code_blocks

    assert code_blocks(OCCUPANCY) == ["    def occ(z, tau=0.5, rho0=0.5):\n        n = torch.sigmoid(z / tau).sum(-1, keepdim=True)\n"
                                      "        return F.relu(z) * torch.sqrt(rho0 * z.shape[-1] / (n + 1))"]
    skeleton = skeleton_for(["layer"], "# Occupancy norm\n" + OCCUPANCY)
    assert skeleton.name == "norm"
    code = fill(skeleton, program_reply(skeleton, "", OCCUPANCY))
    assert written_by_program(skeleton, code) and not blocking(check_idea_code(code, ["layer"], [])), code
    namespace = {"torch": torch, "F": F, "nn": torch.nn}
    exec(code.split("\ndef build_model")[0], namespace)
    z = torch.tensor([[1.0, -1.0, 2.0, -2.0]])
    n = torch.sigmoid(z / 0.5).sum()
    assert torch.allclose(namespace["IdeaNorm"](4)(z), F.relu(z) * torch.sqrt(0.5 * 4 / (n + 1)))


MIRROR_STEP = """# A mirror step through asinh

```python
@torch.no_grad()
def mirror_step(params, lr, beta):
    for p in params:
        if p.grad is None: continue
        theta = torch.asinh(p / beta) - lr * p.grad
        p.copy_(beta * torch.sinh(theta))
```

默认 β = 0.5。
"""


def test_a_loop_over_a_functions_list_of_parameters_runs_on_each_parameter() -> None:
    update = _written(MIRROR_STEP, ["update_rule"])["update"]
    w = torch.tensor([0.0, 1.0], requires_grad=True)
    w.grad = torch.tensor([1.0, -1.0])
    with torch.no_grad():
        update(w, w.grad, {}, 0.1, 1)
    expected = 0.5 * torch.sinh(torch.asinh(torch.tensor([0.0, 1.0]) / 0.5) - 0.1 * torch.tensor([1.0, -1.0]))
    assert torch.allclose(w.detach(), expected)


OWN_RATE = """# Sign-integral step

```python
@torch.no_grad()
def step(params, state, lr_p=0.05, rho=0.5):
    for p in params:
        s = state.setdefault(p, torch.zeros_like(p))
        s.mul_(rho).add_(p.grad.sign(), alpha=1 - rho)
        p.add_(p.grad + s, alpha=-lr_p)
```
"""


def test_a_functions_own_rate_is_the_rate_the_lab_tunes() -> None:
    update = _written(OWN_RATE, ["update_rule"])["update"]
    w = torch.zeros(2, requires_grad=True)
    w.grad = torch.tensor([1.0, -2.0])
    with torch.no_grad():
        update(w, w.grad, {}, 0.1, 1)  # the tuned rate 0.1, not the note's 0.05
    assert torch.allclose(w.detach(), -0.1 * (torch.tensor([1.0, -2.0]) + 0.5 * torch.tensor([1.0, -1.0])))


ASYMMETRIC = """# Steps toward zero scaled by ρ

- sweep ρ ∈ {0.5, 1, 2}; ρ = 1 就是普通 SGD+momentum.

```python
with torch.no_grad():
    for p in params:
        buf = state[p].mul_(0.9).add_(p.grad)
        scale = torch.where(p * buf > 0, rho, 1.0)
        p.add_(-lr * buf * scale)
```
"""


def test_a_loop_reading_each_parameters_buffer_from_a_state_keyed_by_it_starts_the_buffer_at_zero() -> None:
    update = _written(ASYMMETRIC, ["update_rule"])["update"]
    w, state = torch.tensor([1.0, -1.0], requires_grad=True), {}
    w.grad = torch.tensor([1.0, 1.0])
    with torch.no_grad():
        update(w, w.grad, state, 0.1, 1)  # ρ = 2, not the baseline's 1: toward zero for the first, away for the second
    assert torch.allclose(w.detach(), torch.tensor([1.0 - 0.2, -1.0 - 0.1]))


def test_a_loss_function_of_the_class_prior_gets_the_training_sets_class_counts() -> None:
    note = "# Prior-shifted logits\n\n```python\ndef shifted_loss(logits, y, log_prior, tau=1.0):\n" \
           "    return F.cross_entropy(logits + tau * log_prior, y)\n```\n"  # invented
    written = _written(note, ["loss"])
    counts = torch.tensor([30.0, 10.0])
    written["CLASS_COUNTS"] = counts  # the harness sets it for each run
    z, y = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 1])
    assert torch.allclose(written["compute_loss"](z, y, 1), F.cross_entropy(z + torch.log(counts / counts.sum()), y))
