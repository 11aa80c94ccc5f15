"""Mechanical fixes of the known slips of small code models (experiments/guards/autofix.py)."""

import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from agentnotes.experiments.guards.autofix import fix_weight_products

LAYER = textwrap.dedent("""
    class MirrorLinear(nn.Module):
        def __init__(self, in_features, out_features):
            super().__init__()
            base = nn.Linear(in_features, out_features)
            self.w1 = nn.Parameter(base.weight.detach().clone())
            self.w2 = nn.Parameter(torch.randn(out_features, in_features))
            self.bias = nn.Parameter(torch.zeros(out_features))

        def forward(self, x):
            h = 0.01  # shift
            if self.training:
                return (self.w1 * (x + h) + (x - h) * self.w2) / 2 + self.bias
            return F.linear(x, self.w1, self.bias) * 2
""")


def test_weight_times_input_becomes_a_linear_layer_and_runs() -> None:
    fixed, fixes = fix_weight_products(LAYER)
    assert [f.after for f in fixes] == ["F.linear(x + h, self.w1)", "F.linear(x - h, self.w2)"]
    assert "# shift" in fixed and "* 2" in fixed  # comments and other products stay
    namespace = {"nn": nn, "torch": torch, "F": F}
    exec(fixed, namespace)
    layer = namespace["MirrorLinear"](4, 3)
    assert layer(torch.zeros(5, 4)).shape == (5, 3)


def test_bias_products_and_correct_code_are_left_alone() -> None:
    code = LAYER.replace("self.w1 * (x + h) + (x - h) * self.w2", "F.linear(x + h, self.w1) + self.bias * 0.5")
    fixed, fixes = fix_weight_products(code)
    assert fixes == [] and fixed == code
    assert fix_weight_products("def broken(:\n") == ("def broken(:\n", [])


def test_camel_case_hooks_are_renamed_only_when_the_hook_is_missing() -> None:
    from agentnotes.experiments.guards.autofix import fix_hook_names

    code = "def BuildModel(i, h, o):\n    return mlp(i, h, o)\n\ndef MakeOptimizer(params, lr):\n    return 1\n\nx = BuildModel\n"
    fixed, fixes = fix_hook_names(code)
    assert [(f.before, f.after) for f in fixes] == [("BuildModel", "build_model"), ("MakeOptimizer", "make_optimizer")]
    assert "def build_model(i, h, o)" in fixed and "x = build_model" in fixed and "BuildModel" not in fixed
    both = "def build_model(i, h, o):\n    pass\n\ndef BuildModel():\n    pass\n"
    assert fix_hook_names(both) == (both, [])


def test_a_restated_harness_setting_and_an_import_of_a_provided_name_are_removed_and_the_code_then_passes() -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes
    from agentnotes.experiments.guards.static_check import blocking, check_idea_code

    code = ("import torch\nimport nn\nimport F\nimport math\n\nBATCH_SIZE = 64\nSTEPS = 100  # example value\nBETA = 0.5\n\n"
            "def batch_size_at(step):\n    return BATCH_SIZE // 2 if step > STEPS * BETA else BATCH_SIZE\n")
    assert blocking(check_idea_code(code, ["data"]))
    fixed, fixes = apply_fixes(code, ["data"])
    assert [f.before for f in fixes] == ["import nn", "import F", "BATCH_SIZE = 64", "STEPS = 100"]
    assert "BETA = 0.5" in fixed and "import math" in fixed and not blocking(check_idea_code(fixed, ["data"]))
    computed = "import torch\nLR_SCALE = 2\n\ndef lr_at(step, lr):\n    return lr * LR_SCALE\n"
    assert apply_fixes(computed, ["schedule"]) == (computed, [])  # names of its own stay
    wrong = "from torch import nn, optim, torch, math\nfrom torch import math\n\ndef lr_at(step, lr):\n    return lr * math.cos(0)\n"
    fixed, fixes = apply_fixes(wrong, ["schedule"])
    assert fixed.splitlines()[0] == "from torch import nn, optim" and "from torch import math" not in fixed
    assert [f.after for f in fixes] == ["from torch import nn, optim", "removed: the harness provides it"]
    assert not blocking(check_idea_code(fixed, ["schedule"]))


def test_a_lone_module_class_without_hooks_gets_build_model_as_layer_or_activation() -> None:
    from agentnotes.experiments import check_idea_code
    from agentnotes.experiments.guards.autofix import add_module_hook, apply_fixes

    fixed, fixes = apply_fixes("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n" + LAYER, ["layer"])
    assert fixed.endswith("return mlp(in_dim, hidden, out_dim, linear=MirrorLinear)\n")
    assert [f.after for f in fixes][-1] == "build_model with linear=MirrorLinear" and check_idea_code(fixed, ["layer"]) == []
    activation = "class DoubleReLU(nn.Module):\n    def forward(self, x):\n        return torch.cat([F.relu(x), F.relu(-x)], -1)\n"
    assert add_module_hook(activation, ["activation"])[0].endswith("mlp(in_dim, hidden, out_dim, activation=DoubleReLU)\n")
    # left alone: a hook is already there, it is unclear which class is meant, or the class does not fit the kind
    with_hook = LAYER + "\ndef after_step(model, step):\n    return None\n"
    assert add_module_hook(with_hook, ["layer"]) == (with_hook, [])
    assert add_module_hook(LAYER + activation, ["layer", "activation"]) == (LAYER + activation, [])
    assert add_module_hook(activation, ["layer"]) == (activation, []) and add_module_hook(LAYER, ["activation"]) == (LAYER, [])
    assert add_module_hook(LAYER, ["architecture"]) == (LAYER, [])


def test_a_lone_optimizer_class_without_make_optimizer_gets_one_even_beside_build_model() -> None:
    from agentnotes.experiments import check_idea_code
    from agentnotes.experiments.guards.autofix import add_optimizer_hook, apply_fixes

    optimizer = ("import torch\n\n\nclass Gonnor(torch.optim.Optimizer):\n    def __init__(self, params, lr):\n"
                 "        super().__init__(params, {'lr': lr})\n\n    @torch.no_grad()\n    def step(self):\n"
                 "        for group in self.param_groups:\n            for p in group['params']:\n"
                 "                p.add_(-group['lr'] * p.grad / (p.grad.norm() + 1e-8))\n")
    fixed, fixes = add_optimizer_hook(optimizer)
    assert fixed.endswith("def make_optimizer(params, lr):\n    return Gonnor(params, lr)\n")
    assert check_idea_code(fixed, ["update_rule"]) == [] and [f.after for f in fixes] == ["make_optimizer with Gonnor"]
    with_layer = optimizer + "\n\n" + LAYER + "\ndef build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim, linear=MirrorLinear)\n"
    assert [f.after for f in add_optimizer_hook(with_layer)[1]] == ["make_optimizer with Gonnor"]
    three_args = optimizer.replace("(self, params, lr)", "(self, params, lr, eps)")
    assert add_optimizer_hook(three_args) == (three_args, [])
    assert apply_fixes(optimizer, ["layer"]) == (optimizer, [])  # a fix of update rules, not of layers


