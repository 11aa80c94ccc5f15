"""Static checks of idea code: safety rules, the hook interface, and the plain mistakes of small models."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agentnotes.experiments import check_idea_code, describe_interface, format_problems
from agentnotes.experiments.guards.static_check import ALLOWED_MODULES, HOOK_ARITY, blocking
from agentnotes.experiments.lab.template import hook_names

IDEAS = Path(__file__).parent / "ideas"
HOOK = "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim)\n"


def _kinds(code: str) -> list[tuple[str, int | None]]:
    return [(p.kind, p.line) for p in check_idea_code(textwrap.dedent(code))]


@pytest.mark.parametrize("path", sorted(IDEAS.glob("*.py")), ids=lambda p: p.stem)
def test_reference_ideas_pass(path: Path) -> None:
    assert check_idea_code(path.read_text()) == []


@pytest.mark.parametrize(
    ("snippet", "kind"),
    [
        ("def after_step(model, step):\n    open('/etc/passwd').read()\n", "forbidden"),
        ("import os\n" + HOOK, "import"),
        ("import socket\n" + HOOK, "import"),
        ("import subprocess\n" + HOOK, "import"),
        ("from subprocess import run\n" + HOOK, "import"),
        ("import requests\n" + HOOK, "import"),
        ("import torch.hub\n" + HOOK, "forbidden"),
        ("from torch import load\n" + HOOK, "forbidden"),
        ("def after_step(model, step):\n    __import__('os').system('id')\n", "forbidden"),
        ("def after_step(model, step):\n    eval('1 + 1')\n", "forbidden"),
        ("def after_step(model, step):\n    exec('x = 1')\n", "forbidden"),
        ("def after_step(model, step):\n    compile('1', 'f', 'eval')\n", "forbidden"),
        ("def after_step(model, step):\n    os.system('id')\n", "forbidden"),  # os without import
        ("def after_step(model, step):\n    _os.system('id')\n", "forbidden"),  # the harness's own alias
        ("def after_step(model, step):\n    torch.save(model, 'm.pt')\n", "forbidden"),
        ("def after_step(model, step):\n    torch.hub.load('x', 'y')\n", "forbidden"),
        ("def after_step(model, step):\n    np.save('x.npy', np.zeros(1))\n", "forbidden"),
        ("def after_step(model, step):\n    ().__class__.__bases__[0].__subclasses__()\n", "forbidden"),
        ("def after_step(model, step):\n    getattr(torch, 'lo' + 'ad')('x')\n", "forbidden"),
        ("def after_step(model, step):\n    getattr(model, '__dict__')\n", "forbidden"),
        ("def after_step(model, step):\n    torch.nn.functional.mse_loss = lambda a, b: 0\n", "forbidden"),
        ("def after_step(model, step):\n    setattr(F, 'mse_loss', None)\n", "forbidden"),
        ("def after_step(model, step):\n    print(step)\n", "forbidden"),
    ],
)
def test_unsafe_code_is_rejected_with_its_line(snippet: str, kind: str) -> None:
    found = _kinds(snippet)
    assert any(k == kind for k, _ in found), found
    assert all(line is not None for _, line in found)
    bad_line = next(line for k, line in found if k == kind)
    assert bad_line == (1 if snippet.startswith(("import", "from")) else 2)


def test_good_code_with_common_variants_passes() -> None:
    code = '''
    """A docstring."""
    from __future__ import annotations
    import math
    import torch
    import torch.nn as nn
    from torch import nn as tnn
    import torch.nn.functional as F
    from typing import Optional

    SCALE = 2.0
    NAMES = [f"w{i}" for i in range(2)]


    class Scaled(tnn.Module):
        def __init__(self, in_features, out_features):
            super().__init__()
            for i in range(2):
                setattr(self, f"w{i}", nn.Parameter(torch.zeros(out_features, in_features)))
            self.inner = nn.Linear(in_features, out_features)

        def forward(self, x):
            if self.training:
                return self.inner(x) * SCALE * math.sqrt(LR)
            return F.relu(self.inner(x))


    def build_model(in_dim, hidden, out_dim):
        return mlp(in_dim, hidden, out_dim, linear=Scaled)


    def after_step(model, step, every=10):
        if step % every == 0 and hasattr(model, "reset"):
            getattr(model, "reset")()
    '''
    assert check_idea_code(textwrap.dedent(code)) == []


def test_syntax_error_reports_line() -> None:
    problems = check_idea_code("import torch\n\ndef build_model(in_dim, hidden, out_dim)\n    return None\n")
    assert [(p.kind, p.line) for p in problems] == [("syntax", 3)]
    assert "SyntaxError" in problems[0].message


def test_missing_hook() -> None:
    problems = check_idea_code("import torch\n\nclass Model(torch.nn.Module):\n    def build_model(self, a, b, c):\n        return self\n")
    assert [p.kind for p in problems] == ["no_hook"]
    assert "build_model" in problems[0].message and "top-level" in problems[0].message


@pytest.mark.parametrize(
    ("snippet", "line"),
    [
        ("SEEDS = [1, 2, 3]\n" + HOOK, 1),
        ("def train(model):\n    return model\n" + HOOK, 1),
        ("def evaluate(model):\n    return 1.0\n" + HOOK, 1),
        ("import numpy as torch\n" + HOOK, 1),
        ("def mlp(a, b, c):\n    return None\n" + HOOK, 1),
        (HOOK + "def after_step(model, step):\n    global LR\n    LR = 0.1\n", 4),
        (HOOK + "class M(nn.Module):\n    def between_steps(self, step):\n        LR *= 0.5\n", 4),
    ],
)
def test_harness_names_are_reserved(snippet: str, line: int) -> None:
    assert ("reserved", line) in _kinds(snippet)


def test_a_function_may_read_the_harness_constants_and_bind_its_own_lowercase_names() -> None:
    code = HOOK + "def after_step(model, step):\n    lr = LR / 2\n    record = STEPS\n    return lr * record\n"
    assert [p for p in check_idea_code(code) if p.kind == "reserved"] == []


def test_a_modules_alias_bound_to_a_value_of_the_function_is_reserved_only_where_it_is_read_as_the_module() -> None:
    own = HOOK + "def lr_at(step, lr):\n    F = lambda u: u / 2\n    return lr * (F(1.0) - F(0.5))\n"
    assert [p for p in check_idea_code(own) if p.kind == "reserved"] == []
    hides = HOOK + "def lr_at(step, lr):\n    F = lambda u: u / 2\n    return lr * F.relu(torch.tensor(F(1.0))).item()\n"
    assert [p.kind for p in check_idea_code(hides) if p.kind == "reserved"] == ["reserved"]


@pytest.mark.parametrize(
    ("snippet", "line", "words"),
    [
        (HOOK + 'if __name__ == "__main__":\n    build_model(1, 2, 3)\n', 3, "__main__"),
        (HOOK + "for i in range(10):\n    pass\n", 3, "loop"),
        (HOOK + "model = build_model(8, 64, 1)\n", 3, "build_model"),
        (HOOK + "build_model(8, 64, 1)\n", 3, "top-level"),
    ],
)
def test_top_level_code_is_rejected(snippet: str, line: int, words: str) -> None:
    problems = [p for p in check_idea_code(snippet) if p.kind == "top_level"]
    assert [p.line for p in problems] == [line]
    assert words in problems[0].message


def test_plain_mistakes_are_named() -> None:
    code = textwrap.dedent('''
    import torch.nn as nn


    class Layer(nn.Module):
        def __init__(self, a, b):
            self.w = nn.Parameter(torch.zeros(a, b))


    def build_model(in_dim, out_dim):
        mlp(in_dim, 8, out_dim, linear=MirrorLinear)


    def make_optimizer(params, lr, momentum):
        return torch.optim.SGD(params, lr=lr, momentum=momentum)


    class Wide(nn.Linear):
        def __init__(self, a, b):
            self.extra = 2


    class Plain:
        def __init__(self):
            self.x = 1
    ''')
    found = {(p.kind, p.line) for p in check_idea_code(code)}
    assert ("init", 6) in found  # missing super().__init__
    assert ("signature", 10) in found  # wrong arguments and no return
    assert ("undefined", 11) in found  # MirrorLinear
    assert ("signature", 14) in found  # a required third argument
    assert ("init", 19) in found  # any subclass, not only nn.Module
    assert not any(line == 24 for _, line in found)  # a plain class needs no super().__init__
    text = format_problems(check_idea_code(code))
    assert "line 11: `MirrorLinear` is used but never defined" in text
    assert "`build_model` must take (in_dim, hidden, out_dim); yours takes (in_dim, out_dim)" in text


def test_build_model_may_name_the_training_data_and_nothing_else() -> None:
    def signature_problems(params: str) -> list[str]:
        code = f"def build_model({params}):\n    return baseline_model(8, 8, 1)\n"
        return [p.message for p in check_idea_code(code) if p.kind == "signature"]

    assert signature_problems("in_dim, hidden, out_dim, x") == []
    assert signature_problems("input_dim, width, output_dim, x, y") == []
    assert signature_problems("in_dim, hidden, out_dim, x, y, steps=3") == []
    assert signature_problems("in_dim, hidden, out_dim, data") == [
        "`build_model` takes (in_dim, hidden, out_dim) and may name x and y (the training data); yours also takes data"]


def test_interface_doc_matches_the_checks() -> None:
    doc = describe_interface()
    assert set(HOOK_ARITY) == set(hook_names())
    for hook, args in HOOK_ARITY.items():
        assert f"{hook}({', '.join(args)})" in doc
    for module in ALLOWED_MODULES - {"__future__"}:
        assert module in doc
    assert "mlp(in_dim, hidden, out_dim, linear=nn.Linear, activation=\"baseline\")" in doc
    assert "Idea code interface" not in doc  # the title is dropped, the body kept


def test_a_local_name_read_before_anything_assigns_it_is_undefined_there() -> None:
    found = _kinds("""
        import torch


        def update(p, g, state, lr, t):
            s = s + lr * g
            if t == 1:
                v = torch.zeros_like(p)
            v = state.get("v", torch.zeros_like(p)) if t > 1 else v
            n = 0
            n += 1
            state["s"], state["v"] = s, v
            p.sub_(s * n)


        def make_optimizer(params, lr):
            return torch.optim.SGD(params, lr)
    """)
    assert found == [("undefined", 6)]  # s; v started in a branch and n started before its += are no problem


def test_a_name_bound_only_in_another_function_is_undefined_where_it_is_used() -> None:
    found = _kinds("""
        import torch.nn as nn

        SCALE = 2


        class Gate(nn.Module):
            WIDTH = 3

            def __init__(self, in_features, out_features):
                super().__init__()
                self.linear = nn.Linear(in_features, out_features * SCALE)

            def forward(self, x):
                return self.linear(x) * WIDTH


        def build_model(in_dim, hidden, out_dim):
            return Gate(in_dim, out_features)
    """)
    assert found == [("undefined", 15), ("undefined", 19)]  # WIDTH (a class attribute), out_features


def test_a_called_function_left_as_a_stub_is_named() -> None:
    code = textwrap.dedent('''
    import torch.nn as nn


    class Layer(nn.Linear):
        @torch.no_grad()
        def merge(self):
            """Average the copies."""
            pass


        def unused(self):
            pass


    def after_step(model, step):
        for module in model.modules():
            module.merge()


    def build_model(in_dim, hidden, out_dim):
        return mlp(in_dim, hidden, out_dim, linear=Layer)
    ''')
    stubs = [(p.line, p.message) for p in check_idea_code(code) if p.kind == "stub"]
    assert stubs == [(7, "`merge` is called but does nothing: write what the note says it does")]
    # an empty hook behaves as the baseline does, so it is not a problem
    assert check_idea_code("def after_step(model, step):\n    pass\n") == []


def test_an_output_left_in_a_comment_is_named_but_explanations_are_not() -> None:
    code = textwrap.dedent("""\
        import torch
        import torch.nn as nn


        class Gates(nn.Module):
            def forward(self, x):
                a, b = torch.tanh(5 * x), torch.tanh(5 * x.flip(-1))  # a = tanh(k*x1)
                # h = LR / 2 explains a constant; return the AND gate:
                return (1 + a + b - a * b) / 2  # AND
                # return -a * b  # XOR


        def build_model(in_dim, hidden, out_dim):
            return mlp(in_dim, hidden, out_dim, activation=Gates)
        """)
    found = [(p.line, p.kind) for p in check_idea_code(code, ["activation"]) if p.kind == "commented_code"]
    assert found == [(10, "commented_code")]
    assert "`return -a * b` is left in a comment" in check_idea_code(code, ["activation"])[-1].message
    assert "missing_hook" in {p.kind for p in check_idea_code(code, ["loss", "activation"])}
    assert [p.kind for p in check_idea_code(code, ["architecture"])] == []  # a check written for layers and activations


OPTIMIZER = textwrap.dedent("""\
    import torch


    class Gonnor(torch.optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr})

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        UPDATE


    def make_optimizer(params, lr):
        return Gonnor(params, lr)
    """)


@pytest.mark.parametrize(("update", "suggested"), [
    ("p.copy_(p.grad / p.grad.norm())", "p.sub_(group['lr'] * (p.grad / p.grad.norm()))"),  # the weights become the step
    ("p.data = p.grad / (p.grad.norm() + 1e-8)", "p.sub_(group['lr'] * (p.grad / (p.grad.norm() + 1e-08)))"),
    ("p.sub_(group['lr'] * p.grad / p.grad.norm())", None),
    ("p.copy_(p - group['lr'] * p.grad / p.grad.norm())", None),
    ("p.data.copy_(p.data - group['lr'] * p.grad)", None),
    ("d = p.grad / p.grad.norm()\n                    p.copy_(d)", "p.sub_(group['lr'] * (d))"),  # through a local name
    ("p.copy_(self.state[p].setdefault('slow', p.clone()))", None),  # a weight op: back to a kept copy
    ("slow = self.state[p]['slow']\n                    p.copy_(slow)", None),
    ("w = p - group['lr'] * p.grad\n                    p.copy_(w)", None),
])
def test_an_optimizer_step_that_replaces_the_weights_is_named_with_the_line_to_write(update: str, suggested: str | None) -> None:
    problems = check_idea_code(OPTIMIZER.replace("UPDATE", update), ["update_rule"])
    assert [p.kind for p in problems] == (["overwritten_weights"] if suggested else [])
    assert not suggested or (problems[0].line == 13 + update.count("\n") and f"write `{suggested}` instead" in problems[0].message)
    assert [p for p in check_idea_code(OPTIMIZER.replace("UPDATE", update), ["layer"]) if p.kind == "overwritten_weights"] == []


@pytest.mark.parametrize(("update", "unset"), [
    ("p.sub_(group['lr'] * p.grad / (p.grad.norm() + self.eps))", "eps"),  # a Gonnor run crashed on this
    ("p.sub_(self.defaults['lr'] * p.grad / p.grad.norm())", None),  # set by torch.optim.Optimizer
    ("p.sub_(group['lr'] * p.grad / (p.grad.norm() + self.EPS))", None),  # a class attribute, set below
])
def test_an_attribute_the_class_never_sets_is_named(update: str, unset: str | None) -> None:
    code = OPTIMIZER.replace("UPDATE", update).replace("    def __init__", "    EPS = 1e-8\n\n    def __init__")
    problems = [p for p in check_idea_code(code) if p.kind == "unset_attribute"]
    assert [p.message.split("`")[1] for p in problems] == ([f"self.{unset}"] if unset else [])


def test_a_module_may_read_what_it_registers_or_inherits() -> None:
    code = HOOK + textwrap.dedent("""\
        class Scaled(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("scale", torch.ones(1))

            def forward(self, x):
                return x * self.scale * self.gain if self.training else self.helper(x)

            def helper(self, x):
                return x
        """)
    assert [(p.kind, p.message.split("`")[1]) for p in check_idea_code("import torch\n" + code)] == \
        [("unset_attribute", "self.gain")]


@pytest.mark.parametrize(("returned", "missing"), [
    ("Gonnor(params, lr)", False),
    ("torch.optim.SGD(params, lr=lr)", True),  # the baseline's update rule
    ("Net(params, lr)", True),  # a module named after the idea, built from (params, lr)
])
def test_make_optimizer_must_return_an_optimizer_of_its_own(returned: str, missing: bool) -> None:
    code = OPTIMIZER.replace("UPDATE", "p.sub_(group['lr'] * p.grad)").replace("Gonnor(params, lr)", returned) \
        + "\n\nclass Net(torch.nn.Module):\n    pass\n"
    problems = check_idea_code(code, ["update_rule"])
    assert [p.kind for p in problems] == (["missing_hook"] if missing else [])
    assert check_idea_code(code, ["weight_op"])[0].message.startswith("the idea is a weight_op idea")


def test_a_parameter_named_like_a_forbidden_builtin_is_its_own_name() -> None:
    code = ("class Smooth(nn.Module):\n    def forward(self, input, target):\n        return F.cross_entropy(input, target)\n\n\n"
            "def compute_loss(out, y):\n    return Smooth()(out, y)\n")
    assert [p for p in check_idea_code(code, ["loss"]) if p.kind == "forbidden"] == []
    calls_builtin = "def compute_loss(out, y):\n    input('x')\n    return task_loss(out, y)\n"
    assert [p.kind for p in check_idea_code(calls_builtin, ["loss"])] == ["forbidden"]


def test_a_mix_of_a_value_with_itself_is_a_no_op_and_blocks() -> None:
    mixed = "def transform_batch(x, y, step):\n    lam = 0.3\n    return lam * x + (1 - lam) * x, y\n"
    problems = [p for p in check_idea_code(mixed) if p.kind == "self_mix"]
    assert len(problems) == 1 and blocking(problems) == problems and "`x` unchanged" in problems[0].message
    paired = mixed.replace("(1 - lam) * x,", "(1 - lam) * x[torch.randperm(x.shape[0])],")
    assert not [p for p in check_idea_code(paired) if p.kind == "self_mix"]
    assert not [p for p in check_idea_code("m = beta * m + (1 - beta) * g\n") if p.kind == "self_mix"]


GATED = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Gated(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(o, i))
        self.bias = nn.Parameter(torch.zeros(o))
        self.gate = nn.Parameter(torch.zeros(o, i))

    def forward(self, x):
        return F.linear(x, self.weight, self.bias) * torch.sigmoid(F.linear(x, GATE))


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, linear=Gated)
"""


@pytest.mark.parametrize(("gate", "unused"), [
    ("self.gate", []),
    ("self.weight", ["self.gate"]),  # the gate made, then the layer's own weight used in its place
])
def test_a_parameter_no_code_reads_is_named(gate: str, unused: list[str]) -> None:
    problems = [p for p in check_idea_code(GATED.replace("GATE", gate), ["layer"]) if p.kind == "unused_parameter"]
    assert [p.message.split("`")[1] for p in problems] == unused and all(blocking([p]) for p in problems)


def test_parameters_reached_in_a_loop_are_not_named_unused() -> None:
    code = GATED.replace("GATE", "self.weight") + "\n\ndef after_step(model, step):\n    for p in model.parameters():\n        p.mul_(0.99)\n"
    assert not [p for p in check_idea_code(code, ["layer"]) if p.kind == "unused_parameter"]


@pytest.mark.parametrize(("code", "unchanged"), [
    # the new weights kept in the state or a local name: the weights never move
    ("def weight_op(p, state, step):\n    if step % 5 != 0:\n        return\n    state['slow'] = p + 0.5 * (p - state['initial'])\n", True),
    ("def update(p, g, state, lr, t):\n    m = state.setdefault('m', g.clone())\n    w = p - lr * m\n", True),
    ("def unit_op(layer, after, h, state, step):\n    dead = (h <= 0).all(0)\n    state['dead'] = dead\n", True),
    # an initialisation that changes the data it is given, not the layers
    ("def init_weights(layers, x, y):\n    s = x.std(0)\n    x = x * s\n    return x, y\n", True),
    ("def init_weights(layers, x, y):\n    for layer in layers[:1]:\n        layer.weight.mul_(x.std(0))\n", False),
    ("def init_weights(layers):\n    nn.init.orthogonal_(layers[0].weight)\n", False),
    # in place, through an alias, an item, `-=`, an init function or a helper of the code's own
    ("def weight_op(p, state, step):\n    p.copy_(0.5 * p)\n", False),
    ("def weight_op(p, state, step):\n    w = p.data\n    w[w.abs() < 0.1] = 0\n", False),
    ("def update(p, g, state, lr, t):\n    p -= lr * g\n", False),
    ("def unit_op(layer, after, h, state, step):\n    nn.init.zeros_(after.weight[:, 0])\n", False),
    ("def halve(w):\n    w.mul_(0.5)\n\n\ndef weight_op(p, state, step):\n    halve(p)\n", False),
])
def test_a_function_that_should_change_the_weights_and_never_does_blocks(code: str, unchanged: bool) -> None:
    found = [p for p in check_idea_code(code) if p.kind == "weights_unchanged"]
    assert bool(found) == unchanged and (not found or blocking(found))


def test_a_library_the_sandbox_lacks_is_refused_with_what_torch_offers_for_it() -> None:
    messages = [p.message for p in check_idea_code("from scipy.stats import qmc\nimport scipy.special\nimport os\n" + HOOK)
                if p.kind == "import"]
    assert "torch.quasirandom.SobolEngine" in messages[0]  # the longest prefix: scipy.stats.qmc
    assert "torch.special" in messages[1]
    assert "torch has it" not in messages[2]  # nothing to offer for os


def test_a_comprehensions_loop_variable_is_undefined_outside_it() -> None:
    found = _kinds("""
        import torch


        def compute_loss(out, y, model):
            weights = [p for p in model.parameters() if p.dim() > 1]
            scales = [w.abs().mean() for w in weights]
            spread = [w.std() / scales[i] for i in range(len(weights))]
            nested = [[v.sum() for v in w] for w in weights]
            return task_loss(out, y) + 1e-3 * sum(spread) + 0 * sum(map(sum, nested))
    """)
    assert found == [("undefined", 8)]  # w, read where no comprehension binds it
    messages = [p.message for p in check_idea_code("def f(ws):\n    a = [w for w in ws]\n    return [w * i for i in a]\n")]
    assert any("loop variable of a comprehension" in message for message in messages)


def test_a_state_value_taken_at_its_start_and_never_changed_is_sent_back() -> None:
    frozen = textwrap.dedent("""
        def update(p, g, state, lr, t):
            M = state.setdefault("M", torch.zeros_like(p))
            p.sub_(lr * (g + 0.95 * M))
    """)
    assert [p.kind for p in check_idea_code(frozen, ["update_rule"]) if p.kind == "state_frozen"] == ["state_frozen"]
    in_place = frozen.replace("    p.sub_", "    M.mul_(0.95).add_(g)\n    p.sub_")
    stored = frozen.replace("    p.sub_", "    state[\"M\"] = 0.95 * M + g\n    p.sub_")
    snapshot = frozen.replace("torch.zeros_like(p)", "p.detach().clone()")
    coefficient = frozen.replace('M = state.setdefault("M", torch.zeros_like(p))', 'b = state.setdefault("b", 0.95)') \
        .replace("0.95 * M", "b * g")  # a coefficient kept in the state: read as the constant it is
    assert "state_frozen" in {p.kind for p in check_idea_code(frozen.replace("torch.zeros_like(p)", "0.0"), ["update_rule"])}
    beside_a_store = frozen.replace("    p.sub_", "    v = state.setdefault(\"v\", torch.zeros_like(p))\n    v = 0.9 * v + g\n"
                                     "    state[\"v\"] = v\n    p.sub_")  # another entry stored: M is still frozen
    assert [p.kind for p in check_idea_code(beside_a_store, ["update_rule"]) if p.kind.startswith("state_")] == ["state_frozen"]
    for code in (in_place, stored, snapshot, coefficient):
        assert "state_frozen" not in {p.kind for p in check_idea_code(code, ["update_rule"])}


def test_a_layer_called_on_self_that_the_module_never_makes_is_unset_and_inherited_methods_are_not() -> None:
    code = ("class IdeaNet(nn.Module):\n    def __init__(self, i, o):\n        super().__init__()\n"
            "        self.inner = nn.Linear(i, o)\n        self.register_buffer('mask', torch.ones(o))\n\n"
            "    def forward(self, x):\n        n = sum(p.numel() for p in self.parameters())\n"
            "        return self.C(self.inner(x)) * self.mask + self._helper(x) * 0 + n * 0\n\n"
            "    def _helper(self, x):\n        return x\n")
    problems = [p for p in check_idea_code(code) if p.kind == "unset_attribute"]
    assert [p.message.split("`")[1] for p in problems] == ["self.C"]


def test_an_optimizer_the_code_never_gets_is_named_as_such() -> None:
    code = ("@torch.no_grad()\ndef weight_op(p, state, step):\n    if step % 500 != 0:\n        return\n"
            "    torch.nn.init.kaiming_uniform_(p, a=math.sqrt(5))\n    opt.state[p] = {}\n")
    messages = [p.message for p in check_idea_code(code, ["weight_op"], []) if p.kind == "undefined"]
    assert messages and "the hooks get no optimizer" in messages[0]


def test_a_per_parameter_hook_that_reads_p_as_a_module_is_blocked() -> None:
    code = ("@torch.no_grad()\ndef weight_op(p, state, step):\n    model = p\n"
            "    for name, q in model.named_parameters():\n        q.mul_(0.5)\n")
    found = [p for p in check_idea_code(code, ["weight_op"]) if p.kind == "tensor_as_module"]
    assert len(found) == 1 and found[0].line == 4 and "`model` (bound to p)" in found[0].message
    head = "def update(p, g, state, lr, t):\n    K = p.out_features\n    p.sub_(lr * g / K)\n"
    assert [p.kind for p in check_idea_code(head, ["update_rule"]) if p.kind == "tensor_as_module"] == ["tensor_as_module"]
    rows = "def update(p, g, state, lr, t):\n    w = p\n    w.sub_(lr * g * w.shape[0])\n"  # a tensor's own attribute
    assert [p for p in check_idea_code(rows, ["update_rule"]) if p.kind == "tensor_as_module"] == []


def test_a_line_that_computes_a_value_and_keeps_none_of_it_is_blocked() -> None:
    code = ("def update(p, g, state, lr, t):\n    v = state.setdefault('v', torch.zeros_like(p))\n"
            "    v.mul_(0.99).add_(1 - 0.99) * g ** 2\n    p.sub_(lr * g / (v.sqrt() + 1e-8))\n")
    found = [p for p in blocking(check_idea_code(code, ["update_rule"])) if p.kind == "discarded_value"]
    assert len(found) == 1 and found[0].line == 3 and "`v.mul_(0.99).add_(1 - 0.99)` changes its tensor" in found[0].message
    plain = "def update(p, g, state, lr, t):\n    lr * g\n    p.sub_(lr * g)\n"  # no in-place call inside: nothing happens
    assert [p.line for p in check_idea_code(plain, ["update_rule"]) if p.kind == "discarded_value"] == [2]
    kept = code.replace("v.mul_(0.99).add_(1 - 0.99) * g ** 2", "v.mul_(0.99).add_((1 - 0.99) * g ** 2)")
    assert not [p for p in check_idea_code(kept, ["update_rule"]) if p.kind == "discarded_value"]
