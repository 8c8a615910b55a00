"""Differentiable primitives, grouped by family. Each family module also holds the public
functions that PyTorch exposes at top level (``kitty.exp``, ``kitty.matmul``, ...)."""