def test_a_forward_of_two_inputs_takes_them_from_the_one_tensor_the_harness_passes() -> None:
    import torch

    from agentnotes.experiments.guards.autofix import fix_two_input_forward

    gate = ("import torch\nimport torch.nn as nn\n\n\nclass Gate(nn.Module):\n    def __init__(self, k=5):\n"
            "        super().__init__()\n        self.k = k\n\n    def forward(self, x1, x2):\n"
            "        a = torch.tanh(self.k * x1)\n        b = torch.tanh(self.k * x2)\n        return -a * b\n")
    fixed, fixes = fix_two_input_forward(gate)
    assert [f.after for f in fixes] == ["forward(self, x) with x1, x2 = x[:, 0::2], x[:, 1::2]"]
    namespace: dict = {}
    exec(compile(fixed, "gate", "exec"), namespace)
    x = torch.tensor([[1.0, -1.0, 2.0, 3.0]])
    assert torch.allclose(namespace["Gate"]()(x), -torch.tanh(5 * x[:, 0::2]) * torch.tanh(5 * x[:, 1::2]))
    one_input = gate.replace("forward(self, x1, x2)", "forward(self, x)").replace("x1", "x").replace("x2", "x")
    assert fix_two_input_forward(one_input) == (one_input, [])


def test_an_activation_of_single_units_takes_them_as_groups_of_units_and_keeps_its_batch_shape() -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes

    single = ("import torch\nimport torch.nn as nn\n\n\nclass Gate(nn.Module):\n    def forward(self, x):\n"
              "        a = torch.tanh(5 * x[..., 0])\n        b = torch.tanh(5 * x[:, 1])\n"
              "        return torch.cat([a * b, a + b], dim=-1)\n\n\n"
              "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim, activation=Gate)\n")
    fixed, fixes = apply_fixes(single, ["activation"])
    assert [(f.before, f.after) for f in fixes] == [("x[..., 0]", "x[..., 0::2]"), ("x[:, 1]", "x[..., 1::2]")]
    namespace: dict = {}
    exec(compile(fixed, "gate", "exec"), namespace)
    assert namespace["Gate"]()(torch.ones(3, 8)).shape == (3, 8)
    assert apply_fixes(single, ["layer"])[0] == single  # an activation's fix only
    for kept in (fixed, single.replace("x[:, 1]", "x[:, 2]")):  # groups already, or not the units 0..k-1
        assert not [f for f in apply_fixes(kept, ["activation"])[1] if "::" in f.after]


def test_a_tensor_assigned_to_a_layers_weight_is_copied_into_it_and_runs() -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes

    code = ("import torch\n\n\ndef init_weights(layers):\n    for layer in layers:\n"
            "        layer.weight = torch.nn.init.orthogonal_(torch.empty(layer.weight.shape))\n"
            "        layer.bias = torch.nn.Parameter(torch.zeros_like(layer.bias))\n")
    fixed, fixes = apply_fixes(code, ["init"])
    assert [f.after for f in fixes] == ["layer.weight.data.copy_(...)"]
    namespace: dict = {}
    exec(compile(fixed, "init", "exec"), namespace)
    layer = nn.Linear(4, 3)
    namespace["init_weights"]([layer])
    assert torch.allclose(layer.weight @ layer.weight.T, torch.eye(3), atol=1e-5) and not layer.bias.any()
    own = "class L(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.weight = torch.ones(2)\n"
    assert apply_fixes(own, ["init"]) == (own, [])  # a module defining its own attribute


def test_a_weight_operation_on_rows_skips_the_biases_it_would_fail_on() -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes

    code = ('def weight_op(p, state, step):\n    """Row norms."""\n    norms = torch.norm(p, dim=1, keepdim=True)\n'
            "    p.copy_(torch.where(norms > 2.0, p * 2.0 / norms, p))\n")
    fixed, fixes = apply_fixes(code, ["weight_op"])
    assert [f.after for f in fixes] == ["if p.dim() < 2: return"]
    namespace = {"torch": torch}
    exec(compile(fixed, "op", "exec"), namespace)
    weight, bias = torch.full((3, 4), 5.0), torch.full((3,), 5.0)
    namespace["weight_op"](weight, {}, 1)
    namespace["weight_op"](bias, {}, 1)  # left alone, where it failed before
    assert torch.allclose(weight.norm(dim=1), torch.full((3,), 2.0)) and torch.equal(bias, torch.full((3,), 5.0))
    guarded = code.replace('"""Row norms."""', '"""Row norms."""\n    if p.dim() == 1:\n        return')
    assert apply_fixes(guarded, ["weight_op"])[1] == [] and apply_fixes(code, ["regulariser"])[1] == []
    helper = ("def orthogonal(G):\n    X = G / G.norm()\n    return X @ X.T @ X\n\n\n"
              "def weight_op(p, state, step):\n    D = p - state['initial']\n    p.copy_(state['initial'] + orthogonal(D))\n")
    fixed, fixes = apply_fixes(helper, ["weight_op"])
    assert [f.after for f in fixes] == ["if p.dim() < 2: return"]  # the matrix function it gives p's displacement to
    late = ('def weight_op(p, state, step):\n    s = p.std(dim=1, keepdim=True)\n    d = (p - state["initial"]).abs() / s\n'
            "    if p.dim() == 2:\n        d = d.mean(dim=1)\n    p.add_(0.01 * d.mean())\n")
    assert [f.after for f in apply_fixes(late, ["weight_op"])[1]] == ["if p.dim() < 2: return"]  # tested too late
    unrelated = helper.replace("orthogonal(D)", "orthogonal(state['initial'].new_ones(2, 2))[0, 0] * D")
    assert apply_fixes(unrelated, ["weight_op"])[1] == []  # a matrix function of something else


