"""index_select / index_add / index_copy / index_fill / index_reduce, and scatter's spellings, refuse
what torch refuses, in torch's words and exception types: each kernel's own index rank and dtype rules,
negative positions (taken from the end by index_fill only) and sources of the wrong shape or dtype."""
from __future__ import annotations

import math
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


# 0-d tensors: torch takes self (and index_copy's source) as one slot along dim 0
ZERO_D = {
    "fill 0-d": lambda m: m.tensor(1.).index_fill(0, m.tensor([0]), 2.),
    "fill 0-d, 0-d index, twice and from the end": lambda m: m.tensor(1.).index_fill(0, m.tensor([0, -1]), 2.),
    "fill_ 0-d with a 0-d tensor": lambda m: m.tensor(1.).index_fill_(0, m.tensor(0), m.tensor(3.)),
    "fill 0-d, a 1-d value": lambda m: m.index_fill(m.tensor(1.), 0, m.tensor([0]), m.tensor([3.])),
    "fill 0-d past the end": lambda m: m.tensor(1.).index_fill(0, m.tensor([1]), 2.),
    "copy 0-d source": lambda m: m.zeros(3).index_copy(0, m.tensor([1]), m.tensor(1.)),
    "copy_ 0-d into 0-d": lambda m: m.tensor(5.).index_copy_(0, m.tensor(0), m.tensor(1.)),
    "copy 1-d into 0-d": lambda m: m.tensor(5.).index_copy(0, m.tensor([0, 0]), m.tensor([1., 2.])),
    "copy 0-d source, two indices": lambda m: m.zeros(3).index_copy(0, m.tensor([0, 1]), m.tensor(1)),
    "copy 0-d source, no index": lambda m: m.tensor(5.).index_copy(0, m.tensor([], dtype=m.long), m.tensor(1.)),
    "copy 0-d source into 2-d": lambda m: m.zeros(2, 3).index_copy(1, m.tensor([0]), m.tensor(1.)),
    "copy 2-d into 0-d": lambda m: m.tensor(5.).index_copy(0, m.tensor([0]), m.tensor([[1.]])),
    "copy, count and slices both off": lambda m: m.zeros(2, 3).index_copy(0, m.tensor([0]), m.ones(2, 4)),
    "copy 1-d into 0-d, count off": lambda m: m.tensor(5.).index_copy(0, m.tensor([0]), m.ones(2)),
    "copy 0-d past the end": lambda m: m.zeros(3).index_copy(0, m.tensor([5]), m.tensor(1.)),
    "add 0-d": lambda m: m.tensor(5).index_add(0, m.tensor([0]), m.tensor(2), alpha=3),
    "add_ 0-d, int32 index": lambda m: m.tensor(5.).index_add_(0, m.tensor([0], dtype=m.int32), m.tensor(1.)),
    "add 0-d source, two indices": lambda m: m.tensor(5.).index_add(0, m.tensor([0, 0]), m.tensor(1.)),
    "add 0-d source, no index": lambda m: m.zeros(3).index_add(0, m.tensor([], dtype=m.long), m.tensor(1.)),
    "add 0-d source along dim 1": lambda m: m.zeros(2, 3).index_add(1, m.tensor([0, 1]), m.tensor(1.)),
    "add 1-d into 0-d": lambda m: m.tensor(5.).index_add(0, m.tensor([0]), m.tensor([1.])),
    "add 0-d past the end": lambda m: m.tensor(5.).index_add(0, m.tensor([1]), m.tensor(1.)),
    "select 0-d, two indices": lambda m: m.tensor(5.).index_select(0, m.tensor([0, 0])),
    "select 0-d, no index": lambda m: m.tensor(5.).index_select(0, m.tensor([], dtype=m.float32)),
}


@pytest.mark.parametrize("case", sorted(ZERO_D))
def test_index_ops_on_0d_tensors_like_torch(case):
    _same_result_or_error(ZERO_D[case], lambda t: (tuple(t.shape), t.tolist(), str(t.dtype).split(".")[1]))


