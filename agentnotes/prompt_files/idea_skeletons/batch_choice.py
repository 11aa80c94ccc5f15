def choose_batch(idx, x, y, model, step):
    """The training examples of this step's batch, as a 1-D tensor of indices into the training set. idx holds the
    batch the baseline draws at this step (random indices, BATCH_SIZE of them); x and y are the whole training set's
    inputs and targets; model is the network as it is now, called here without gradients (to score or embed
    examples: model(x[some])). Keep the batch's size (len(idx)) unless the notes change it."""
    ...
