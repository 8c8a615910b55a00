"""Op-table rows of ``kittygrad/ops/vectors.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

import kittygrad as kitty

ROWS = [
    # (torch's backward fails when the reduced dim itself broadcasts: the shapes here do not)
    Row("linalg.vecdot", lambda m, x, y: m.linalg.vecdot(x, y), 2, shapes=fixed((2, 1, 3), (4, 3)), also=("vecdot",)),
    Row("vecdot_same_shape", lambda m, x, y: m.linalg.vecdot(x, y), 2, min_dims=1),
    Row("vecdot_dim", lambda m, x, y: m.linalg.vecdot(x, y, dim=0), 2, shapes=fixed((3, 4), (3, 1))),
    Row("linalg.vander", lambda m, x: m.linalg.vander(x, N=4), min_dims=1, ints=True, also=("linalg_vander",)),
    Row("vander_square", lambda m, x: m.linalg.vander(x), shapes=fixed((2, 3))),
    # torch.vander's own backward fails (an in-place write): forward here, the gradient below
    Row("vander", lambda m, x: (m.vander(x), m.vander(x, N=4, increasing=True), m.vander(x, 0), m.vander(x, 1)),
        shapes=fixed((3,)), grad=False),
]


def test_torch_vander_gradient_is_linalg_vanders_flipped():
    x0 = np.array([0.0, 2.0, -1.5])
    x = kitty.tensor(x0, requires_grad=True)
    (kitty.vander(x, N=4) * kitty.arange(12.0, dtype=kitty.float64).reshape(3, 4)).sum().backward()
    y = torch.tensor(x0, requires_grad=True)
    (torch.linalg.vander(y, N=4).flip(-1) * torch.arange(12.0, dtype=torch.float64).reshape(3, 4)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy())


_ERRORS = [
    lambda m: m.linalg.vecdot(m.ones(2, 3, dtype=m.int64), m.ones(3, dtype=m.int64)),
    lambda m: m.linalg.vecdot(m.ones(2, 3), m.ones(3, dtype=m.float64)),
    lambda m: m.linalg.vecdot(m.ones(2, 3), m.ones(2)),
    lambda m: m.linalg.vecdot(m.ones(2, 3), m.ones(3), dim=2),
    lambda m: m.linalg.vander(m.tensor([True, False])),
    lambda m: m.linalg.vander(m.ones(3), N=1),
    lambda m: m.linalg.vander(m.tensor(2.0)),
    lambda m: m.vander(m.ones(2, 3)),
    lambda m: m.vander(m.ones(3), N=-1),
]


@pytest.mark.parametrize("fn", _ERRORS)
def test_errors_as_torch(fn):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(kitty)
    assert str(ours.value) == str(theirs.value)
    for kind in (RuntimeError, IndexError):
        assert isinstance(ours.value, kind) == isinstance(theirs.value, kind)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool", "float32"])
def test_vander_dtypes(dtype):
    values = [True, False] if dtype == "bool" else [1, 2]
    ours = kitty.vander(kitty.tensor(values, dtype=getattr(kitty, dtype)))
    theirs = torch.vander(torch.tensor(values, dtype=getattr(torch, dtype)))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    if dtype != "bool":
        ours = kitty.linalg.vander(kitty.tensor(values, dtype=getattr(kitty, dtype)))
        assert str(ours.dtype).split(".")[-1] == str(torch.linalg.vander(torch.tensor(values, dtype=getattr(torch, dtype))).dtype).split(".")[-1]
