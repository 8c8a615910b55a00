"""Bad input gets a clear, typed error — the same exception type torch raises."""
import math
import warnings

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
    # a tensor as a Number argument: only a 0-d one that does not require grad is taken
    ("1-d tensor alpha", lambda m: m.ones(2).add_(m.ones(2), alpha=m.tensor([2.0]))),
    ("tensor alpha requiring grad", lambda m: m.sub(m.ones(2), m.ones(2), alpha=m.tensor(2.0, requires_grad=True))),
    ("1-d tensor value of addcmul_", lambda m: m.ones(2).addcmul_(m.ones(2), m.ones(2), value=m.ones(2))),
    ("1-d tensor value of addcdiv", lambda m: m.addcdiv(m.ones(2), m.ones(2), m.ones(2), value=m.ones(1))),
    ("0-d float tensor alpha with ints", lambda m: m.add(m.arange(3), m.arange(3), alpha=m.tensor(0.5))),
    ("0-d bool tensor alpha with floats", lambda m: m.ones(2).add(m.ones(2), alpha=m.tensor(True))),
    ("lerp end of another dtype", lambda m: m.lerp(m.ones(2, dtype=m.float64), m.ones(2), 0.5)),
    ("lerp end half", lambda m: m.lerp(m.ones(2), m.ones(2, dtype=m.float16), 0.5)),
    ("lerp 1-d weight of another dtype", lambda m: m.lerp(m.ones(2), m.ones(2), m.ones(2, dtype=m.int64))),
    ("lerp_ 1-d weight of another dtype", lambda m: m.ones(2).lerp_(m.ones(2), m.ones(2, dtype=m.float64))),
    # dtypes named with torch's scalar-type names (Long, Int, Byte, Float, Double, Short)
    ("mean of int64", lambda m: m.tensor([1, 2]).mean()),
    ("mean of int32", lambda m: m.tensor([1, 2], dtype=m.int32).mean()),
    ("mean of uint8", lambda m: m.tensor([1, 2], dtype=m.uint8).mean()),
    ("mean with an int dtype", lambda m: m.ones(2).mean(dtype=m.int32)),
    ("exponential_ of ints", lambda m: m.zeros(3, dtype=m.int64).exponential_()),
    ("nll_loss float target", lambda m: m.nn.functional.nll_loss(m.zeros(3, 4), m.tensor([0.0, 1, 1]))),
    ("0-dim view as a wider dtype", lambda m: m.tensor(1.0).view(m.float64)),
    ("0-dim view as a narrower dtype", lambda m: m.tensor(1.0).view(m.int16)),
    ("embedding float indices", lambda m: m.nn.functional.embedding(m.tensor([1.0]), m.zeros(5, 2))),
    ("std of ints", lambda m: m.tensor([1, 2]).std()),
    ("var of ints along a dim", lambda m: m.tensor([[1, 2]]).var(0)),
    # softmax of ints and products of mixed dtypes, in the words of torch's kernels
    ("softmax of ints, last dim", lambda m: m.softmax(m.tensor([[1, 2]]), -1)),
    ("softmax of ints, first dim", lambda m: m.softmax(m.tensor([[1, 2]]), 0)),
    ("log_softmax of ints", lambda m: m.tensor([1, 2]).log_softmax(0)),
    ("softmax without dim", lambda m: m.softmax(m.ones(2))),
    ("nn.Linear on float64", lambda m: m.nn.Linear(4, 2)(m.ones(3, 4, dtype=m.float64))),
    ("nn.Linear on a float64 batch of sequences", lambda m: m.nn.Linear(4, 2)(m.ones(2, 3, 4, dtype=m.float64))),
    ("linear without bias on float16", lambda m: m.nn.functional.linear(m.ones(3, 4, dtype=m.float16), m.ones(2, 4))),
    ("linear with a float64 bias", lambda m: m.nn.functional.linear(m.ones(3, 4), m.ones(2, 4), m.ones(2, dtype=m.float64))),
    ("mm of int64 and float", lambda m: m.mm(m.ones(3, 4, dtype=m.int64), m.ones(4, 2))),
    ("matmul of int64 and float", lambda m: m.ones(3, 4, dtype=m.int64) @ m.ones(4, 2)),
    ("matmul of int vectors and float", lambda m: m.ones(4, dtype=m.int64) @ m.ones(4)),
    ("matmul of an int matrix and a vector", lambda m: m.ones(3, 4, dtype=m.int64) @ m.ones(4)),
    ("batched matmul of int64 and float", lambda m: m.ones(2, 3, 4, dtype=m.int64) @ m.ones(4, 2)),
    ("bmm of int32 and float", lambda m: m.bmm(m.ones(2, 3, 4, dtype=m.int32), m.ones(2, 4, 2))),
    ("dot of float64 and float", lambda m: m.dot(m.ones(4, dtype=m.float64), m.ones(4))),
    ("mv of float64 and float", lambda m: m.mv(m.ones(3, 4, dtype=m.float64), m.ones(4))),
    ("nn.Conv2d on float64", lambda m: m.nn.Conv2d(2, 3, 3)(m.ones(1, 2, 5, 5, dtype=m.float64))),
    ("conv2d without bias on float64", lambda m: m.nn.functional.conv2d(m.ones(1, 2, 5, 5, dtype=m.float64), m.ones(3, 2, 3, 3))),
    ("conv1d with a float64 bias", lambda m: m.nn.functional.conv1d(m.ones(1, 2, 5), m.ones(3, 2, 3), m.ones(3, dtype=m.float64))),
    ("conv2d with a float64 weight", lambda m: m.nn.functional.conv2d(m.ones(1, 2, 5, 5), m.ones(3, 2, 3, 3, dtype=m.float64))),
    ("conv_transpose2d on float64", lambda m: m.nn.functional.conv_transpose2d(m.ones(1, 2, 5, 5, dtype=m.float64), m.ones(2, 3, 3, 3), m.ones(3))),
    # repeat_interleave's counts along a dim: the sizes named, dim as given (0 once flattened)
    ("repeat_interleave counts of another length", lambda m: m.repeat_interleave(m.ones(2), m.tensor([1, 2, 3]), dim=0)),
    ("repeat_interleave counts along dim -1", lambda m: m.ones(2, 3).repeat_interleave(m.tensor([1, 2]), dim=-1)),
    ("repeat_interleave counts, flattened", lambda m: m.ones(2, 3).repeat_interleave(m.tensor([1, 2]))),
    # counts alone (batching graphs by their sizes): checked before numpy sees them; a number's own words
    ("repeat_interleave of negative counts", lambda m: m.repeat_interleave(m.tensor([1, -1]))),
    ("repeat_interleave of 2-d counts", lambda m: m.repeat_interleave(m.tensor([[1, 1]]))),
    ("repeat_interleave of float counts", lambda m: m.repeat_interleave(m.tensor([1.0, 1.0]))),
    ("repeat_interleave of a 0-d count", lambda m: m.repeat_interleave(m.tensor(2))),
    ("repeat_interleave counts, output_size off", lambda m: m.repeat_interleave(m.tensor([1, 2]), output_size=2)),
    ("repeat_interleave by a negative number", lambda m: m.tensor([1, 2]).repeat_interleave(-1)),
    ("repeat_interleave by a negative 0-d tensor", lambda m: m.tensor([1, 2]).repeat_interleave(m.tensor(-1))),
    ("repeat_interleave by a number, output_size off", lambda m: m.tensor([1, 2]).repeat_interleave(2, output_size=3)),
    ("repeat_interleave by counts, output_size off", lambda m: m.tensor([1, 2]).repeat_interleave(m.tensor([2]), output_size=3)),
    ("trapezoid with one x too many", lambda m: m.trapezoid(m.tensor([1., 2]), m.tensor([0., 1, 2]))),
    ("trapz with x too short along dim", lambda m: m.trapz(m.ones(2, 3), m.tensor([0., 1]), dim=1)),
    # bmm and its kin name the operand that is not 3-D, and not its rank
    ("bmm of a 2-d batch1", lambda m: m.bmm(m.ones(3, 4), m.ones(4, 5))),
    ("bmm of a 2-d batch2", lambda m: m.ones(2, 3, 4).bmm(m.ones(4, 5))),
    ("baddbmm of a 2-d batch1", lambda m: m.baddbmm(m.ones(3, 4, 4), m.ones(3, 4), m.ones(3, 4, 4))),
    # matmul's size errors come from the kernel its dispatch picks (mm / mv of a folded batch, bmm)
    ("batched matmul, batch dims that differ", lambda m: m.ones(2, 3, 4) @ m.ones(3, 4, 5)),
    ("batched matmul, 4-d batch dims that differ", lambda m: m.ones(7, 2, 3, 4) @ m.ones(5, 4, 2)),
    ("batched matmul, inner sizes", lambda m: m.ones(2, 3, 4) @ m.ones(2, 5, 6)),
    ("batched matmul, inner sizes with broadcast batch", lambda m: m.ones(2, 1, 3, 4) @ m.ones(3, 5, 6)),
    ("batch times a matrix, folded onto mm", lambda m: m.ones(2, 3, 4) @ m.ones(5, 6)),
    ("batch times a vector, folded onto mv", lambda m: m.ones(2, 3, 4) @ m.ones(5)),
    ("transposed batch times a matrix, not folded", lambda m: m.ones(2, 3, 4).transpose(0, 1) @ m.ones(5, 6)),
    ("matrix times a batch", lambda m: m.ones(3, 4) @ m.ones(2, 5, 6)),
    ("matrix requiring grad times a batch, folded", lambda m: m.ones(3, 4, requires_grad=True) @ m.ones(2, 6, 5).mT),
    ("vector times a batch", lambda m: m.ones(5) @ m.ones(2, 3, 4)),
    ("vector times a matrix", lambda m: m.ones(5) @ m.ones(3, 4)),
    # expand checks the sizes from the last dim back, and prints the tensor's type for too few sizes
    ("expand_as, two dims that differ", lambda m: m.ones(3, 2).expand_as(m.ones(4, 4))),
    ("expand, two dims that differ", lambda m: m.ones(2, 3).expand(3, 4)),
    ("expand to fewer dims", lambda m: m.ones(3, 2).expand(2)),
    ("expand of longs to fewer dims", lambda m: m.ones(3, 2, dtype=m.int64).expand(2)),
    ("expand of bools to fewer dims", lambda m: m.ones(3, 2, dtype=m.bool).expand(())),
    ("expand, -1 in a new leading dim", lambda m: m.ones(3, 2).expand(-1, 3, 2)),
    # view / reshape sizes are checked left to right, the first bad one named with its index
    ("view with a negative size", lambda m: m.ones(4, 6).view(-2, 12)),
    ("reshape with a negative size after -1", lambda m: m.ones(4, 6).reshape(-1, -2)),
    ("view with a negative size before two -1", lambda m: m.ones(4, 6).view(-2, -1, -1)),
    ("view with two -1 before a negative size", lambda m: m.ones(4, 6).view(-1, -1, -2)),
    # masks that are not bool, in each kernel's words, and masks that do not fit (the mask is
    # tensor a of the broadcast, except in masked_fill_, which expands it onto self)
    ("masked_fill with a float mask", lambda m: m.ones(3).masked_fill(m.ones(3), 0)),
    ("masked_fill_ with a uint8 mask", lambda m: m.ones(3).masked_fill_(m.ones(3, dtype=m.uint8), 0)),
    ("masked_scatter with a long mask", lambda m: m.ones(3).masked_scatter(m.ones(3, dtype=m.int64), m.ones(3))),
    ("masked_select with a float mask", lambda m: m.ones(3).masked_select(m.ones(3))),
    ("masked_fill with a transposed mask", lambda m: m.ones(3, 4).masked_fill(m.ones(4, 3, dtype=m.bool), 0)),
    ("masked_select with a mask that does not fit", lambda m: m.ones(3).masked_select(m.ones(2, 4, dtype=m.bool))),
    ("masked_scatter with a mask that does not fit", lambda m: m.ones(3).masked_scatter(m.ones(2, 4, dtype=m.bool), m.ones(8))),
    ("masked_fill_ with a wider mask", lambda m: m.ones(3).masked_fill_(m.ones(3, 3, dtype=m.bool), 0)),
    ("masked_fill_ with a mask that does not fit", lambda m: m.ones(3).masked_fill_(m.ones(4, dtype=m.bool), 0)),
    ("masked_scatter_ with a wider mask", lambda m: m.ones(3).masked_scatter_(m.ones(3, 3, dtype=m.bool), m.ones(9))),
    ("masked_scatter_ with a mask that does not fit", lambda m: m.ones(3).masked_scatter_(m.ones(4, dtype=m.bool), m.ones(4))),
    # masked_scatter's source: too short, of another dtype (checked before the mask's dtype; in place,
    # before its shape), or not a tensor (named with its position)
    ("masked_scatter with a short source", lambda m: m.zeros(2, 3).masked_scatter(m.ones(2, 3, dtype=m.bool), m.ones(2, 2))),
    ("masked_scatter_ with an empty source", lambda m: m.zeros(3).masked_scatter_(m.ones(3, dtype=m.bool), m.ones(0))),
    ("masked_scatter with a long source", lambda m: m.zeros(3).masked_scatter(m.ones(3).float() > 0, m.ones(3, dtype=m.long))),
    ("masked_scatter_ with a double source", lambda m: m.zeros(3).masked_scatter_(m.ones(3, dtype=m.bool), m.ones(3).double())),
    ("masked_scatter, float mask and long source", lambda m: m.zeros(3).masked_scatter(m.ones(3), m.ones(3, dtype=m.long))),
    ("masked_scatter_, wider mask and long source", lambda m: m.zeros(3).masked_scatter_(m.ones(2, 3) > 0, m.ones(3).long())),
    ("masked_scatter, mask not fitting, long source", lambda m: m.zeros(3).masked_scatter(m.ones(4) > 0, m.ones(3).long())),
    ("masked_scatter_ with a number source", lambda m: m.zeros(3).masked_scatter_(m.ones(3) > 0, 1.0)),
    ("torch.masked_scatter with a number source", lambda m: m.masked_scatter(m.zeros(3), m.ones(3) > 0, 1.0)),
    ("masked_scatter with a list mask", lambda m: m.zeros(3).masked_scatter([True, False, True], m.ones(3))),
    # broadcast_shapes grows one shape argument by argument and names the first that does not fit
    ("broadcast_shapes of three", lambda m: m.broadcast_shapes((3, 1), (1, 4), (2,))),
    ("broadcast_shapes of ints", lambda m: m.broadcast_shapes(3, 4)),
    ("broadcast_shapes of a list and a Size", lambda m: m.broadcast_shapes([2, 1], m.Size([4, 3]))),
    ("broadcast_shapes of a negative size", lambda m: m.broadcast_shapes((-1,))),
    # binary_cross_entropy takes its target in the input's dtype only (Long 0/1 labels are refused)
    ("BCELoss with Long labels", lambda m: m.nn.BCELoss()(m.full((4,), 0.5), m.tensor([0, 1, 1, 0]))),
    ("binary_cross_entropy with bool labels", lambda m: m.nn.functional.binary_cross_entropy(m.full((2,), 0.5), m.tensor([True, False]))),
    ("binary_cross_entropy with float64 labels", lambda m: m.nn.functional.binary_cross_entropy(m.full((2,), 0.5), m.ones(2, dtype=m.float64))),
    ("binary_cross_entropy of Long input", lambda m: m.nn.functional.binary_cross_entropy(m.tensor([0, 1]), m.ones(2))),
    # a float index tensor, refused in each kernel's own words
    ("gather with a float index", lambda m: m.ones(3, 4).gather(1, m.zeros(3, 1))),
    ("scatter_add_ with a float index", lambda m: m.ones(3, 4).scatter_add_(1, m.zeros(3, 1), m.ones(3, 4))),
    ("index_select with a float index", lambda m: m.ones(3, 4).index_select(0, m.zeros(2))),
    ("index_add with a float index", lambda m: m.ones(3, 4).index_add(0, m.zeros(1), m.ones(1, 4))),
    ("index_fill_ with a float index", lambda m: m.ones(3, 4).index_fill_(0, m.zeros(1), 1.0)),
    ("index_copy with a float index", lambda m: m.ones(3, 4).index_copy(0, m.zeros(1), m.ones(1, 4))),
    ("take with a float index", lambda m: m.ones(3, 4).take(m.zeros(1))),
    ("take_along_dim with a float index", lambda m: m.take_along_dim(m.ones(3, 4), m.zeros(3, 1), 1)),
    # addcmul's value is converted to the result's dtype (checked), never promoting it
    ("addcmul_ on bools", lambda m: m.tensor([True]).addcmul_(m.tensor([True]), m.tensor([True]), value=2)),
    ("addcmul on uint8, value out of range", lambda m: m.addcmul(m.ones(2, dtype=m.uint8), m.ones(2, dtype=m.uint8),
                                                               m.ones(2, dtype=m.uint8), value=-1.5)),
    ("addcmul_ on int64, nan value", lambda m: m.arange(3).addcmul_(m.arange(3), m.arange(3), value=math.nan)),
    ("addcdiv of integers", lambda m: m.addcdiv(m.ones(2), m.arange(2), m.arange(2))),
    ("addcdiv_ of integers", lambda m: m.arange(2).addcdiv_(m.arange(2), m.arange(2), value=0.5)),
    # clamp_ names the dtype's C++ type for a number bound, its ScalarType for a tensor bound
    ("clamp_ int64, float bounds", lambda m: m.arange(3).clamp_(0.5, 2.5)),
    ("clamp_min_ uint8, float bound", lambda m: m.ones(3, dtype=m.uint8).clamp_min_(0.5)),
    ("clip_ bool, int bounds", lambda m: m.tensor([True]).clip_(0, 1)),
    ("clamp_ int64, 0-d float tensor bound", lambda m: m.arange(3).clamp_(max=m.tensor(0.5))),
    # a list to join holding something else than tensors: the element is named by its position
    ("cat of a list holding None", lambda m: m.cat([m.ones(1, 2), None])),
    ("stack of a list holding a number", lambda m: m.stack([m.ones(2), m.ones(2), 3])),
    ("vstack of a tuple holding a list", lambda m: m.vstack((m.ones(2), [1.0, 2.0]))),
    # x[i] = value takes numbers (NumPy scalars too) and tensors; the refusal names the tensor type
    ("row of a float tensor set from a NumPy array", lambda m: m.zeros(2, 3).__setitem__(0, np.arange(3.0))),
    ("long tensor set from a 0-d NumPy array", lambda m: m.zeros(3, dtype=m.long).__setitem__(0, np.array(2))),
    ("row of a double tensor set from a list", lambda m: m.zeros(2, 2).double().__setitem__(1, [1.0, 2.0])),
    ("masked write of a bool tensor from None", lambda m: m.zeros(2, dtype=m.bool).__setitem__(m.ones(2) > 0, None)),
    # p.grad = g (A3C workers hand their gradients to the shared model so): type, then dtype, then size
    ("grad of another size", lambda m: setattr(m.nn.Parameter(m.ones(2)), "grad", m.ones(3))),
    ("grad of another dtype", lambda m: setattr(m.ones(2, requires_grad=True), "grad", m.ones(2).double())),
    ("grad of another dtype and size", lambda m: setattr(m.ones(2, dtype=m.long), "grad", m.ones(1).half())),
    ("grad that is a list", lambda m: setattr(m.ones(2), "grad", [1.0, 2.0])),
]