def test_copying_two_weights_into_each_other_becomes_the_average_the_notes_define() -> None:
    from agentnotes.experiments.guards.autofix import fix_sync_to_average

    sync = ("import torch\n\n\nclass Pair:\n    @torch.no_grad()\n    def sync(self):\n"
            "        self.weight1.copy_(self.weight2)\n        self.weight2.copy_(self.weight1)\n")
    averaged = [("w1", "+", "w2", "每 N 步合并：w = （w1+w2）/2")]
    fixed, fixes = fix_sync_to_average(sync, averaged)
    assert [f.after for f in fixes] == ["self.weight1.copy_((self.weight1 + self.weight2) / 2)"]
    namespace: dict = {}
    exec(compile(fixed, "sync", "exec"), namespace)
    pair = namespace["Pair"]()
    pair.weight1, pair.weight2 = torch.zeros(2), torch.full((2,), 4.0)
    pair.sync()
    assert pair.weight1.tolist() == pair.weight2.tolist() == [2.0, 2.0]
    assert fix_sync_to_average(sync, [("w1", "+", "w2", "y = w1*(x+h) + w2*(x-h)")]) == (sync, [])  # not an average
    assert fix_sync_to_average(sync, [("a", "+", "b", "m = (a+b)/2")]) == (sync, [])  # other names
    both_from_one = sync.replace("self.weight2.copy_(self.weight1)", "self.weight2.copy_(self.weight2)")
    assert fix_sync_to_average(both_from_one, averaged)[0] == fixed
    averaged_twice = sync.replace("copy_(self.weight2)", "copy_((self.weight1 + self.weight2) / 2)").replace(
        "copy_(self.weight1)", "copy_((self.weight1 + self.weight2) / 2)")  # the second sees the new weight1
    assert fix_sync_to_average(averaged_twice, averaged)[0] == fixed
    assert fix_sync_to_average(fixed, averaged) == (fixed, [])
    from_elsewhere = sync.replace("copy_(self.weight2)", "copy_(self.slow)")
    assert fix_sync_to_average(from_elsewhere, averaged) == (from_elsewhere, [])
    one_way = sync.replace("        self.weight2.copy_(self.weight1)\n", "")
    assert fix_sync_to_average(one_way, averaged) == (one_way, [])


def test_a_weight_filled_by_randn_starts_like_the_baselines_linear_layer() -> None:
    from agentnotes.experiments.guards.autofix import fix_weight_init

    layer = ("class Two(nn.Module):\n    def __init__(self, i, o):\n        super().__init__()\n"
             "        self.w1 = nn.Parameter(torch.randn(o, i))\n        self.b = nn.Parameter(torch.randn(o))\n")
    fixed, fixes = fix_weight_init(layer)
    assert [f.after for f in fixes] == ["nn.Parameter(nn.Linear(i, o).weight.detach().clone())"]
    namespace: dict = {"nn": nn, "torch": torch}
    exec(compile(fixed, "two", "exec"), namespace)
    torch.manual_seed(0)
    weight = namespace["Two"](64, 8).w1
    assert weight.shape == (8, 64) and weight.abs().max() <= 1 / 64 ** 0.5  # nn.Linear's bound, not N(0, 1)
    empty = layer.replace("torch.randn(o, i)", "torch.empty(o, i)")
    assert fix_weight_init(empty)[0] == fixed
    scaled = layer.replace("torch.randn(o, i)", "torch.randn(o, i) * 0.01")
    assert fix_weight_init(scaled) == (scaled, [])
    closed = layer.replace("torch.randn(o, i)", "torch.zeros(o, i)")  # a gate whose weights start closed
    assert fix_weight_init(closed) == (closed, [])


@pytest.mark.parametrize("init", [
    "torch.zeros(1)",  # ReZero: the residual branch starts switched off
    "torch.ones(1, o)",  # LayerScale-like scale of one row
    "torch.ones(o)",
    "torch.randn(1, o)",  # a (1, d) scale, not an (out, in) weight
])
def test_a_gate_or_scale_started_at_a_constant_or_of_one_row_is_left_as_written(init: str) -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes

    code = ("import torch\nimport torch.nn as nn\n\n\nclass Gated(nn.Module):\n    def __init__(self, i, o):\n"
            "        super().__init__()\n        self.linear = nn.Linear(i, o)\n"
            f"        self.alpha = nn.Parameter({init})\n\n    def forward(self, x):\n"
            "        return self.alpha * self.linear(x)\n\n\n"
            "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim, linear=Gated)\n")
    assert apply_fixes(code, ["layer", "architecture", "init"]) == (code, [])


def test_two_weights_named_after_the_example_get_the_notes_numbered_names() -> None:
    from agentnotes.experiments.guards.autofix import fix_weight_names

    layer = ("class Mirror(nn.Module):\n    def __init__(self, i, o):\n        super().__init__()\n"
             "        base = nn.Linear(i, o)\n        self.fast = nn.Parameter(base.weight.detach().clone())\n"
             "        self.slow = nn.Parameter(base.weight.detach().clone())\n\n"
             "    def sync(self):\n        self.slow.copy_((self.slow + self.fast) / 2)\n\n\n"
             "def after_step(model, step):\n    model[0].fast.copy_(model[0].slow)\n")
    pairs = [("x", "+", "h", "y = (w1*(x+h) + w2*(x-h))/2"), ("w1", "+", "w2", "w = (w1+w2)/2")]
    fixed, fixes = fix_weight_names(layer, pairs)
    assert [(f.before, f.after) for f in fixes] == [("self.fast", "self.w1"), ("self.slow", "self.w2")]
    assert "fast" not in fixed and "slow" not in fixed and "model[0].w1.copy_(model[0].w2)" in fixed
    assert fix_weight_names(fixed, pairs) == (fixed, [])  # already the notes' names
    assert fix_weight_names(layer, pairs[:1]) == (layer, [])  # the notes pair no numbered names


GONNOR = (Path(__file__).parent / "ideas" / "gonnor.py").read_text(encoding="utf-8") + "\n\ndef after_step(model, step):\nBODY\n"
NORMALIZE = "    for p in model.parameters():\n        p.data = p.data / p.data.norm()"


@pytest.mark.parametrize(("body", "kinds", "removed"), [
    ("    for m in model.modules():\n        if isinstance(m, torch.nn.Linear):\n"
     "            m.weight.copy_(m.weight / m.weight.norm())", ["update_rule"], True),  # a Gonnor run wrote this
    (NORMALIZE, ["update_rule"], True),
    ("    for m in model.modules():\n        m.weight /= 2", ["update_rule"], True),
    (NORMALIZE, ["update_rule", "weight_op"], False),  # the notes act on the weights (every step or every N)
    (NORMALIZE, ["update_rule", "regulariser"], False),  # a regulariser may shrink the weights after a step
    (NORMALIZE, [], False),  # notes not understood
    ("    return None", ["update_rule"], False),  # changes nothing
])
def test_an_after_step_that_changes_weights_no_kind_of_the_idea_asks_for_is_removed(body: str, kinds, removed: bool) -> None:
    from agentnotes.experiments import check_idea_code
    from agentnotes.experiments.guards.autofix import apply_fixes

    code = GONNOR.replace("BODY", body)
    fixed, fixes = apply_fixes(code, kinds)
    assert ("def after_step" not in fixed) == removed
    assert [f.after for f in fixes] == (["after_step removed: the idea does nothing to the weights after a step"] if removed else [])
    assert check_idea_code(fixed, ["update_rule"]) == []  # what is left still runs: make_optimizer stays


