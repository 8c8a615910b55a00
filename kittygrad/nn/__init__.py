"""kittygrad.nn: modules, layers, losses, init (as torch.nn)."""