@pytest.mark.parametrize("name,fn", SAME_MESSAGE, ids=[c[0] for c in SAME_MESSAGE])
def test_same_type_and_message_as_torch(name, fn):
    ours, theirs = raised_as_torch(lambda: fn(torch), lambda: fn(kitty))
    assert ours.replace("kittygrad.", "torch.") == theirs


# torch words these by the CPU: oneDNN takes half (bfloat16) convolutions on CPUs with AVX-512
# FP16 (AVX-512), and there the message names MKLDNN tensors; elsewhere (AVX2) it is the plain
# dtype message. kittygrad has no MKLDNN tensors and gives the plain one on every machine.
_ONEDNN_MESSAGE = ("Input type ({given}) and weight type (torch.FloatTensor) should be the same or input should "
                   "be a MKLDNN tensor and weight is a dense tensor")


@pytest.mark.parametrize("dtype,short,given", [("float16", "Half", "torch.HalfTensor"),
                                               ("bfloat16", "BFloat16", "CPUBFloat16Type")])
def test_conv2d_of_a_half_input_gives_torchs_plain_message(dtype, short, given):
    def call(m):
        return m.nn.functional.conv2d(m.ones(1, 2, 5, 5, dtype=getattr(m, dtype)), m.ones(3, 2, 3, 3))

    ours, theirs = raised_as_torch(lambda: call(torch), lambda: call(kitty))
    plain = f"expected scalar type {short} but found Float"
    assert ours == plain
    assert theirs in (plain, _ONEDNN_MESSAGE.format(given=given))


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
        # a 0-d tensor as alpha or value counts as its number (L-BFGS-style code passes them)
        lambda m: m.arange(3.0).add_(m.ones(3), alpha=m.tensor(0.5)),
        lambda m: m.sub(m.arange(3), m.ones(3, dtype=m.int64), alpha=m.tensor(2)),
        lambda m: m.ones(3).addcmul_(m.arange(3.0), m.arange(3.0), value=m.tensor(-2.0)),
        lambda m: m.addcdiv(m.ones(3), m.arange(3.0), m.full((3,), 4.0), value=m.tensor(2.0, dtype=m.float64)),
        # an integer addcmul truncates a float value (0.5 adds nothing), wraps a negative int for uint8
        lambda m: m.arange(3).addcmul_(m.arange(3), m.arange(3), value=0.5),
        lambda m: m.addcmul(m.arange(3), m.arange(3), m.arange(3), value=-1.7),
        lambda m: m.addcmul(m.arange(3, dtype=m.uint8), m.arange(3, dtype=m.uint8), m.arange(3, dtype=m.uint8), value=-1),
        lambda m: m.addcmul(m.tensor(3), m.tensor(2), m.tensor(2.0), value=0.5),
    ]
    for fn in cases:
        ours, theirs = fn(kitty), fn(torch)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert ours.tolist() == theirs.tolist()


