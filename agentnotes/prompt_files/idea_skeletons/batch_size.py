def batch_size_at(step):
    """The number of training examples in the batch of step `step` (step = 1, 2, ..., STEPS): a whole
    number of at least 1, as a function of step / STEPS. The baseline's batch holds BATCH_SIZE examples at
    every step; everything else (data, steps, learning rate) stays as in the baseline."""
    ...