def test_an_idea_that_clips_the_weights_after_every_step_keeps_its_after_step() -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    kinds = kinds_in_notes("每一步更新之后把每个权重裁剪到 [-c, c]：w = clamp(w, -c, c)")
    assert kinds == ["weight_op"]
    code = ("import torch\n\n\ndef after_step(model, step):\n    for p in model.parameters():\n"
            "        p.clamp_(-0.5, 0.5)\n")
    assert apply_fixes(code, kinds) == (code, [])


def test_every_fix_the_kinds_name_exists_and_none_runs_for_a_kind_that_does_not_list_it() -> None:
    from agentnotes.experiments.guards.autofix import FIXES, GENERIC_FIXES, apply_fixes
    from agentnotes.experiments.guards.kinds import KINDS

    assert {fix for kind in KINDS for fix in kind.fixes} | set(GENERIC_FIXES) == set(FIXES)
    assert apply_fixes(LAYER, ["update_rule", "activation", "loss"]) == (LAYER, [])  # self.w1 * (x + h) is a layer's slip
    assert [f.after for f in apply_fixes(LAYER, ["layer"])[1]][:2] == ["F.linear(x + h, self.w1)", "F.linear(x - h, self.w2)"]


def test_a_weight_left_of_a_matmul_with_the_input_becomes_a_linear_map() -> None:
    from agentnotes.experiments.guards.autofix import fix_weight_products

    code = ("class Block(nn.Module):\n    def __init__(self, d):\n        super().__init__()\n"
            "        self.W = nn.Parameter(nn.Linear(d, d).weight.detach().clone())\n\n"
            "    def forward(self, x):\n        return x + F.relu(self.W @ x)\n")
    fixed, fixes = fix_weight_products(code)
    assert "F.relu(F.linear(x, self.W))" in fixed and len(fixes) == 1
    kept = code.replace("self.W @ x", "x @ self.W.t()")
    assert fix_weight_products(kept) == (kept, [])


def test_a_hook_written_as_a_method_gets_its_top_level_hook() -> None:
    from agentnotes.experiments import check_idea_code
    from agentnotes.experiments.guards.autofix import add_hooks_from_methods

    code = ("class MaxNorm:\n    def __init__(self, c=2.0):\n        self.c = c\n\n"
            "    def after_step(self, model, step):\n        for p in model.parameters():\n            p.clamp_(-self.c, self.c)\n")
    fixed, fixes = add_hooks_from_methods(code)
    assert "def after_step(model, step):" in fixed and "return _HOOK_OWNERS['MaxNorm'].after_step(model, step)" in fixed
    assert len(fixes) == 1 and check_idea_code(fixed, ["weight_op"]) == []
    assert add_hooks_from_methods(fixed) == (fixed, [])  # the hook exists now
    needs_args = code.replace("c=2.0", "c")
    assert add_hooks_from_methods(needs_args) == (needs_args, [])
    namespace: dict = {"torch": torch}
    exec(compile(fixed, "idea", "exec"), namespace)
    weights = nn.Linear(3, 3)
    with torch.no_grad():
        weights.weight.fill_(5.0)
        namespace["after_step"](weights, 1)
    assert weights.weight.max().item() == 2.0 and namespace["_HOOK_OWNERS"]["MaxNorm"].c == 2.0


def test_a_rate_read_from_a_module_that_never_sets_it_is_the_harness_lr() -> None:
    from agentnotes.experiments.guards.autofix import fix_unset_learning_rate

    code = ("class Twin(nn.Module):\n    def forward(self, x):\n        h = self.lr / 2\n        return x + h\n\n\n"
            "class Kept(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.lr = 0.1\n\n"
            "    def forward(self, x):\n        return x * self.lr\n")
    fixed, fixes = fix_unset_learning_rate(code)
    assert "h = LR / 2" in fixed and "return x * self.lr" in fixed and [f.line for f in fixes] == [3]
    optimizer = "class Opt(torch.optim.Optimizer):\n    def step(self):\n        return self.lr\n"
    assert fix_unset_learning_rate(optimizer) == (optimizer, [])


def test_a_torch_max_or_min_against_a_number_becomes_a_clamp_that_computes_the_same() -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes

    code = ("import torch\n\n\ndef f(x):\n    return torch.log(1 + torch.max(0, x)) + torch.min(-1.5, x) + torch.max(x, 0.5)"
            " + torch.max(x, 0).values\n")
    fixed, fixes = apply_fixes(code, [])
    assert "torch.clamp(x, min=0)" in fixed and "torch.clamp(x, max=-1.5)" in fixed and "torch.clamp(x, min=0.5)" in fixed
    assert "torch.max(x, 0).values" in fixed and len(fixes) == 3  # an int second argument is a dimension
    namespace: dict = {}
    exec(fixed, namespace)  # noqa: S102 - the test's own code
    x = torch.tensor([[-2.0, 0.3], [1.0, 4.0]])
    wanted = torch.log(1 + torch.relu(x)) + torch.minimum(torch.tensor(-1.5), x) + torch.maximum(x, torch.tensor(0.5)) + x.max(0).values
    assert torch.allclose(namespace["f"](x), wanted)


def test_a_torch_min_against_a_named_number_or_a_large_int_is_a_clamp_and_a_dimension_stays() -> None:
    from agentnotes.experiments.guards.autofix import fix_number_max

    code = "C_MAX = 100  # from the notes\n\ndef f(c):\n    return torch.min(c, C_MAX) + torch.max(c, 1)[0] + torch.min(c, 1000)\n"
    fixed, fixes = fix_number_max(code)
    assert "torch.clamp(c, max=C_MAX)" in fixed and "torch.clamp(c, max=1000)" in fixed and "torch.max(c, 1)[0]" in fixed
    c = torch.tensor([[5.0, 500.0], [-1.0, 2000.0]])
    namespace: dict = {"torch": torch}
    exec(fixed, namespace)
    assert torch.equal(namespace["f"](c), c.clamp(max=100) + c.max(1)[0] + c.clamp(max=1000))


