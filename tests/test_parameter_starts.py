"""Learnable parameters started where the notes start them (guards/parameter_starts.py)."""

from __future__ import annotations

from agentnotes.experiments.guards.parameter_starts import start_parameters_as_noted

CODE = '''class IdeaActivation(nn.Module):
    def __init__(self, width=1):
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(1.5))
        self.beta = nn.Parameter(torch.full((width,), -1.0))
        self.gain = nn.Parameter(torch.ones(width))

    def forward(self, x):
        return self.gain * x / (x / self.alpha + torch.exp(-x / self.beta))
'''


def test_a_parameter_the_notes_start_elsewhere_is_started_at_their_number() -> None:
    note = "f(x) = x / (x/α + e^{−x/β})，α、β 可学。\n对照：SRS(α=2, β=3 初始，可学)"  # invented
    fixed, fixes = start_parameters_as_noted(CODE, note)
    assert "self.alpha = nn.Parameter(torch.tensor(2.0))" in fixed
    assert "self.beta = nn.Parameter(torch.full((width,), 3.0))" in fixed
    assert "self.gain = nn.Parameter(torch.ones(width))" in fixed  # a start the fix does not read stays
    assert [fix.line for fix in fixes] == [4, 5]


def test_a_parameter_started_as_noted_or_with_no_start_in_the_notes_is_left_alone() -> None:
    assert start_parameters_as_noted(CODE, "α starts at 1.5; β is initialised to -1") == (CODE, [])
    assert start_parameters_as_noted(CODE, "α and β are learnable.") == (CODE, [])
    assert start_parameters_as_noted("def broken(:\n", "α starts at 2") == ("def broken(:\n", [])


def test_a_negative_start_in_the_notes_replaces_a_positive_one() -> None:
    fixed, _ = start_parameters_as_noted(CODE, "α 初始化为 −0.5")
    assert "self.alpha = nn.Parameter(torch.tensor(-0.5))" in fixed
