"""The op table: one row per public differentiable op, checked against PyTorch.

A row's ``fn(lib, *tensors)`` is called with ``lib = kittygrad`` and with ``lib = torch``: the same
line of code must work in both, which is itself the API-parity check. ``test_op_table.py`` runs
every row on hypothesis-drawn (broadcasting) shapes in float32 and float64, compares values,
dtypes, autograd flags and gradients with torch, and runs a float64 finite-difference check.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


def positive(x):
    return np.abs(x) + 0.5


def unit_open(x):  # (-1, 1), away from the ends
    return np.tanh(x) * 0.9


def away_from_zero(x):
    return np.where(np.abs(x) < 0.2, np.sign(x + 1e-12) * 0.2 + x, x)


def away_from_int(x):  # for floor/round-like kinks
    return np.floor(x) + 0.25 + 0.5 * (np.abs(x) % 1)


def distinct(x):
    """Values that are far apart (for max/sort-like ops whose gradients need no ties)."""
    flat = np.arange(x.size, dtype=np.float64)
    np.random.default_rng(x.size).shuffle(flat)
    return (flat.reshape(x.shape) * 0.37 - x.size * 0.15)


@dataclass
class Row:
    name: str  # the public name the row covers (coverage is checked by name)
    fn: Callable  # fn(lib, *tensors) -> tensor or tuple of tensors
    nargs: int = 1
    broadcast: bool = False  # draw mutually broadcastable shapes for the inputs
    shapes: Callable | None = None  # rng -> list of shapes, for ops with shape constraints
    domain: Callable | None = None  # maps drawn float values into the op's domain
    grad: tuple | bool = True  # which inputs get gradients (True = all)
    fd: bool = True  # run the float64 finite-difference check
    atol: float = 1e-5
    rtol: float = 1e-4
    min_dims: int = 0
    max_dims: int = 3
    also: tuple = field(default_factory=tuple)  # further public names this row covers
    float_only: bool = True
    ints: bool = False  # also compare forward on int64 inputs (no gradients)
    inputs: str = "float"  # "int" / "bool": the row's inputs are int64 / bool tensors (forward only)
    random: bool = False  # sampling op: compare shapes, dtypes, flags and gradients, not values

    @property
    def names(self):
        return (self.name,) + tuple(self.also)


def matrix_shapes(*pattern):
    """shapes for matmul-like ops: pattern letters are sizes drawn per call, e.g. ("nk", "km")."""

    def draw(rng):
        sizes = {c: int(rng.integers(1, 5)) for c in "".join(pattern)}
        return [tuple(sizes[c] for c in p) for p in pattern]

    return draw


def fixed(*shapes):
    return lambda rng: [tuple(s) for s in shapes]


ROWS: list[Row] = [
    # ---- arithmetic (broadcasting, promotion) ----
    Row("add", lambda m, a, b: m.add(a, b), 2, broadcast=True, also=("__add__",), ints=True),
    Row("add_alpha", lambda m, a, b: m.add(a, b, alpha=2.5), 2, broadcast=True),
    Row("__radd__", lambda m, a: 3 + a),
    Row("sub", lambda m, a, b: m.sub(a, b), 2, broadcast=True, also=("__sub__",), ints=True),
    Row("sub_alpha", lambda m, a, b: m.sub(a, b, alpha=0.5), 2, broadcast=True),
    Row("__rsub__", lambda m, a: 2.5 - a, also=("rsub",)),
    Row("mul", lambda m, a, b: m.mul(a, b), 2, broadcast=True, also=("__mul__",), ints=True),
    Row("__rmul__", lambda m, a: 1.5 * a),
    Row("div", lambda m, a, b: m.div(a, b), 2, broadcast=True, domain=away_from_zero, also=("__truediv__",)),
    Row("__rtruediv__", lambda m, a: 2.0 / a, domain=away_from_zero),
    Row("pow", lambda m, a, b: m.pow(a, b), 2, broadcast=True, domain=positive, also=("__pow__",)),
    Row("pow_scalar", lambda m, a: a**3),
    Row("pow_half", lambda m, a: a**0.5, domain=positive),
    Row("__rpow__", lambda m, a: 2.0**a),
    Row("neg", lambda m, a: m.neg(a), also=("__neg__", "negative")),
    Row("abs", lambda m, a: m.abs(a), domain=away_from_zero, also=("__abs__", "absolute")),
    Row("exp", lambda m, a: m.exp(a)),
    Row("log", lambda m, a: m.log(a), domain=positive),
    Row("sqrt", lambda m, a: m.sqrt(a), domain=positive),
    Row("sigmoid", lambda m, a: m.sigmoid(a)),
    Row("tanh", lambda m, a: m.tanh(a)),
    Row("relu", lambda m, a: m.relu(a), domain=away_from_zero),
    Row("clamp", lambda m, a: m.clamp(a, -0.5, 0.7), domain=lambda x: x * 1.013 + 0.001, also=("clip",)),
    Row("clamp_tensor", lambda m, a, lo, hi: m.clamp(a, lo, hi), 3, shapes=fixed((3, 4), (4,), (3, 1)), fd=False),
    # ---- reductions ----
    Row("sum", lambda m, a: m.sum(a)),
    Row("sum_dim", lambda m, a: a.sum(dim=-1, keepdim=True), min_dims=1),
    Row("sum_dims", lambda m, a: a.sum(dim=(0, -1)), min_dims=2),
    Row("mean", lambda m, a: m.mean(a)),
    Row("mean_dim", lambda m, a: a.mean(0), min_dims=1),
    Row("var", lambda m, a: m.var(a), shapes=fixed((3, 4))),
    Row("var_dim", lambda m, a: a.var(dim=1, keepdim=True, correction=0), shapes=fixed((2, 5, 3))),
    Row("std", lambda m, a: m.std(a), shapes=fixed((6,))),
    Row("std_dim", lambda m, a: a.std(dim=(0, 2), unbiased=True), shapes=fixed((3, 2, 4))),
    # ---- linear algebra ----
    Row("dot", lambda m, a, b: m.dot(a, b), 2, shapes=matrix_shapes("k", "k"), also=("vdot",)),
    Row("mv", lambda m, a, b: m.mv(a, b), 2, shapes=matrix_shapes("nk", "k")),
    Row("mm", lambda m, a, b: m.mm(a, b), 2, shapes=matrix_shapes("nk", "km")),
    Row("bmm", lambda m, a, b: m.bmm(a, b), 2, shapes=matrix_shapes("bnk", "bkm")),
    Row("matmul", lambda m, a, b: m.matmul(a, b), 2, shapes=matrix_shapes("bnk", "km"), also=("__matmul__",)),
    Row("matmul_1d", lambda m, a, b: a @ b, 2, shapes=matrix_shapes("k", "bkm")),
    Row("matmul_batch", lambda m, a, b: a @ b, 2, shapes=lambda rng: [(2, 1, 3, 4), (5, 4, 2)]),
    # ---- shapes and views ----
    Row("transpose", lambda m, a: m.transpose(a, 0, -1), min_dims=1, also=("swapaxes", "swapdims")),
    Row("t", lambda m, a: m.t(a), max_dims=2),
    Row("T", lambda m, a: a.T * 1, shapes=fixed((2, 3))),
    Row("mT", lambda m, a: a.mT * 1, shapes=fixed((4, 2, 3))),
    Row("permute", lambda m, a: m.permute(a, (2, 0, 1)), shapes=fixed((2, 3, 4))),
    Row("squeeze", lambda m, a: m.squeeze(a), shapes=fixed((1, 3, 1, 2))),
    Row("squeeze_dim", lambda m, a: a.squeeze(0), shapes=fixed((1, 3))),
    Row("unsqueeze", lambda m, a: m.unsqueeze(a, 1), min_dims=1),
    Row("expand", lambda m, a: a.expand(2, 3, 4), shapes=fixed((3, 1)), also=("expand_as",)),
    Row("broadcast_to", lambda m, a: m.broadcast_to(a, (2, 3, 4)), shapes=fixed((1, 4))),
    Row("broadcast_tensors", lambda m, a, b: m.broadcast_tensors(a, b), 2, broadcast=True),
    Row("view", lambda m, a: a.view(-1), min_dims=1, also=("view_as",)),
    Row("reshape", lambda m, a: m.reshape(a, (2, -1)), shapes=fixed((2, 3, 2)), also=("reshape_as",)),
    Row("reshape_copy", lambda m, a: a.transpose(0, 1).reshape(-1), shapes=fixed((2, 3))),
    Row("reshape_same", lambda m, a: a.reshape(a.shape) * 2, min_dims=1),
    Row("flatten", lambda m, a: m.flatten(a, 1), shapes=fixed((2, 3, 2))),
    # ---- indexing ----
    Row("__getitem__", lambda m, a: a[1:, ..., ::2], shapes=fixed((3, 2, 5)), also=("getitem",)),
    Row("getitem_int", lambda m, a: a[0, -1], shapes=fixed((3, 4))),
    Row("getitem_none", lambda m, a: a[None, :, 1], shapes=fixed((3, 4))),
    Row("getitem_list", lambda m, a: a[[0, 2, 0]], shapes=fixed((3, 4))),
    Row("getitem_bool", lambda m, a: a[a > 0], shapes=fixed((3, 4)), fd=False),
    Row("getitem_tensor", lambda m, a: a[:, m.tensor([1, 1, 0])], shapes=fixed((2, 3))),
    Row("__setitem__", lambda m, a, b: _setitem(m, a, b), 2, shapes=fixed((3, 4), (4,)), also=("setitem",)),
    # ---- softmax family ----
    Row("softmax", lambda m, a: m.softmax(a, dim=-1), min_dims=1),
    Row("log_softmax", lambda m, a: m.log_softmax(a, dim=0), min_dims=1),
    # ---- in-place ops (on a non-leaf copy, so autograd flows through them) ----
    Row("add_", lambda m, a, b: a.clone().add_(b), 2, shapes=fixed((3, 4), (4,)), also=("__iadd__",)),
    Row("sub_", lambda m, a, b: a.clone().sub_(b, alpha=2), 2, shapes=fixed((3, 4), (3, 4)), also=("__isub__",)),
    Row("mul_", lambda m, a, b: a.clone().mul_(b), 2, shapes=fixed((3, 4), (1, 4)), also=("__imul__",)),
    Row("div_", lambda m, a, b: a.clone().div_(b), 2, shapes=fixed((3, 4), (4,)), domain=away_from_zero, also=("__itruediv__",)),
    Row("pow_", lambda m, a: a.clone().pow_(2), also=("__ipow__",)),
    Row("zero_", lambda m, a, b: (a * 1).zero_() + b, 2, shapes=fixed((3,), (3,))),
    Row("fill_", lambda m, a, b: (a * 1).fill_(b.sum()) * b, 2, shapes=fixed((3,), (3,))),
    Row("copy_", lambda m, a, b: (a * 1).copy_(b) * a, 2, shapes=fixed((2, 3), (3,))),
    Row("clamp_", lambda m, a: (a * 1).clamp_(-0.5, 0.5), domain=lambda x: x * 1.013 + 0.001),
    Row("inplace_view", lambda m, a, b: _inplace_view(a, b), 2, shapes=fixed((3, 4), (4,))),
    # ---- conversions that stay in the graph ----
    Row("to", lambda m, a: a.to(m.float64) * 2, fd=False, also=("double", "type")),
    Row("float", lambda m, a: a.double().float(), fd=False),
    Row("clone", lambda m, a: a.clone(), also=("contiguous",)),
]


def _setitem(m, a, b):
    x = a * 1
    x[1] = b
    x[0, 1:3] = 5.0
    return x


def _inplace_view(a, b):
    x = a * 1
    v = x[1:]
    v.mul_(b)
    x[0].add_(b)
    del v
    return x * x


# rows of other op families live in their own files and join the table here
from op_rows_nn import NN_ROWS  # noqa: E402
from op_rows_more import MORE_ROWS  # noqa: E402

ROWS.extend(NN_ROWS)
ROWS.extend(MORE_ROWS)