def test_math_functions_of_a_tensor_become_torchs_and_those_of_numbers_stay() -> None:
    from agentnotes.experiments.guards.autofix import fix_math_on_tensors

    code = ("class Act(nn.Module):\n    def forward(self, x):\n        e = math.exp(x)\n        return x * torch.tanh(e)\n\n\n"
            "def update(p, g, state, lr, t):\n    p.sub_(lr * g / math.sqrt(p.numel()) * math.exp(-t / 100))\n")
    fixed, fixes = fix_math_on_tensors(code)
    assert "e = torch.exp(x)" in fixed and [f.line for f in fixes] == [3]
    assert "math.sqrt(p.numel()) * math.exp(-t / 100)" in fixed  # numbers: math is right
    assert fix_math_on_tensors(fixed) == (fixed, [])


def test_torch_functions_of_plain_numbers_become_maths_and_those_of_tensors_stay() -> None:
    import math

    import torch

    from agentnotes.experiments.guards.autofix import fix_math_on_tensors, fix_torch_on_numbers

    code = ("c = 3\n\n\ndef update(p, g, state, lr, t):\n    lam = lr * torch.sqrt(t + c)\n"
            "    p.sub_(lam * g * torch.exp(-g.abs()) / torch.sqrt(state.get('n', torch.ones(1))))\n")
    fixed, fixes = fix_torch_on_numbers(code)
    assert "lam = lr * math.sqrt(t + c)" in fixed and [f.line for f in fixes] == [5]
    assert "torch.exp(-g.abs())" in fixed and "torch.sqrt(state.get('n', torch.ones(1)))" in fixed  # a tensor, or not certain
    namespace = {"torch": torch, "math": math}
    exec(fixed, namespace)
    p = torch.ones(2)
    namespace["update"](p, torch.ones(2), {}, 0.1, 1)
    assert torch.allclose(p, 1 - 0.2 * math.exp(-1) * torch.ones(2))
    assert fix_torch_on_numbers(fixed) == (fixed, [])
    # counts read from a tensor's shape, and Python's max of numbers, are numbers too
    shaped = ("def update(p, g, state, lr, t):\n    rows, cols = p.shape\n"
              "    p.sub_(lr * g * torch.sqrt(max(1, rows / cols)) * torch.sqrt(g.abs().max()))\n")
    fixed, fixes = fix_torch_on_numbers(shaped)
    assert "math.sqrt(max(1, rows / cols))" in fixed and "torch.sqrt(g.abs().max())" in fixed and len(fixes) == 1
    # a tensor made from a count is a tensor: the two fixes do not undo each other
    drawn = ("def update(p, g, state, lr, t):\n    u = torch.rand(p.shape[0]) * 0.98 + 0.01\n"
             "    p.sub_(lr * g * torch.sigmoid(math.log(u) - math.log(1 - u)).unsqueeze(-1))\n")
    fixed, _ = fix_math_on_tensors(drawn)
    assert "torch.log(u) - torch.log(1 - u)" in fixed and fix_torch_on_numbers(fixed) == (fixed, [])


def test_a_function_called_from_a_torch_module_that_lacks_it_is_called_from_the_one_that_has_it() -> None:
    import torch
    import torch.nn.functional as F  # noqa: N812

    from agentnotes.experiments.guards.autofix import fix_missing_functions

    code = ("class Tropical(nn.Module):\n    def forward(self, x):\n"
            "        y = F.logsumexp(x[:, None, :] + x[:, :, None], dim=-1)\n"
            "        return torch.softplus(y) + torch.ndtri(torch.sigmoid(y)) + F.relu(y)\n")
    fixed, fixes = fix_missing_functions(code)
    assert [str(f) for f in fixes] == ["line 3: F.logsumexp -> torch.logsumexp", "line 4: torch.softplus -> F.softplus",
                                       "line 4: torch.ndtri -> torch.special.ndtri"]
    namespace = {"torch": torch, "nn": torch.nn, "F": F}
    exec(fixed, namespace)
    assert namespace["Tropical"]()(torch.randn(2, 3)).shape == (2, 3)
    assert fix_missing_functions(fixed) == (fixed, [])
    assert fix_missing_functions("def f(x):\n    return F.made_up(x)\n")[1] == []  # nowhere: the run says so


def test_a_bare_call_nothing_defines_is_called_from_the_torch_module_that_has_it() -> None:
    import torch
    import torch.nn.functional as F  # noqa: N812

    from agentnotes.experiments.guards.autofix import fix_missing_functions

    code = ("def mix(x, L, own):\n"
            "    h = einsum('bki,kji->bkj', x, L)\n"
            "    return own(h) + softplus(h) + max(1, 2)\n"
            "def own(h):\n    return h\n")
    fixed, fixes = fix_missing_functions(code)
    assert [str(f) for f in fixes] == ["line 2: einsum -> torch.einsum", "line 3: softplus -> F.softplus"]
    namespace = {"torch": torch, "F": F}
    exec(fixed, namespace)
    assert namespace["mix"](torch.ones(2, 3, 4), torch.ones(3, 4, 4), namespace["own"]).shape == (2, 3, 4)
    assert fix_missing_functions(fixed) == (fixed, [])
    assert fix_missing_functions("def f(x):\n    return made_up(x)\n")[1] == []  # nowhere: the run says so


def test_a_state_entry_read_into_its_own_next_value_is_stored_back_and_other_reads_stay() -> None:
    from agentnotes.experiments.guards.autofix import store_accumulated_state

    code = ("def update(p, g, state, lr, t):\n"
            "    m_t = 0.9 * state.setdefault(\"m\", torch.zeros_like(p)) + 0.1 * g\n"
            "    c = (state.get(\"v\", torch.zeros_like(p)) * g).sum()\n"
            "    p.sub_(lr * m_t * c)\n")
    fixed, fixes = store_accumulated_state(code)
    assert fixed.splitlines()[2] == "    state['m'] = m_t" and len(fixes) == 1  # v's read is no next value of v
    assert store_accumulated_state(fixed) == (fixed, [])


