"""A reply stuck repeating one line is cut where it starts looping, one copy kept."""

from __future__ import annotations

from fakes import RecordingChatModel

from agentnotes.agents.experimenter import BLOCK_REPEATS_TO_STOP, REPEATS_TO_STOP, code_of_reply, repeats_itself
from agentnotes.agents.llm_call import call_llm
from agentnotes.prompts import load_prompt

LOOPING_LINE = "        experts = [nn.Linear(8, 8) for _ in range(4)]  # 4 experts"
LOOP = "```python\nclass Mix(nn.Module):\n    def __init__(self):\n" + (LOOPING_LINE + "\n") * 40 + "```\n"


def test_a_line_repeated_in_a_row_at_the_end_is_a_loop_and_short_or_spread_repeats_are_not() -> None:
    looping = "def f():\n" + (LOOPING_LINE + "\n") * REPEATS_TO_STOP + "        exp"
    assert repeats_itself(looping)
    assert not repeats_itself("def f():\n" + (LOOPING_LINE + "\n") * (REPEATS_TO_STOP - 1) + "    return 1\n")
    assert not repeats_itself("x = 1\n" + "    pass\n" * 10)  # a line too short to say
    assert not repeats_itself((LOOPING_LINE + "\n    y = 2\n") * 10)  # not in a row


def test_the_code_of_a_cut_reply_keeps_one_copy_of_the_repeated_line() -> None:
    cut = LOOP[:LOOP.index(LOOPING_LINE) + (len(LOOPING_LINE) + 1) * REPEATS_TO_STOP + 10]
    code = code_of_reply(cut)
    assert code.count("experts = ") == 1 and code.startswith("class Mix(nn.Module):")
    kept = "```python\nx = f(x)\nx = f(x)\n```"  # a reply not cut keeps its lines as written
    assert code_of_reply(kept) == "x = f(x)\nx = f(x)\n"


def test_a_streamed_reply_is_cut_as_soon_as_it_loops() -> None:
    model = RecordingChatModel(responses=[LOOP])
    reply = call_llm(model, load_prompt("write_idea_code"), _values(), stop_when=repeats_itself)
    assert reply.text.count(LOOPING_LINE) == REPEATS_TO_STOP
    assert len(reply.text) < len(LOOP) / 3
    whole = call_llm(RecordingChatModel(responses=[LOOP]), load_prompt("write_idea_code"), _values())
    assert whole.text == LOOP  # without stop_when nothing is cut


def _values() -> dict[str, str]:
    return {name: "x" for name in ("interface", "hooks", "examples", "passages", "plan", "feedback", "idea_name")}


def test_a_block_of_lines_repeated_in_a_row_is_a_loop_cut_to_one_copy() -> None:
    methods = ("    def extra_parameters(self):\n        \"\"\"Optional: the layer's other parameters.\"\"\"\n        return\n\n"
               "    def forward(self, x):\n        \"\"\"The layer's output for x.\"\"\"\n        ...\n\n")
    reply = "```python\nclass IdeaLinear(nn.Module):\n" + methods * BLOCK_REPEATS_TO_STOP + "    def extra_par"
    assert repeats_itself(reply)
    assert not repeats_itself("```python\nclass IdeaLinear(nn.Module):\n" + methods * (BLOCK_REPEATS_TO_STOP - 1) + "    def x")
    code = code_of_reply(reply)
    assert code.count("def forward") == 1 and code.count("def extra_parameters") == 1
    unrolled = "x = layer(x)\nx = relu(x)\n" * 4 + "return x\n"  # short code repeated on purpose
    assert not repeats_itself(unrolled)


def test_a_block_growing_at_each_copy_is_a_loop_and_lines_of_one_shape_are_not() -> None:
    growing = ["stds = x.std(0)"] + [f"    # the square of the last\n    s{'_sq' * (i + 1)} = s{'_sq' * i} ** 2" for i in range(REPEATS_TO_STOP)]
    reply = "```python\ndef init_weights(layers, x, y):\n" + "\n".join(growing) + "\n    s_sq"
    assert repeats_itself(reply)
    code = code_of_reply(reply)
    assert "s_sq = s ** 2" in code and "s_sq_sq =" not in code
    layers = "\n".join(f"self.fc{i} = nn.Linear(64, 64)" for i in range(REPEATS_TO_STOP + 2)) + "\nx"
    assert not repeats_itself(layers)  # one shape, but no copy longer than the last