def test_under_the_runner_errors_answer_to_torchs_names(tmp_path):
    import pickle
    import subprocess
    import sys
    script = ("import pickle, torch\n"
              "for bad in (lambda: torch.zeros(2)[5], lambda: torch.zeros(2).view(3), lambda: torch.ones(2) + 'a'):\n"
              "    try:\n        bad()\n    except Exception as e:\n"
              "        print(type(e).__name__, type(pickle.loads(pickle.dumps(e))).__name__)\n"
              "        print(type(e), repr(pickle.loads(pickle.dumps(e))).split('(')[0])\n"
              "torch.zeros(2).view(3)\n")
    (tmp_path / "errs.py").write_text(script)
    runs = [subprocess.run([sys.executable, *runner, str(tmp_path / "errs.py")], capture_output=True, text=True)
            for runner in ([], ["-m", "kittygrad.run"])]
    assert runs[1].stdout == runs[0].stdout == (
        "IndexError IndexError\n<class 'IndexError'> IndexError\n"
        "RuntimeError RuntimeError\n<class 'RuntimeError'> RuntimeError\n"
        "TypeError TypeError\n<class 'TypeError'> TypeError\n")
    # the uncaught error's traceback ends as torch's does
    assert runs[1].stderr.splitlines()[-1] == runs[0].stderr.splitlines()[-1] == (
        "RuntimeError: shape '[3]' is invalid for input of size 2")
    # in-process (no runner) they keep kittygrad's names
    assert type(pickle.loads(pickle.dumps(kitty.errors.KittyIndexError("x")))).__name__ == "KittyIndexError"