def test_a_state_entry_given_a_new_value_from_itself_is_stored_back_as_the_check_asks() -> None:
    from agentnotes.experiments.guards.autofix import store_rebound_state
    from agentnotes.experiments.guards.static_check import check_idea_code

    code = ("def update(p, g, state, lr, t):\n"
            "    m = state.setdefault('m', torch.zeros_like(p))\n"
            "    e = state.get('e', torch.zeros_like(p))\n"
            "    m = 0.9 * m + 0.1 * g\n"
            "    if t > 1:\n"
            "        m = m / (1 - 0.9 ** t)\n"
            "    p.sub_(lr * m * e)\n")
    assert "state_rebound" in [p.kind for p in check_idea_code(code, ["update_rule"], [])]
    fixed, fixes = store_rebound_state(code)
    assert fixed.splitlines()[6] == "    state['m'] = m" and len(fixes) == 1  # after the block of its last assignment
    assert "state_rebound" not in [p.kind for p in check_idea_code(fixed, ["update_rule"], [])]
    namespace, state, w = {"torch": torch}, {}, torch.zeros(1)
    exec(fixed, namespace)
    namespace["update"](w, torch.ones(1), state, 1.0, 1)
    namespace["update"](w, torch.ones(1), state, 1.0, 2)
    assert torch.allclose(state["m"], torch.tensor([(0.9 * 0.1 + 0.1) / (1 - 0.81)]))  # step 1's 0.1 kept for step 2
    assert store_rebound_state(fixed) == (fixed, [])
    keyless = code.replace("state.setdefault('m', torch.zeros_like(p))", "state.get()")
    assert store_rebound_state(keyless) == (keyless, [])  # no key to store under: left to the check


def test_an_update_that_reads_the_notes_letters_for_its_arguments_reads_the_arguments() -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes

    code = textwrap.dedent("""
        def update(p, g, state, lr, t):
            v = state.get("v", torch.zeros_like(p))
            v = 0.99 * v + 0.01 * g_t ** 2
            state["v"] = v
            theta = 1.5
            p.copy_(theta_t - eta * g_t / (v.sqrt() + 1e-8) * theta)
    """)
    fixed, fixes = apply_fixes(code, ["update_rule"])
    assert "v = 0.99 * v + 0.01 * g ** 2" in fixed
    assert "p.copy_(p - lr * g / (v.sqrt() + 1e-8) * theta)" in fixed  # theta is the code's own: it stays
    assert [(f.before, f.after) for f in fixes] == [("g_t", "g"), ("theta_t", "p"), ("eta", "lr"), ("g_t", "g")]
    assert "theta_t - eta * g_t" in apply_fixes(code, ["layer"])[0]  # an update rule's fix only


def test_an_update_that_reads_the_notes_greek_letters_for_its_arguments_reads_the_arguments() -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes

    code = textwrap.dedent("""
        def update(p, g, state, lr, t):
            m = 0.9 * state.get("m", torch.zeros_like(p)) + g
            state["m"] = m
            θ.data = θ - η * m
    """)
    fixed, fixes = apply_fixes(code, ["update_rule"])
    assert "p.data = p - lr * m" in fixed
    assert [(f.before, f.after) for f in fixes] == [("θ", "p"), ("θ", "p"), ("η", "lr")]


def test_an_update_that_reads_the_notes_capital_letter_before_assigning_it_reads_the_argument_there() -> None:
    import torch

    from agentnotes.experiments.guards.autofix import apply_fixes

    code = textwrap.dedent("""
        def update(p, g, state, lr, t):
            X = G / (G.norm() + 1e-7)
            W = W - 0.02 * X
            p.copy_(W)
    """)
    fixed, fixes = apply_fixes(code, ["update_rule"])
    assert "X = g / (g.norm() + 1e-7)" in fixed and "W = p - 0.02 * X" in fixed and "p.copy_(W)" in fixed
    assert [(f.before, f.after) for f in fixes] == [("G", "g"), ("G", "g"), ("W", "p")]
    namespace = {"torch": torch}
    exec(fixed, namespace)
    p = torch.ones(2, 2)
    namespace["update"](p, torch.ones(2, 2), {}, 0.1, 1)
    assert torch.allclose(p, torch.full((2, 2), 1 - 0.01))


def test_an_update_that_treats_every_parameter_as_a_matrix_takes_a_plain_step_on_a_bias() -> None:
    import torch

    from agentnotes.experiments.guards.autofix import apply_fixes

    code = textwrap.dedent("""
        def update(p, g, state, lr, t):
            rows, cols = p.shape
            X = g / (g.norm() + 1e-7)
            p.sub_(lr * (X @ X.t() @ X) * max(1, rows / cols) ** 0.5)
    """)
    fixed, fixes = apply_fixes(code, ["update_rule"])
    assert "if p.dim() < 2:" in fixed and any(f.before == "update of every parameter as a matrix" for f in fixes)
    namespace = {"torch": torch}
    exec(fixed, namespace)
    bias = torch.ones(3)
    namespace["update"](bias, torch.ones(3), {}, 0.5, 1)
    assert torch.allclose(bias, torch.full((3,), 0.5))
    weight = torch.eye(2)
    namespace["update"](weight, torch.eye(2), {}, 0.1, 1)
    assert not torch.allclose(weight, torch.eye(2))
    tested = code.replace("rows, cols = p.shape", "if p.dim() < 2:\n        return\n    rows, cols = p.shape")
    assert "a plain step" not in apply_fixes(tested, ["update_rule"])[0]  # it tests the dimensions itself
    assert "a plain step" not in apply_fixes(code, ["weight_op"])[0]  # an update rule's fix only


def test_an_update_that_computes_the_new_weights_and_never_stores_them_copies_them_in() -> None:
    import torch

    from agentnotes.experiments.guards.autofix import apply_fixes
    from agentnotes.experiments.guards.static_check import check_idea_code

    code = textwrap.dedent("""
        def update(p, g, state, lr, t):
            if p.dim() < 2:
                p.sub_(lr * g)
                return
            theta = p
            step = lr * g.sign()
            theta_next = theta - step
    """)
    fixed, fixes = apply_fixes(code, ["update_rule"])
    assert [(f.before, f.after) for f in fixes] == [("theta_next computed and never stored", "p.copy_(theta_next)")]
    assert "unused_result" not in {p.kind for p in check_idea_code(fixed, ["update_rule"], [])}
    namespace = {"torch": torch}
    exec(fixed, namespace)
    p = torch.zeros(2, 2)
    namespace["update"](p, torch.tensor([[1.0, -2.0], [3.0, 0.5]]), {}, 0.1, 1)
    assert torch.allclose(p, torch.tensor([[-0.1, 0.1], [-0.1, -0.1]]))
    stepped = code.replace("theta_next = theta - step", "theta_next = theta - step\n    p.copy_(theta_next)")
    assert not any("never stored" in f.before for f in apply_fixes(stepped, ["update_rule"])[1])  # it stores them
    unrelated = code.replace("theta_next = theta - step", "scale = step * 2")
    assert not any("never stored" in f.before for f in apply_fixes(unrelated, ["update_rule"])[1])  # no new weights