def _same_result_or_error(call, seen):
    """``call(kittygrad)`` raises what ``call(torch)`` raises, or gives what ``seen`` reads alike."""
    try:
        expected = call(torch)
    except Exception:
        ours, theirs = raised_as_torch(lambda: call(torch), lambda: call(kitty))
        assert ours == theirs
        return
    assert seen(call(kitty)) == seen(expected)


@pytest.mark.parametrize("op", ["fill", "copy", "copy into 1-d", "add"])
def test_index_ops_on_0d_tensors_differentiate_like_torch(op):
    def grads(m):
        x = (m.arange(3.) if op == "copy into 1-d" else m.tensor(2.)).requires_grad_()
        s = m.tensor(3., requires_grad=True)
        idx = m.tensor([1 if op == "copy into 1-d" else 0])
        out = {"fill": lambda: x.index_fill(0, idx, s), "add": lambda: x.index_add(0, idx, s, alpha=2)}.get(
            op, lambda: x.index_copy(0, idx, s))()
        (out * m.arange(1., out.numel() + 1).reshape(out.shape)).sum().backward()
        return out.tolist(), x.grad.tolist(), s.grad.tolist()
    assert grads(kitty) == grads(torch)


# scatter, scatter_add and scatter_reduce, each out of place and in place: one set of checks in torch
SCATTERS = {
    "scatter": lambda x, d, i, s: x.scatter(d, i, s), "scatter_": lambda x, d, i, s: x.scatter_(d, i, s),
    "scatter_add": lambda x, d, i, s: x.scatter_add(d, i, s), "scatter_add_": lambda x, d, i, s: x.scatter_add_(d, i, s),
    "scatter_reduce": lambda x, d, i, s: x.scatter_reduce(d, i, s, "sum"),
    "scatter_reduce_": lambda x, d, i, s: x.scatter_reduce_(d, i, s, "amax", include_self=False),
}
SCATTER_CASES = {  # (self's shape, dim, index, src's shape or dtype)
    "src of another dtype": ((3, 2), 0, [[1, 0]], "float64"),
    "a 1-d index into 2-d self (a message not expanded over features)": ((3, 2), 0, [1, 0], (2, 2)),
    "a 1-d src with a 2-d index": ((3, 2), 0, [[1, 0]], (2,)),
    "a 3-d src": ((3, 2), 0, [[1, 0]], (2, 2, 2)),
    "index wider than self": ((3, 2), 0, [[1, 0, 1]], (1, 3)),
    "index larger than src": ((3, 2), 0, [[1, 0]], (1, 1)),
    "index larger than src along dim": ((3, 2), 0, [[1], [0], [1]], (2, 1)),
    "too wide and src too small in rank": ((3, 2), 0, [[1, 0, 1, 1]], (1,)),
    "a 0-d src": ((3,), 0, [1, 2], ()),
    "dim out of range before the dtypes": ((3, 2), 5, [[1, 0]], "float64"),
}


@pytest.mark.parametrize("op", sorted(SCATTERS))
@pytest.mark.parametrize("case", sorted(SCATTER_CASES))
def test_scatter_spellings_refuse_a_bad_index_or_src_like_torch(op, case):
    shape, dim, idx, src = SCATTER_CASES[case]

    def call(m):
        s = m.ones(len(idx), len(idx[0]), dtype=m.float64) if src == "float64" else m.ones(src)
        return lambda: SCATTERS[op](m.zeros(shape), dim, m.tensor(idx), s)
    ours, theirs = raised_as_torch(call(torch), call(kitty))
    assert ours == theirs


def test_scatter_takes_a_0d_tensor_value_as_its_number_like_torch():
    def call(m):
        x = m.zeros(3, 2)
        return x.scatter(0, m.tensor([[1, 0]]), value=m.tensor(2.0)).tolist(), x.scatter_(
            1, m.tensor([[1], [0]]), value=m.tensor(3.0), reduce="add").tolist()
    assert call(kitty) == call(torch)


