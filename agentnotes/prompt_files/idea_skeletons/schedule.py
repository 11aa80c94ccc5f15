def lr_at(step, lr):
    """The learning rate of step `step` (1, 2, ..., STEPS), a float >= 0: lr is the arm's tuned base rate,
    so write the schedule as lr times a function of step and STEPS."""
    ...