def test_under_the_runner_a_failed_cholesky_is_torchs_underscored_linalg_error(tmp_path):
    import subprocess
    import sys
    script = ("import pickle, torch\n"
              "try:\n    torch.linalg.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]]))\n"
              "except torch.linalg.LinAlgError as e:\n"
              "    print(type(e).__name__, type(pickle.loads(pickle.dumps(e))).__name__, isinstance(e, RuntimeError))\n")
    (tmp_path / "chol.py").write_text(script)
    runs = [subprocess.run([sys.executable, *runner, str(tmp_path / "chol.py")], capture_output=True, text=True)
            for runner in ([], ["-m", "kittygrad.run"])]
    assert runs[1].returncode == 0, runs[1].stderr
    assert runs[1].stdout == runs[0].stdout == "_LinAlgError _LinAlgError True\n"


@pytest.mark.parametrize("fn", [
    lambda m: m.tensor([True]) - m.tensor([False]), lambda m: m.tensor([True]) - True,
    lambda m: m.rsub(m.tensor([True]), m.tensor([True])), lambda m: 1 - m.tensor([True]),
    lambda m: m.tensor([1.0]) - m.tensor([True]), lambda m: m.tensor([True]).sub_(m.tensor([True])),
], ids=["two bool tensors", "bool tensor and True", "rsub of bools", "int minus bool", "float minus bool", "sub_"])
def test_bool_subtraction_is_refused_with_torchs_message(fn):
    ours, theirs = raised_as_torch(lambda: fn(torch), lambda: fn(kitty))
    assert ours == theirs