# an empty index of any rank and dtype writes nothing; a 0-d self, index or src counts as one
# element of one dim (the kernels' view)
SCATTER_SHAPES = {  # (self, dim, index, src: a shape, or None for a number)
    "empty 1-d index into 2-d self": ((3, 4), 0, ((0,), "int64"), (3, 4)),
    "empty 1-d index, 1-d src": ((3, 4), 1, ((0,), "int64"), (5,)),
    "empty 3-d float index": ((3, 4), 0, ((0, 1, 1), "float32"), None),
    "empty (0, 5) index, small src": ((3, 4), 0, ((0, 5), "int64"), (1, 1)),
    "0-d self": ((), 0, 0, ()),
    "0-d self, number": ((), -1, 0, None),
    "0-d self, 1-d index": ((), 0, [0, 0], (2,)),
    "0-d self, index out of range": ((), 0, 1, ()),
    "0-d index into 1-d self": ((2,), 0, 1, ()),
    "negative index": ((3,), 0, [-1], (1,)),
}


def _scatter_args(m, case):
    shape, dim, idx, src = SCATTER_SHAPES[case]
    index = m.zeros(idx[0], dtype=getattr(m, idx[1])) if isinstance(idx, tuple) else m.tensor(idx)
    return m.arange(1., 1 + math.prod(shape)).reshape(shape), dim, index, (
        2.5 if src is None else m.arange(5., 5 + math.prod(src)).reshape(src))


@pytest.mark.parametrize("op", sorted(SCATTERS) + ["scatter_reduce prod", "scatter_reduce mean", "gather"])
@pytest.mark.parametrize("case", sorted(SCATTER_SHAPES))
def test_scatter_on_empty_and_0d_shapes_like_torch(op, case):
    fn = {"scatter_reduce prod": lambda x, d, i, s: x.scatter_reduce(d, i, s, "prod"),
          "scatter_reduce mean": lambda x, d, i, s: x.scatter_reduce(d, i, s, "mean", include_self=False),
          "gather": lambda x, d, i, s: x.gather(d, i)}.get(op, SCATTERS.get(op))

    def call(m):
        x, dim, idx, src = _scatter_args(m, case)
        if src.__class__ is float and op not in ("scatter", "scatter_", "gather"):
            src = m.tensor(src)  # (the others take a tensor src only)
        return fn(x, dim, idx, src)
    _same_result_or_error(call, lambda t: (tuple(t.shape), t.tolist()))


@pytest.mark.parametrize("op", ["scatter", "scatter_add", "scatter_reduce prod", "scatter_reduce amax",
                                "scatter_reduce mean"])
def test_scatter_into_a_0d_self_differentiates_like_torch(op):
    def grads(m):
        x, s = m.tensor(2., requires_grad=True), m.tensor(5., requires_grad=True)
        reduce = op.split()[-1]
        out = {"scatter": lambda: x.scatter(0, m.tensor(0), s), "scatter_add": lambda: x.scatter_add(0, m.tensor(0), s)}.get(
            op, lambda: x.scatter_reduce(0, m.tensor(0), s, reduce, include_self=reduce != "amax"))()
        (out * 3).backward()
        return out.tolist(), x.grad.tolist(), s.grad.tolist()
    assert grads(kitty) == grads(torch)


def test_scatter_with_an_empty_index_of_another_rank_differentiates():
    # torch's src gradient there is an empty tensor, which its engine refuses; kittygrad's is zeros
    x, s = kitty.ones(3, 4, requires_grad=True), kitty.ones(3, 4, requires_grad=True)
    x.scatter_add(0, kitty.zeros(0, dtype=kitty.long), s).sum().backward()
    assert x.grad.tolist() == kitty.ones(3, 4).tolist() and s.grad.tolist() == kitty.zeros(3, 4).tolist()
