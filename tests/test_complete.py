"""Merging a separately written missing part into idea code."""

from __future__ import annotations

import ast

from agentnotes.experiments.guards.complete import merge_piece

CODE = ("import torch\nimport torch.nn as nn\n\nEVERY = 50\n\n\nclass Mirror(nn.Module):\n    pass\n\n\n"
        "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim, linear=Mirror)\n")


def test_the_piece_adds_only_what_the_code_does_not_define() -> None:
    piece = ("import torch\nimport math\n\nEVERY = 10\n\n\nclass Mirror(nn.Module):\n    changed = True\n\n\n"
             "class Gonnor(torch.optim.Optimizer):\n    @torch.no_grad()\n    def step(self):\n        pass\n\n\n"
             "def make_optimizer(params, lr):\n    return Gonnor(params, lr)\n")
    merged = merge_piece(CODE, piece)
    assert merged.startswith(CODE.rstrip("\n"))
    added = merged[len(CODE.rstrip("\n")):]
    assert "import math" in added and "class Gonnor" in added and "@torch.no_grad()" in added and "def make_optimizer" in added
    assert "EVERY = 10" not in added and "changed = True" not in added and "import torch\n" not in added
    assert {n.name for n in ast.parse(merged).body if isinstance(n, ast.FunctionDef)} == {"build_model", "make_optimizer"}


def test_a_piece_that_does_not_parse_or_adds_nothing_leaves_the_code_as_it_is() -> None:
    assert merge_piece(CODE, "def make_optimizer(params, lr:\n") == CODE
    assert merge_piece(CODE, CODE) == CODE


def test_a_hook_about_to_be_written_anew_is_dropped_with_its_decorators() -> None:
    from agentnotes.experiments.guards.complete import drop_definitions

    lazy = CODE + "\n\n@staticmethod\ndef make_optimizer(params, lr):\n    return torch.optim.SGD(params, lr)\n"
    assert drop_definitions(lazy, {"make_optimizer"}) == CODE
    assert drop_definitions(CODE, {"make_optimizer"}) == CODE


def test_a_piece_class_named_like_a_code_class_of_another_kind_is_renamed() -> None:
    code = "import torch\n\n\nclass Gonnor(torch.nn.Module):\n    def __init__(self, a, b, c):\n        super().__init__()\n"
    piece = ("import torch\n\n\nclass Gonnor(torch.optim.Optimizer):\n    pass\n\n\n"
             "def make_optimizer(params, lr):\n    return Gonnor(params, lr)\n")
    merged = merge_piece(code, piece)
    assert merged.startswith(code.rstrip("\n"))  # the code's module stays
    assert "class GonnorOptimizer(torch.optim.Optimizer):" in merged and "return GonnorOptimizer(params, lr)" in merged
