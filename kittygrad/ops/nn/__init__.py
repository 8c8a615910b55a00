"""The neural-network ops behind kittygrad.nn.functional: one module per family (convolution, pooling,
normalization, losses, attention, recurrent cells, ...), each op with its forward and backward."""
