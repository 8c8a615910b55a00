"""Second derivatives of functions that write in place through views, against torch.

The Hessian of such a function differentiates the gradient's graph through the base's CopySlices
node: the old value of the written view (which mul_ reads) must be rebuilt on the base's old
graph, and the written region's new value must reach the base's new node.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty

X = np.array([[0.3, -1.1, 0.8], [1.7, -0.4, 0.9]])


def _shift_product(lib, x):
    y = x.clone()
    y[1:] *= x[:-1]
    return (y ** 2).sum()


def _strided_product(lib, x):
    y = x.clone()
    y.view(-1)[::2].mul_(x.view(-1)[1::2])
    return (y ** 2).sum()


def _diagonal_sum(lib, x):
    y = x * x
    y.diagonal().add_(y[1, :2])
    y.t()[2].mul_(x[1, 1])
    return (y ** 3).sum()


def _saved_output(lib, x):
    y = x * 1.5
    y[1].mul_(x[0])
    y[0, ::2].sigmoid_()  # (saves its output, the written region: no write after it)
    return (y * y.flip(0)).sum()


FUNCTIONS = [_shift_product, _strided_product, _diagonal_sum, _saved_output]


def _hessians(lib, f):
    x = lib.tensor(X, dtype=lib.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch: performance notes of its vmap fallback)
        return [
            lib.func.hessian(lambda x: f(lib, x))(x).detach().numpy(),
            lib.autograd.functional.hessian(lambda x: f(lib, x), x).detach().numpy(),
            lib.autograd.functional.hessian(lambda x: f(lib, x), x, vectorize=True).detach().numpy(),
        ]


@pytest.mark.parametrize("f", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_hessian_of_inplace_writes_through_views_matches_torch(f):
    for ours, ref in zip(_hessians(kitty, f), _hessians(torch, f)):
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)
