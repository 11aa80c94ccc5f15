def transform_batch(x, y, step):
    """The idea arm's training batch: return (x, y) after the idea's change. x holds the inputs (batch,
    features...) and y the targets (class indices, or (batch, 1) floats for regression); step = 1, 2, ...,
    STEPS. Evaluation data are never changed. New tensors go on x.device."""
    ...