@pytest.mark.parametrize("fn", [lambda m: bool(m.tensor([])), lambda m: bool(m.zeros(2)),
                                lambda m: m.zeros(0, 3).is_nonzero()], ids=["empty", "two values", "is_nonzero empty"])
def test_truth_value_of_a_tensor_not_holding_one_value(fn):
    ours, theirs = raised_as_torch(lambda: fn(torch), lambda: fn(kitty))
    assert ours == theirs


@pytest.mark.parametrize("fn", [
    lambda m: m.arange(6).view(2, 3)[0, 0, 0], lambda m: m.tensor(3)[0],
    lambda m: m.arange(6).view(2, 3).__setitem__((0, 0, 0), 1),
    lambda m: m.tensor(3.0, requires_grad=True).__setitem__(0, 1),
    lambda m: m.arange(6).view(2, 3)[m.tensor([True, False, True])],
    lambda m: m.arange(6).view(2, 3)[:, m.tensor([True, False])],
    lambda m: m.arange(6).view(2, 3)[1, m.tensor([True, False])],
    lambda m: m.zeros(2, 3, 4)[:, m.ones(3, 3, dtype=m.bool)],
    lambda m: m.zeros(2, 3).__setitem__(m.tensor([True]), 1.0),
    lambda m: m.zeros(3).index_put_((m.tensor([True, False]),), m.tensor(1.0), accumulate=True),
    # an index array out of bounds: torch counts the dimension among the ones index arrays select
    lambda m: m.zeros(2, 3, 4)[:, [0, 9]], lambda m: m.zeros(2, 3, 4)[:, [0], [9]],
    lambda m: m.zeros(2, 3, 4)[0, :, [9]], lambda m: m.zeros(2, 3, 4).__setitem__((Ellipsis, [9]), 1.0),
    lambda m: m.zeros(2, 3, 4)[m.ones(2, 3, dtype=m.bool), [7]], lambda m: m.zeros(2, 3, 4)[:, 7],
], ids=["too many", "0-dim", "setitem too many", "setitem 0-dim", "mask rows", "mask cols", "mask after int",
        "2-d mask", "setitem mask", "index_put_ mask", "array after slice", "two arrays", "int slice array",
        "setitem ellipsis array", "mask then array", "basic int"])
