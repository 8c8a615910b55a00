"""Op-table rows of ``kittygrad/ops/calculus.py``: ``diff``, ``gradient``, ``trapezoid``/``trapz``,
``cumulative_trapezoid``."""
from __future__ import annotations

import pytest
import torch

import kittygrad as kitty
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed
from torch_errors import raised_as_torch


def _coords(m, like):
    return m.tensor([0.0, 0.5, 1.5, 1.75, 3.0], dtype=like.dtype)


ROWS = [
    Row("diff", lambda m, a: m.diff(a), min_dims=1, ints=True),
    Row("diff_n2_dim0", lambda m, a: a.diff(n=2, dim=0), min_dims=1),
    Row("diff_prepend_append", lambda m, a, p, q: m.diff(a, dim=1, prepend=p, append=q), 3,
        shapes=fixed((2, 3), (2, 1), (2, 2))),
    Row("diff_bool", lambda m, a: m.diff(a), inputs="bool", min_dims=1),
    Row("gradient", lambda m, a: m.gradient(a), shapes=fixed((4, 3))),
    Row("gradient_spacing_edge2", lambda m, a: m.gradient(a, spacing=0.5, dim=1, edge_order=2), shapes=fixed((2, 4))),
    Row("gradient_coordinates", lambda m, a: m.gradient(a, spacing=(_coords(m, a),), dim=0, edge_order=2)
        + m.gradient(a, spacing=(_coords(m, a),), dim=0), shapes=fixed((5, 2))),
    Row("gradient_int", lambda m, a: m.gradient(a, spacing=[2.0, 3.0]), inputs="int", shapes=fixed((3, 4))),
    Row("trapezoid", lambda m, a: m.trapezoid(a).sum() + m.trapezoid(a, dx=0.5, dim=0).sum(), min_dims=1),
    Row("trapezoid_x", lambda m, y, x: m.trapezoid(y, x, dim=0), 2, shapes=fixed((5, 2), (5,))),
    Row("trapz", lambda m, y, x: m.trapz(y, x) + m.trapz(y, dx=2.0), 2, shapes=fixed((2, 4), (2, 4))),
    Row("cumulative_trapezoid", lambda m, a: m.cumulative_trapezoid(a) * 2, min_dims=1),
    Row("cumulative_trapezoid_x", lambda m, y, x: m.cumulative_trapezoid(y, x, dim=0), 2, shapes=fixed((4, 3), (4,))),
    Row("trapezoid_int", lambda m, a: m.trapezoid(a), inputs="int", shapes=fixed((3, 4))),
]


@pytest.mark.parametrize("kw", [
    dict(spacing=[1.0]),  # one number for two dims: torch does not repeat it
    dict(spacing=(2.0,), dim=[0, 1]),
    dict(spacing=[1.0, 2.0, 3.0], edge_order=3),  # (the length is checked first)
    dict(dim=(0, 0), edge_order=3),
    dict(edge_order=0),
    dict(spacing=[1.0, 2.0], dim=(1, -1)),
    dict(spacing=[1.0, "coords"]),  # a list of numbers and tensors: torch's parser refuses the mix
    dict(spacing=["coords", 2.0], dim=(0, 1)),
    dict(spacing=["matrix", "coords"]),
    dict(spacing=["scalar", "scalar"]),
    dict(spacing=["coords"], dim=[0, 1]),
])
def test_gradient_refuses_bad_spacing_and_dims_as_torch(kw):
    def call(lib):
        fill = {"coords": lib.arange(5.0), "matrix": lib.ones(4, 1), "scalar": lib.tensor(2.0)}
        args = dict(kw)
        if "spacing" in args:
            args["spacing"] = [fill.get(s, s) if isinstance(s, str) else s for s in args["spacing"]]
        return lambda: lib.gradient(lib.ones(4, 5), **args)
    ours, theirs = raised_as_torch(call(torch), call(kitty))
    assert ours == theirs
