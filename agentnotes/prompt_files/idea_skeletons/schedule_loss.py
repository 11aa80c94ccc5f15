STATE = {}  # what the schedule keeps between steps; emptied at step 1 of every training run


def lr_at(step, lr, loss):
    if step == 1:
        STATE.clear()
    return rate(step, lr, loss, STATE)


def rate(step, lr, loss, state):
    """The learning rate of step `step` (1, 2, ..., STEPS), a float >= 0. loss is this step's training loss
    (a float); state is a dict for what the rule keeps between steps (the current rate, earlier losses, a
    running mean, counters), empty at step 1. lr is the arm's tuned base rate: the rule starts from lr."""
    ...