def test_index_errors_say_what_torch_says(fn):
    ours, theirs = raised_as_torch(lambda: fn(torch), lambda: fn(kitty))
    assert ours == theirs


def _grad_call(m, case):
    x = m.ones(3, requires_grad=True)
    y = x * 2
    return {
        "counts": lambda: m.autograd.grad([y.sum(), y.sum()], x, grad_outputs=[m.tensor(1.0)]),
        "counts in backward": lambda: m.autograd.backward([y.sum(), y.sum()], grad_tensors=[m.tensor(1.0)]),
        "number as gradient": lambda: m.autograd.grad(y, x, grad_outputs=[1.0]),
        "gradient shape": lambda: y.backward(m.ones(2)),
        "batched gradient shape": lambda: m.autograd.grad(y, x, grad_outputs=m.ones(2, 4), is_grads_batched=True),
        "input without grad": lambda: m.autograd.grad(y.sum(), [m.ones(3)]),
        "no inputs to grad": lambda: m.autograd.grad(y.sum(), []),
        "no inputs to backward": lambda: y.sum().backward(inputs=[]),
        "factory of ints": lambda: m.zeros(2, dtype=m.int32, requires_grad=True),
        "arange with grad": lambda: m.arange(3, requires_grad=True),
        "detach_ of a view": lambda: x[:2].detach_(),
    }[case]()


