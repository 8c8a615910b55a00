"""Benchmarks: each workload three ways (NumPy floor, torch, kittygrad), interleaved, as ratios."""