def test_an_update_that_keeps_the_notes_step_size_as_a_number_takes_the_tuned_rate() -> None:
    import torch

    from agentnotes.experiments.guards.autofix import apply_fixes

    code = textwrap.dedent("""
        def update(p, g, state, lr, t):
            alpha = 1e-3  # from the notes
            beta = 0.9  # from the notes
            m = beta * state.setdefault("m", torch.zeros_like(p)) + (1 - beta) * g
            state["m"] = m
            p.sub_(alpha * m.sign())
    """)
    fixed, fixes = apply_fixes(code, ["update_rule"])
    assert [(f.before, f.after) for f in fixes] == [("alpha = 0.001", "alpha = lr")]
    namespace = {"torch": torch}
    exec(fixed, namespace)
    p = torch.zeros(3)
    namespace["update"](p, torch.tensor([1.0, -1.0, 2.0]), {}, 0.5, 1)
    assert torch.allclose(p, torch.tensor([-0.5, 0.5, -0.5]))
    reads_lr = code.replace("p.sub_(alpha * m.sign())", "p.sub_(lr * alpha * m.sign())")
    assert apply_fixes(reads_lr, ["update_rule"])[0] == reads_lr  # the rate is used: alpha is a factor of the rule
    no_step_size = code.replace("alpha = 1e-3  # from the notes", "rho = 0.95").replace("alpha *", "rho *")
    assert "= lr" not in apply_fixes(no_step_size, ["update_rule"])[0]  # a rule with no rate of its own


def test_a_reduction_along_a_dimension_used_as_a_tensor_takes_its_values() -> None:
    import torch

    from agentnotes.experiments.guards.autofix import fix_pair_as_tensor

    code = ("def shift(z, bias):\n    med = torch.median(z, dim=0)\n    top = z.max(1)[0] + z.max(dim=1).values\n"
            "    v, i = torch.sort(z)\n    s = torch.sort(z)\n    order = s.indices\n"
            "    return bias - 0.5 * med + top.mean() + z.max(0) * 0 + v[0, 0] * 0 + order[0, 0] * 0 + torch.max(z, z).sum() * 0\n")
    fixed, fixes = fix_pair_as_tensor(code)
    assert [f.after for f in fixes] == ["torch.median(z, dim=0).values", "z.max(0).values"]
    z = torch.tensor([[1.0, -2.0], [3.0, 4.0], [0.0, 1.0]])
    namespace: dict = {"torch": torch}
    exec(fixed, namespace)
    expected = torch.zeros(2) - 0.5 * z.median(0).values + z.max(1).values.mean() * 2
    assert torch.allclose(namespace["shift"](z, torch.zeros(2)), expected)
    assert fix_pair_as_tensor(fixed) == (fixed, [])


def test_python_min_and_max_of_tensors_become_torchs_and_those_of_counts_stay() -> None:
    import torch

    from agentnotes.experiments.guards.autofix import fix_builtin_max_of_tensors

    code = ("def update(p, g, state, lr, t):\n    v = state.setdefault(\"v\", torch.zeros_like(p))\n"
            "    v.mul_(0.9).add_(0.1 * g * g)\n    eta = lr / (v.sqrt() + 1e-8)\n    cap = 0.01\n"
            "    n = max(p.shape[0], 1)\n    s = cap * torch.ones_like(p)\n"
            "    p.sub_(min(eta, s) * g + max(eta, cap) * 0 + min(1e-3, eta) * 0 + max(t, 10) * 0 / n)\n")
    fixed, fixes = fix_builtin_max_of_tensors(code)
    assert [f.after for f in fixes] == ["torch.minimum(eta, s)", "torch.clamp(eta, min=cap)", "torch.clamp(eta, max=1e-3)"]
    assert "n = max(p.shape[0], 1)" in fixed and "max(t, 10)" in fixed
    namespace: dict = {"torch": torch}
    exec(fixed, namespace)
    p, g = torch.ones(3), torch.tensor([1.0, 0.001, -2.0])
    namespace["update"](p, g, {}, 0.1, 1)
    eta = 0.1 / ((0.1 * g * g).sqrt() + 1e-8)
    assert torch.allclose(p, 1 - torch.minimum(eta, torch.full((3,), 0.01)) * g)


def test_the_weight_of_a_hooks_one_parameter_tensor_is_the_tensor_itself() -> None:
    import torch

    from agentnotes.experiments.guards.autofix import fix_weight_of_a_tensor

    code = ("def weight_op(p, state, step):\n    lam = 0.3\n    p.weight.data = (1 - lam) * p.weight.data + lam * p.weight.round()\n\n\n"
            "def forward(self, x):\n    return x @ self.layer.weight.T\n")
    fixed, fixes = fix_weight_of_a_tensor(code)
    assert len(fixes) == 3 and "p.data = (1 - lam) * p.data + lam * p.round()" in fixed and "self.layer.weight.T" in fixed
    namespace: dict = {"torch": torch}
    exec(fixed, namespace)
    p = torch.nn.Parameter(torch.tensor([0.4, 1.6]))
    namespace["weight_op"](p, {}, 50)
    assert torch.allclose(p.detach(), torch.tensor([0.7 * 0.4, 0.7 * 1.6 + 0.3 * 2]))


def test_an_argument_recomputed_from_a_name_bound_nowhere_keeps_its_value() -> None:
    from agentnotes.experiments.guards.autofix import drop_values_computed_from_nothing

    code = ("def update(p, g, state, lr, t, loss, grad_sq):\n    eta = min(loss / (0.5 * grad_sq), 1.0)\n"
            "    p.sub_(eta * g)\n    grad_sq = float(sum((g * g).sum() for g in grads))\n    g = g / lr\n")
    fixed, fixes = drop_values_computed_from_nothing(code)
    assert "grads" not in fixed and "    g = g / lr\n" in fixed and [f.line for f in fixes] == [4]
    assert drop_values_computed_from_nothing(fixed) == (fixed, [])
    top = ("eps0, eps1 = 0.1, 1e-8\neps = eps0 * (eps1 / eps0) ** min(t / STEPS, 1.0)\nscale = 2 * t\n\n\n"
           "def update(p, g, state, lr, t):\n    eps_t = eps0 * (eps1 / eps0) ** min(t / STEPS, 1.0)\n"
           "    p.sub_(lr * scale * g / (g.abs() + eps_t))\n")
    fixed, fixes = drop_values_computed_from_nothing(top)
    assert "eps = " not in fixed and "scale = 2 * t" in fixed and len(fixes) == 1  # `scale` is read: its NameError stays


