"""Steps the idea code waits for that a run never reaches (guards/step_reach.py)."""

from __future__ import annotations

from agentnotes.experiments.guards.step_reach import unreached_steps

_LOCK = '''
def weight_op(p, state, step):
    K = 1000
    if step == K:
        state["s"] = torch.sign(p)
    elif step > K:
        p.copy_(state["s"] * torch.clamp(state["s"] * p, min=0))
'''


def test_a_step_the_run_never_reaches_is_named_with_its_line() -> None:
    problems = unreached_steps(_LOCK, 300)
    assert [p.line for p in problems] == [4, 6] and all("trains 300 steps" in p.message for p in problems)
    assert "int(0.2 * STEPS)" in problems[0].message
    assert unreached_steps(_LOCK.replace("K = 1000", "K = 100"), 300) == []  # reached: nothing to say
    assert unreached_steps(_LOCK, 2000) == []
    assert len(unreached_steps("def f(step):\n    return 500 <= step\n", 300)) == 1  # sides swapped
    assert unreached_steps("def f(step):\n    return step < 5000\n", 300) == []  # holds: the idea acts throughout
    assert unreached_steps("def f(step:\n", 300) == []  # no code to read