@pytest.mark.parametrize("case", [
    "counts", "counts in backward", "number as gradient", "gradient shape", "batched gradient shape",
    "input without grad", "no inputs to grad", "no inputs to backward", "factory of ints", "arange with grad",
    "detach_ of a view",
])
def test_autograd_argument_errors_say_what_torch_says(case):
    # kittygrad may add a line of advice below torch's message; the message itself is torch's
    ours, theirs = raised_as_torch(lambda: _grad_call(torch, case), lambda: _grad_call(kitty, case))
    assert ours.splitlines()[0] == theirs.replace("torch.Size", "kittygrad.Size")


def test_reading_a_non_leaf_grad_warns_in_torchs_words():
    messages = []
    for m in (kitty, torch):
        y = m.ones(2, requires_grad=True) * 2
        with pytest.warns(UserWarning) as record:
            assert y.grad is None
        messages.append(str(record[0].message))
    # (torch's ends with where in its C++ sources the warning came from)
    assert messages[1].startswith(messages[0] + " (Triggered internally at ")


def test_float_of_a_tensor_requiring_grad_warns_once_at_the_users_line(monkeypatch):
    # torch 2.13 warns (once a process) that float() drops the graph; d2l's Accumulator does
    # float(l.sum()) every step. item(), int() and a detached tensor stay silent, and so do
    # kittygrad's own float() calls (clip_grad_norm_ here), which torch makes in C++.
    monkeypatch.setattr(kitty.errors, "_scalar_of_grad_warned", False)
    x = kitty.ones(1, requires_grad=True)
    y = (x * 2).sum()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        y.item(), int(y), float(y.detach()), kitty.nn.utils.clip_grad_norm_([x], 1.0)
        assert record == []
        assert float(y) == 2.0 and math.exp(x) > 2 and float(y) == 2.0
    assert len(record) == 1 and record[0].category is UserWarning and record[0].filename == __file__
    assert str(record[0].message) == (
        "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
        "Consider using tensor.detach() first."
    )


@pytest.mark.parametrize("data", [
    [[1, 2, 3], [4, 5]], [[[1, 2]], [[1]]], [[1, 2], [3, 4], [5]], [[1], []], [(1, 2), [3]], [[[1], [2]], [[3]]],
    [[1], 2], [1, [2]], [1.5, [2]], [[1, 2], [3, (4,)]],
])
@pytest.mark.parametrize("dtype", [None, "float64", "int32"])
def test_ragged_sequences_fail_with_torchs_error(data, dtype):
    """A batch of token-id lists of different lengths given to tensor(): torch's own type and words."""
    ours, theirs = raised_as_torch(lambda: torch.tensor(data, dtype=dtype and getattr(torch, dtype)),
                                   lambda: kitty.tensor(data, dtype=dtype and getattr(kitty, dtype)))
    assert ours == theirs


