"""Bad input gets a clear, typed error — the same exception type torch raises."""
import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.errors import KittygradError
from torch_errors import raised_as_torch  # (tests/ is on sys.path under pytest)

CASES = [
    ("none operand", lambda m: m.ones(2) + None),
    ("string operand", lambda m: m.ones(2) - "a"),
    ("shape mismatch", lambda m: m.ones(2, 3) + m.ones(4)),
    ("matmul shapes", lambda m: m.ones(2, 3) @ m.ones(2, 3)),
    ("mm of vectors", lambda m: m.mm(m.ones(3), m.ones(3))),
    ("dot sizes", lambda m: m.dot(m.ones(3), m.ones(4))),
    ("matmul of 0-d", lambda m: m.matmul(m.tensor(1.0), m.ones(3))),
    ("requires_grad on ints", lambda m: m.ones(2, dtype=m.int64).requires_grad_()),
    ("requires_grad int dtype", lambda m: m.tensor([1, 2], dtype=m.int64, requires_grad=True)),
    ("dim out of range", lambda m: m.ones(2, 3).sum(dim=5)),
    ("transpose out of range", lambda m: m.ones(2, 3).transpose(0, 3)),
    ("bad view", lambda m: m.ones(2, 3).view(4, 2)),
    ("bad reshape", lambda m: m.ones(2, 3).reshape(-1, 4)),
    ("two -1", lambda m: m.ones(2, 3).reshape(-1, -1)),
    ("expand", lambda m: m.ones(2, 3).expand(4, 3)),
    ("index out of range", lambda m: m.ones(2, 3)[5]),
    ("float index", lambda m: m.ones(2, 3)[m.tensor([0.5])]),
    ("item of many", lambda m: m.ones(3).item()),
    ("bool of many", lambda m: bool(m.ones(3))),
    ("mean of ints", lambda m: m.tensor([1, 2]).mean()),
    ("negative size", lambda m: m.zeros(2, -3)),
    ("None data", lambda m: m.tensor(None)),
    ("backward non-scalar", lambda m: (m.ones(2, requires_grad=True) * 2).backward()),
    ("backward without grad", lambda m: m.ones(2).sum().backward()),
    ("in-place int by float", lambda m: m.tensor([1, 2]).add_(0.5)),
    ("permute wrong length", lambda m: m.ones(2, 3).permute(0)),
    ("squeeze dim out of range", lambda m: m.ones(2).squeeze(3)),
    ("softmax of ints", lambda m: m.softmax(m.tensor([1, 2]), dim=0)),
    ("leaf in-place", lambda m: m.ones(2, requires_grad=True).add_(1)),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_same_exception_type_as_torch(name, fn):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as k_err:
        fn(kitty)
    # the kittygrad error is (a subclass of) the exact type torch raised
    assert isinstance(k_err.value, type(t_err.value)), f"{name}: kittygrad raised {type(k_err.value)}, torch {type(t_err.value)}"
    assert str(k_err.value), "errors must say what happened"
    # and never a NumPy traceback from deep inside
    assert "numpy" not in type(k_err.value).__module__


def test_complex_and_unsupported_dtypes_are_type_errors():
    """torch has complex and uint16 tensors; kittygrad does not, and says so with a TypeError."""
    for make in (
        lambda: kitty.ones(2) * (1 + 2j),
        lambda: kitty.tensor(np.array([1j])),
        lambda: kitty.tensor([1 + 2j]),
        lambda: kitty.from_numpy(np.array([1], dtype=np.uint16)),
        lambda: kitty.ones(2).to(np.complex64),
    ):
        with pytest.raises(TypeError, match="complex|support|convert"):
            make()


def test_messages_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\)"):
        kitty.ones(2, 3) + kitty.ones(4)
    with pytest.raises(RuntimeError, match=r"\(2x3 and 2x3\)"):
        kitty.ones(2, 3) @ kitty.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"shape '\[-1, 4\]' is invalid for input of size 6"):
        kitty.ones(2, 3).reshape(-1, 4)


def test_errors_derive_from_the_kittygrad_base():
    with pytest.raises(KittygradError):
        kitty.ones(2, 3) + kitty.ones(4)
    with pytest.raises(KittygradError):
        kitty.tensor(None)


SAME_MESSAGE = [
    ("negating a bool tensor", lambda m: -m.tensor([True, False])),
    ("neg_ of a bool tensor", lambda m: m.tensor([True]).neg_()),
    ("float alpha with ints", lambda m: m.add(m.arange(3), m.arange(3), alpha=0.5)),
    ("float alpha with an int scalar", lambda m: m.sub(m.arange(3), 1, alpha=0.5)),
    ("float alpha in add_", lambda m: m.arange(3).add_(m.arange(3), alpha=0.5)),
    ("bool alpha with floats", lambda m: m.add(m.ones(2), m.ones(2), alpha=True)),
    ("lerp end of another dtype", lambda m: m.lerp(m.ones(2, dtype=m.float64), m.ones(2), 0.5)),
    ("lerp end half", lambda m: m.lerp(m.ones(2), m.ones(2, dtype=m.float16), 0.5)),
    ("lerp 1-d weight of another dtype", lambda m: m.lerp(m.ones(2), m.ones(2), m.ones(2, dtype=m.int64))),
    ("lerp_ 1-d weight of another dtype", lambda m: m.ones(2).lerp_(m.ones(2), m.ones(2, dtype=m.float64))),
]


@pytest.mark.parametrize("name,fn", SAME_MESSAGE, ids=[c[0] for c in SAME_MESSAGE])
def test_same_type_and_message_as_torch(name, fn):
    ours, theirs = raised_as_torch(lambda: fn(torch), lambda: fn(kitty))
    assert ours == theirs


def test_what_the_alpha_and_weight_checks_let_through_matches_torch():
    """The other side of those checks: an int alpha on bools acts as a bool, a 0-dim weight of
    another dtype takes part in type promotion (it wins only over 0-dim inputs)."""
    cases = [
        lambda m: m.add(m.tensor([True, False]), m.tensor([True, False]), alpha=2),
        lambda m: m.add(m.tensor([False, False]), m.tensor([True, False]), alpha=0),
        lambda m: m.add(m.arange(3), 1.5, alpha=2),
        lambda m: m.lerp(m.ones(2), m.zeros(2), m.tensor(0.25, dtype=m.float64)),
        lambda m: m.lerp(m.tensor(1.0), m.tensor(2.0), m.tensor(0.25, dtype=m.float64)),
        lambda m: m.lerp(m.ones(2), m.zeros(2), m.tensor(1)),
        lambda m: m.ones(2).lerp_(m.zeros(2), m.tensor(0.25, dtype=m.float64)),
    ]
    for fn in cases:
        ours, theirs = fn(kitty), fn(torch)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert ours.tolist() == theirs.tolist()
