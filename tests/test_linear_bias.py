"""A linear layer's product and bias (and baddbmm's input): NumPy's GEMM, then the bias added in
place (by long rows for a large product), with the bits of ``x @ w.T + b``; and no GEMM through
SciPy's BLAS, whose own
OpenBLAS threads spin against NumPy's when both run more than one thread (a 784-256-128-10 MLP step
took 14 ms against 1.0 ms on 2 threads)."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.ops import _gemm

PACKAGE = Path(kitty.__file__).resolve().parent


@pytest.mark.parametrize("x_shape, n", [((2048, 96), 384), ((32, 64, 96), 288), ((128, 784), 256), ((3, 5), 4), ((600, 7), 120)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_product_and_bias_equal_numpys_bit_for_bit(x_shape, n, dtype):
    rng = np.random.default_rng(x_shape[-1] + n)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((n, x_shape[-1])).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    product = (x.reshape(-1, x_shape[-1]) @ w.T).reshape(x_shape[:-1] + (n,))
    got = _gemm.rows_affine(x, w, b)
    np.testing.assert_array_equal(got, product + b)
    assert got.dtype == x.dtype and got.flags.c_contiguous
    np.testing.assert_array_equal(_gemm.rows_affine(x, w, None), product)


def test_a_bias_of_another_dtype_is_added_as_numpy_adds_it():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((512, 16)).astype(np.float32), rng.standard_normal((256, 16)).astype(np.float32)
    b = rng.standard_normal(256)  # float64: NumPy's in-place add casts it to the product's float32
    expected = x @ w.T
    expected += b
    np.testing.assert_array_equal(_gemm.rows_affine(x, w, b), expected)


def test_linear_layer_at_a_tiled_shape_matches_torch():
    rng = np.random.default_rng(5)
    data = rng.standard_normal((32, 64, 96)).astype(np.float32)
    g0 = rng.standard_normal((32, 64, 384)).astype(np.float32)
    w0 = (rng.standard_normal((384, 96)) / 10).astype(np.float32)
    b0 = np.linspace(-1, 1, 384, dtype=np.float32)
    results = []
    for lib in (kitty, torch):
        layer = lib.nn.Linear(96, 384)
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(w0))
            layer.bias.copy_(lib.tensor(b0))
        x = lib.tensor(data, requires_grad=True)
        y = layer(x)
        y.backward(lib.tensor(g0))
        results.append([t.detach().numpy().copy() for t in (y, x.grad, layer.weight.grad, layer.bias.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_no_module_calls_scipys_blas():
    """SciPy's BLAS is a second OpenBLAS beside NumPy's: alternating GEMMs between the two, each
    with its own spinning threads, ran ~9x slower on 2 threads. Products go through NumPy."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "blas":
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
            elif isinstance(node, ast.ImportFrom) and node.module and "blas" in node.module.split("."):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("inp_shape, beta, alpha", [((8, 16, 12), 2, 1), ((12,), 1, 1), ((16, 1), 0.5, 2), ((8, 16, 12), 0, 1)])
def test_baddbmm_adds_its_input_into_the_fresh_product_with_numpys_bits(inp_shape, beta, alpha):
    """The product is a fresh array, so the scaled input is added into it in place (a broadcast
    input too); the values are those of the sum written out, and the gradient of a sum (broadcast,
    zero strides) goes to BLAS as a copy, matching torch."""
    rng = np.random.default_rng(len(inp_shape))
    inp0 = rng.standard_normal(inp_shape).astype(np.float32)
    a0, b0 = rng.standard_normal((8, 16, 20)).astype(np.float32), rng.standard_normal((8, 20, 12)).astype(np.float32)
    prod = a0 @ b0
    if alpha != 1:
        prod = alpha * prod
    expected = prod + (inp0 if beta == 1 else beta * inp0) if beta != 0 else prod
    results = []
    for lib in (kitty, torch):
        inp, a, b = (lib.tensor(v, requires_grad=True) for v in (inp0, a0, b0))
        out = lib.baddbmm(inp, a, b, beta=beta, alpha=alpha)
        out.sum().backward()
        results.append([t.detach().numpy().copy() for t in (out, inp.grad, a.grad, b.grad)])
    np.testing.assert_array_equal(results[0][0], expected)
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
