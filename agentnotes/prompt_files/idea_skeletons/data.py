def transform_batch(x, y, step):
    """The idea arm's training batch: return (x, y) after the idea's change. x holds the inputs (batch,
    features...) and y the targets (class indices, or (batch, 1) floats for regression); step = 1, 2, ...,
    STEPS. Evaluation data are never changed. New tensors go on x.device. On the digits task x is (batch, 64),
    each row an 8x8 image flattened: x.view(-1, 1, 8, 8) is the image batch, .reshape(x.shape[0], -1) flattens
    it back (on digits_image x is (batch, 1, 8, 8) already). A value drawn per sample
    that scales x has shape (x.shape[0], 1) for x of shape (batch, features); x[perm] and y[perm], with
    perm = torch.randperm(x.shape[0], device=x.device), pair each sample with another of the batch."""
    ...
