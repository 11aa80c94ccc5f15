def compute_loss(out, y, model, x, step):
    """The idea's training loss, a scalar tensor, reading the network's outputs for other inputs besides the batch's.
    x holds the batch's inputs and out = model(x) their outputs: for classification out holds the logits (batch,
    classes) and y the class indices (batch,); for regression both are (batch, 1) floats. model(other) gives the
    outputs for other inputs shaped like x, e.g. model(x + sigma * torch.randn_like(x)). A value the notes stop the
    gradient of (sg[.], stop-gradient) is value.detach(); the gradient of a loss with respect to the inputs is
    torch.autograd.grad(loss_per_sample.sum(), xg, create_graph=True)[0] after xg = x.detach().requires_grad_(True)
    and a loss computed from model(xg); with respect to the parameters it is
    torch.autograd.grad(task_loss(out, y), list(model.parameters()), create_graph=True). task_loss(out, y) is the task's usual loss (MSE or cross-entropy);
    step = 1, 2, ..., STEPS. Evaluation keeps the task's metric."""
    ...