@pytest.mark.parametrize("dtype", [None, "float32", "int64"])
@pytest.mark.parametrize("item", ["int", "float", "bool"])
def test_tensors_of_several_elements_in_a_list(item, dtype):
    """``tensor([t1, t2])`` of multi-element tensors: converting one to an integer reads it as an
    index (TypeError), to a float as a Python scalar (ValueError), as in torch."""
    values = {"int": [1, 2], "float": [1.0, 2.0], "bool": [True, False]}[item]
    ours, theirs = raised_as_torch(
        lambda: torch.tensor([torch.tensor(values), torch.tensor(values)], dtype=dtype and getattr(torch, dtype)),
        lambda: kitty.tensor([kitty.tensor(values), kitty.tensor(values)], dtype=dtype and getattr(kitty, dtype)))
    assert ours == theirs


@pytest.mark.parametrize("case", [
    "x[1:3] = m.ones(2, 1)", "x[1:3] = m.ones(1, 2, 1)", "x[1:3] = m.ones(3)", "x[0] = m.ones(2, dtype=m.float64)",
    "x[[0, 1]] = m.ones(1, 3)", "y[y > 0] = m.ones(2)", "y[y == 0] = m.ones(2, 3)", "x[10] = m.ones(1, 1)",
    "y[:] = m.ones(3, 2)",
])
def test_a_value_that_does_not_fit_its_index_is_refused_in_torchs_words(case):
    def write(m):
        x, y = m.zeros(5), m.zeros(2, 3)
        exec(case, {"m": m, "x": x, "y": y})
    ours, theirs = raised_as_torch(lambda: write(torch), lambda: write(kitty))
    assert ours == theirs.replace("torch.", "kittygrad.")
@pytest.mark.parametrize("index", [lambda m: m.tensor([1, 0, 2], dtype=m.uint8), lambda m: m.tensor(1, dtype=m.uint8),
                                   lambda m: (slice(None), m.tensor([1, 0, 0, 1], dtype=m.uint8))],
                         ids=["rows", "0-d", "columns"])
def test_a_uint8_index_is_a_mask_with_torchs_deprecation_warning(index):
    """torch reads a uint8 index as a bool mask (nonzero is True), warning that this is deprecated
    (but not for a 0-d one); taken as integers it would pick other rows."""
    got = {}
    for m in (torch, kitty):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = m.arange(12.0).reshape(3, 4)[index(m)]
        got[m] = (out.tolist(), [str(w.message).split(" (Triggered")[0].replace("kittygrad.", "torch.") for w in caught])
    assert got[kitty] == got[torch]


@pytest.mark.parametrize("inplace", ["", "_"])
def test_masked_scatter_warns_of_a_uint8_mask_before_refusing_it_like_torch(inplace):
    def call(m):
        return lambda: getattr(m.zeros(3), "masked_scatter" + inplace)(m.tensor([1, 0, 1], dtype=m.uint8), m.ones(3))
    messages = []
    for m in (torch, kitty):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(RuntimeError, match="only supports boolean masks, but got mask with dtype Byte"):
                call(m)()
        messages.append([str(w.message).split(" (Triggered internally")[0].replace("kittygrad.", "torch.") for w in caught])
    assert messages[0] == messages[1] and len(messages[0]) == 1


def _leaf_update(m):
    w = m.ones(2, requires_grad=True)
    w.add_(1)


def _leaf_view_update(m):
    w = m.ones(2, requires_grad=True)
    w[0].add_(1)


HINTED = [
    ("backward of a vector", lambda m: (m.ones(2, requires_grad=True) * 2).backward()),
    ("grad of an input that does not require grad",
     lambda m: m.autograd.grad(m.ones(1, requires_grad=True).sum(), [m.ones(1, requires_grad=True), m.ones(1)])),
    ("in-place update of a leaf", _leaf_update),
    ("in-place update of a view of a leaf", _leaf_view_update),
    ("requires_grad_ on an integer tensor", lambda m: m.ones(2, dtype=m.long).requires_grad_()),
]


@pytest.mark.parametrize("name,fn", HINTED, ids=[c[0] for c in HINTED])
def test_hints_add_a_line_to_torchs_message_and_the_runner_drops_it(name, fn, monkeypatch):
    """kittygrad's message is torch's plus a hint on the next line; under kittygrad.run (torch's
    names shown) it is torch's alone, as a script that prints the error gets it under torch."""
    from kittygrad import _display

    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as mine:
        fn(kitty)
    first, _, hint = str(mine.value).partition("\n")
    assert first == str(theirs.value) and hint.startswith("(")
    monkeypatch.setattr(_display, "name", "torch")  # as kittygrad.run sets it
    with pytest.raises(Exception) as mine:
        fn(kitty)
    assert str(mine.value) == str(theirs.value)
