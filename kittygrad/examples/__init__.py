"""Runnable examples that ship with the package (``python -m kittygrad.examples.demo``)."""
