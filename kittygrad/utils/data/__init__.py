"""kittygrad.utils.data: datasets, samplers, DataLoader (as torch.utils.data)."""
