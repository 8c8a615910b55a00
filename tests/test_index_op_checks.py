"""index_select / index_add / index_copy / index_fill / index_reduce refuse what torch refuses, in
torch's words and exception types: each kernel's own index rank and dtype rules, negative positions
(taken from the end by index_fill only) and sources of the wrong shape or dtype."""
from __future__ import annotations

import warnings

import pytest
import torch

import kittygrad as kitty
from torch_errors import raised_as_torch  # (tests/ is on sys.path under pytest)


def _calls(m, op, idx, src=None, inplace=""):
    x = m.zeros(3, 2)
    index = m.tensor(idx[0], dtype=getattr(m, idx[1]))
    if op == "select":
        return lambda: x.index_select(0, index)
    if op == "fill":
        return lambda: getattr(x, "index_fill" + inplace)(0, index, 1.0)
    source = m.ones(*(src or (index.numel(), 2)))
    return lambda: getattr(x, f"index_{op}{inplace}")(0, index, source)


INDICES = {
    "2-d": ([[0]], "int64"), "float": ([0.0], "float32"), "int32": ([0], "int32"), "uint8": ([1], "uint8"),
    "bool": ([True], "bool"), "2-d float": ([[0.0]], "float32"), "negative": ([-1], "int64"),
    "past the end": ([5], "int64"), "far negative": ([-5], "int64"),
}


@pytest.mark.parametrize("inplace", ["", "_"])
@pytest.mark.parametrize("op", ["select", "add", "copy", "fill"])
@pytest.mark.parametrize("case", sorted(INDICES))
def test_index_ops_take_or_refuse_an_index_like_torch(op, case, inplace):
    if op == "select" and inplace:
        pytest.skip("no index_select_")
    idx = INDICES[case]
    try:
        expected = _calls(torch, op, idx, inplace=inplace)()
    except Exception:
        ours, theirs = raised_as_torch(_calls(torch, op, idx, inplace=inplace), _calls(kitty, op, idx, inplace=inplace))
        assert ours == theirs
        return
    assert _calls(kitty, op, idx, inplace=inplace)().tolist() == expected.tolist()


@pytest.mark.parametrize("op, src", [
    ("add", (1, 3)), ("add", (2,)), ("add", (1, 2, 1)), ("add", (4, 2)),
    ("copy", (1, 3)), ("copy", (2,)), ("copy", (1, 2, 1)), ("copy", (4, 2)),
])
def test_index_add_and_copy_refuse_a_source_of_the_wrong_shape_like_torch(op, src):
    idx = ([0], "int64")
    ours, theirs = raised_as_torch(_calls(torch, op, idx, src), _calls(kitty, op, idx, src))
    assert ours == theirs


@pytest.mark.parametrize("op", ["add", "copy"])
def test_index_add_and_copy_refuse_a_source_of_another_dtype_like_torch(op):
    def call(m):
        return lambda: getattr(m.zeros(3), f"index_{op}")(0, m.tensor([0]), m.ones(1, dtype=m.float64))
    ours, theirs = raised_as_torch(call(torch), call(kitty))
    assert ours == theirs


def test_index_reduce_refuses_a_negative_position_like_torch():
    def call(m):
        return lambda: m.zeros(3).index_reduce(0, m.tensor([-1]), m.ones(1), "amax")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the beta notice, once a process)
        ours, theirs = raised_as_torch(call(torch), call(kitty))
    assert ours == theirs