def test_a_value_the_next_line_replaces_unread_is_dropped() -> None:
    from agentnotes.experiments.guards.autofix import drop_overwritten_values

    code = ("def update(p, g, state, lr, t):\n    beta = t\n    beta = 0.9\n    m = state.setdefault('m', g)\n"
            "    m = beta * m + g\n    x = next_value()\n    x = 1.0\n    p.sub_(lr * m)\n")
    fixed, fixes = drop_overwritten_values(code)
    assert "beta = t" not in fixed and [f.line for f in fixes] == [2]  # `m = beta * m + g` reads m; a call may act
    assert drop_overwritten_values(fixed) == (fixed, [])


def test_a_default_that_reads_another_parameter_is_computed_in_the_body() -> None:
    from agentnotes.experiments.guards.autofix import fix_default_reading_a_parameter

    code = ("import torch.nn as nn\n\nN = 3\n\n\nclass Layer(nn.Module):\n"
            "    def __init__(self, in_features, out_features, k=0.2 * in_features, *, m=N):\n"
            "        \"\"\"Keep the k largest.\"\"\"\n        super().__init__()\n        self.k, self.m = max(1, int(k)), m\n\n\n"
            "def scaled(x, n=N):\n    return x * n\n")
    with pytest.raises(NameError):  # the default is evaluated where in_features does not exist
        exec(code, {})
    fixed, fixes = fix_default_reading_a_parameter(code)
    assert [f.before for f in fixes] == ["k=0.2 * in_features"] and "m=N" in fixed and "n=N" in fixed
    namespace: dict = {}
    exec(fixed, namespace)
    assert namespace["Layer"](10, 4).k == 2 and namespace["Layer"](10, 4, k=5).k == 5 and namespace["Layer"](10, 4).m == 3
    assert fix_default_reading_a_parameter(fixed) == (fixed, [])


def test_a_modules_weights_made_as_plain_tensors_become_parameters() -> None:
    from agentnotes.experiments.guards.autofix import fix_plain_tensor_weights

    layer = ("class IdeaLinear(nn.Module):\n"
             "    def __init__(self, d_in, d_out):\n"
             "        super().__init__()\n"
             "        self.R = torch.randn(d_out, d_in)\n"
             "        self.b = torch.zeros(d_out)\n"
             "        self.mask = torch.ones(d_out, d_in, requires_grad=False)\n"
             "        self.index = torch.zeros(d_out, dtype=torch.long)\n"
             "        self.running = torch.zeros(d_out)\n"
             "        self.unused = torch.ones(d_out)\n"
             "    def forward(self, x):\n"
             "        self.running = 0.9 * self.running + 0.1 * x.mean(0)\n"
             "        return F.linear(x, self.R * self.mask, self.b)[:, self.index] + self.running\n")
    fixed, fixes = fix_plain_tensor_weights(layer)
    assert "self.R = nn.Parameter(torch.randn(d_out, d_in))" in fixed
    assert "self.b = nn.Parameter(torch.zeros(d_out))" in fixed
    assert [fix.line for fix in fixes] == [4, 5]  # the mask, the index, the running value and the unread one stay
    assert fix_plain_tensor_weights(fixed) == (fixed, [])
    compile(fixed, "idea.py", "exec")


def test_a_print_statement_alone_on_its_lines_is_taken_out_and_one_beside_other_code_is_left_to_the_check() -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes
    from agentnotes.experiments.guards.static_check import check_idea_code

    code = ("def transform_batch(x, y, step):\n    print(\"step\", step,\n          x.shape)\n"
            "    for i in range(2):\n        print(i)\n    return x, y\n")
    fixed, fixes = apply_fixes(code, ["data"])
    assert "print" not in fixed and len([f for f in fixes if "prints progress" in f.after]) == 2
    namespace = {}
    exec(fixed, namespace)
    assert namespace["transform_batch"](1, 2, 3) == (1, 2)
    inline = "def transform_batch(x, y, step):\n    if step: print(step)\n    return x, y\n"
    assert apply_fixes(inline, ["data"])[0] == inline
    assert any(p.kind == "forbidden" for p in check_idea_code(inline, ["data"]))


def test_a_name_with_the_notes_subscript_digits_is_written_with_plain_ones() -> None:
    from agentnotes.experiments.guards.autofix import apply_fixes

    code = ("@torch.no_grad()\ndef update(p, g, state, lr, t):\n    a₀ = 0  # the notes' a₀\n"
            "    mask = torch.sigmoid(4 * (g - a₀))\n    p.sub_(lr * mask * g)\n")
    fixed, fixes = apply_fixes(code, ["update_rule"])
    assert "a0 = 0" in fixed and "(g - a0)" in fixed and any(f.after.startswith("a0 = 0") for f in fixes)
    power = "def f(x):\n    return a₀ * x²\n"  # a superscript is a power, not a name: no plain-digit guess
    assert apply_fixes(power, ["activation"])[0] == power


def test_a_tensor_fill_value_of_full_like_becomes_a_product_and_a_number_stays() -> None:
    import torch

    from agentnotes.experiments.guards.autofix import fix_tensor_fill

    code = ("def update(p, g, state, lr, t):\n    floor = 2.0 ** torch.ceil(torch.log2(g.abs().max()))\n"
            "    q = torch.where(g.abs() < floor, torch.full_like(g, floor), g)\n    z = torch.full_like(g, 0.5)\n"
            "    p.sub_(lr * (q + z))\n")
    fixed, fixes = fix_tensor_fill(code)
    assert "torch.ones_like(g) * (floor)" in fixed and "torch.full_like(g, 0.5)" in fixed and [f.line for f in fixes] == [3]
    namespace = {"torch": torch}
    exec(fixed, namespace)
    p = torch.zeros(2)
    namespace["update"](p, torch.tensor([0.3, 3.0]), {}, 1.0, 1)
    assert torch.allclose(p, -torch.tensor([4.5, 4.5]))  # both below the floor 4, filled with it, plus 0.5
    assert fix_tensor_fill(fixed) == (fixed, [])


def test_a_method_defined_twice_keeps_the_definition_python_runs() -> None:
    from agentnotes.experiments.guards.autofix import drop_replaced_definitions

    code = ("class Norm(nn.Module):\n    def extra_parameters(self):\n        self.gamma = nn.Parameter(torch.ones(3))\n\n"
            "    def forward(self, z):\n        return z * self.tau\n\n"
            "    def extra_parameters(self):\n        self.tau = 0.5\n")
    fixed, fixes = drop_replaced_definitions(code)
    assert "gamma" not in fixed and "self.tau = 0.5" in fixed and len(fixes) == 1
    assert drop_replaced_definitions(fixed) == (fixed, [])
