"""Tensor methods for the op families beyond the foundation (one line each, calling ops).

Kept apart from ``tensor.py`` so op families grow without touching the core class.
"""
from __future__ import annotations


class TensorMethods:
    __slots__ = ()
