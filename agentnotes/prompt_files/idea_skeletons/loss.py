def compute_loss(out, y, step):
    """The idea's training loss, a scalar tensor. For classification out holds the logits (batch, classes)
    and y the class indices (batch,); for regression both are (batch, 1) floats. task_loss(out, y) is the
    task's usual loss (MSE or cross-entropy), task_loss(out, y, per_sample=True) each sample's (batch, 1); step = 1, 2, ..., STEPS. CLASS_COUNTS (a float tensor, classes) holds each
    class's number of training examples: the class prior is CLASS_COUNTS / CLASS_COUNTS.sum(). Evaluation keeps the task's metric."""
    ...
