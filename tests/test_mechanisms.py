"""A mechanism the idea's title names, which its code must compute (guards/mechanisms.py)."""

from __future__ import annotations

from agentnotes.experiments.guards.mechanisms import missing_mechanism

TWO_CONVS = ("class IdeaConv(nn.Module):\n    def forward(self, x):\n        return self.conv2(self.conv1(x)) + self.conv1(x)\n")
ATTENTION = ("class IdeaConv(nn.Module):\n    def forward(self, x):\n"
             "        w = (self.q(x) @ self.k(x).transpose(-1, -2)).softmax(dim=-1)\n        return w @ self.v(x)\n")


def test_an_attention_idea_whose_code_computes_no_attention_is_sent_back() -> None:
    note = "# 8×8 digits 上的 axial attention：先沿行、再沿列做 self-attention\n\n每个像素一个 token。"
    problems = missing_mechanism(TWO_CONVS, note, ["architecture"])
    assert [p.kind for p in problems] == ["missing_mechanism"] and "softmax" in problems[0].message
    assert missing_mechanism(ATTENTION, note, ["architecture"]) == []
    assert missing_mechanism(TWO_CONVS, "# 注意力池化\n", ["layer"]) != []


def test_linear_attention_mechanisms_done_without_and_other_kinds_ask_for_nothing() -> None:
    assert missing_mechanism(TWO_CONVS, "# DeltaNet vs plain linear attention on recall\n", ["architecture"]) == []
    assert missing_mechanism(TWO_CONVS, "# A mixer without attention\n", ["architecture"]) == []
    assert missing_mechanism(TWO_CONVS, "# 8x8 digits 上的 Spatial Transformer 前端\n", ["architecture"]) == []
    assert missing_mechanism(TWO_CONVS, "# Attention momentum over the last K gradients\n", ["update_rule"]) == []
    assert missing_mechanism(TWO_CONVS, "# Depthwise conv on digits\n", ["architecture"]) == []


def test_a_recurrent_idea_whose_code_steps_nothing_over_time_is_sent_back() -> None:
    flat = "class IdeaCell(nn.Module):\n    def forward(self, x):\n        return torch.tanh(self.proj(x))\n"
    stepped = ("class IdeaCell(nn.Module):\n    def forward(self, x):\n        h = x.new_zeros(x.shape[0], 8)\n"
               "        for t in range(x.shape[1]):\n            h = torch.tanh(self.w(x[:, t]) + self.u(h))\n        return h\n")
    note = "# GRU + 不遗忘的加性侧寄存器\n"
    assert [p.kind for p in missing_mechanism(flat, note, ["architecture"])] == ["missing_mechanism"]
    assert missing_mechanism(stepped, note, ["architecture"]) == []
    assert missing_mechanism(flat, "# 对角线性递归单元替代 GRU 做序列分类\n", ["architecture"]) == []  # what it replaces
    assert missing_mechanism(flat, "# 极坐标展开：让旋转变成循环平移\n", ["architecture"]) == []  # a cyclic shift
