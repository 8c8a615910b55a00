"""Linear-algebra fast paths agree with torch: einsum's pairs as one batched GEMM (and a broadcast
letter summed first), LAPACK's triangular solve and LDL factorization, and the triangle masks.

Each path is selected by its operands' letters, shapes or dtypes; these tests pick operands that
select it (and ones that must not) and compare values and gradients with torch.
"""
import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.ops import _kernels, _gemm


@pytest.mark.parametrize("equation, shape_a, shape_b", [
    ("ij,jk->ik", (20, 1), (31, 41)), ("ij,jk->ik", (5, 3), (1, 4)), ("bij,bjk->bik", (1, 3, 4), (6, 4, 2)),
    ("i,i->", (1,), (5,)), ("ij,j->i", (3, 1), (4,)), ("...ij,...jk", (2, 1, 3, 4), (5, 4, 2)),
    ("ij,ij->ij", (1, 4), (3, 1)), ("ii,i->i", (1, 1), (3,)), ("ij,kj->ikj", (1, 3), (2, 1)),
])
def test_einsum_drops_broadcast_dims_and_matches_torch(equation, shape_a, shape_b):
    """An operand's size-1 dim that broadcasts against another's is dropped, not expanded (the
    letter is summed in the other operand first): values and both gradients as torch's."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape_a).astype(np.float32), rng.standard_normal(shape_b).astype(np.float32)
    ours = [kitty.tensor(a, requires_grad=True), kitty.tensor(b, requires_grad=True)]
    theirs = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    out, ref = kitty.einsum(equation, *ours), torch.einsum(equation, *theirs)
    weights = rng.standard_normal(tuple(ref.shape)).astype(np.float32)
    (out * kitty.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    for o, t in zip(ours, theirs):
        assert o.grad.shape == t.grad.shape
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("unit", [True, False])
@pytest.mark.parametrize("zero_at", [None, 7])
def test_triangular_solve_by_lapack_matches_torch(upper, unit, zero_at):
    """From order 16 triangular solves go to LAPACK's trtrs per matrix; a batch where one matrix
    has a zero on its diagonal is substituted instead, giving trsm's inf and nan as torch does."""
    rng = np.random.default_rng(0)
    t = rng.standard_normal((3, 24, 24)) / 5 + np.eye(24) * 2
    if zero_at is not None:
        t[1, zero_at, zero_at] = 0.0
    b = rng.standard_normal((24, 5))
    ours = kitty.tensor(t, requires_grad=True)
    theirs = torch.tensor(t, requires_grad=True)
    out = kitty.linalg.solve_triangular(ours, kitty.tensor(b), upper=upper, unitriangular=unit)
    ref = torch.linalg.solve_triangular(theirs, torch.tensor(b), upper=upper, unitriangular=unit)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-12)
    if zero_at is None or unit:
        out.sum().backward()
        ref.sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_ldl_through_lapack_matches_torch_and_refuses_bad_pivots():
    """ldl_factor and ldl_solve call LAPACK's sytrf and sytrs (the unblocked sytf2 steps the NumPy
    emulation also takes): torch's factors, pivots, info and solutions, singular matrices
    included; pivots beyond the matrix are refused with torch's error, never handed to LAPACK."""
    rng = np.random.default_rng(0)
    for n in (1, 5, 40):
        a = rng.standard_normal((3, n, n))
        a = a + np.swapaxes(a, -1, -2)
        a[1, :, 0] = a[1, 0, :] = 0  # D[1, 1] exactly zero
        for dtype in ("float32", "float64"):
            ours = kitty.linalg.ldl_factor_ex(kitty.tensor(a.astype(dtype)))
            theirs = torch.linalg.ldl_factor_ex(torch.tensor(a.astype(dtype)))
            np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
            np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
            np.testing.assert_allclose(ours.LD.numpy(), theirs.LD.numpy(), rtol=1e-4, atol=1e-4)
            b = rng.standard_normal((n, 2)).astype(dtype)
            x = kitty.linalg.ldl_solve(ours.LD[0], ours.pivots[0], kitty.tensor(b)).numpy()
            ref = torch.linalg.ldl_solve(theirs.LD[0], theirs.pivots[0], torch.tensor(b)).numpy()
            np.testing.assert_allclose(x, ref, rtol=1e-3, atol=1e-3)
    bad = np.array([-3, 1, 7], np.int32)
    with pytest.raises(RuntimeError, match="must all satisfy"):
        kitty.linalg.ldl_solve(kitty.eye(3), kitty.tensor(bad), kitty.ones(3, 1))
    with pytest.raises(RuntimeError, match="must all satisfy"):
        torch.linalg.ldl_solve(torch.eye(3), torch.tensor(bad), torch.ones(3, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int16"])
@pytest.mark.parametrize("upper", [False, True])
def test_triangle_masks_give_numpys_bits(dtype, upper):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 5, 4)) * 100).astype(dtype)
    if x.dtype.kind == "f":
        x.flat[:4] = [np.nan, -0.0, np.inf, -np.inf]
    for k in (-2, 0, 1, 4):
        for operand in (x, x.swapaxes(-1, -2), np.broadcast_to(x[0], (2, 5, 4))):
            want = np.triu(operand, k) if upper else np.tril(operand, k)
            got = _kernels.triangle(operand, k, upper)
            assert got.dtype == want.dtype and got.tobytes() == np.ascontiguousarray(want).tobytes()
    t = torch.from_numpy(x.copy())
    want = (torch.triu if upper else torch.tril)(t, 1).numpy()
    assert (kitty.triu if upper else kitty.tril)(kitty.tensor(x), 1).numpy().tobytes() == want.tobytes()


@pytest.mark.parametrize("equation, shapes, gemm", [
    ("bi,bj->bij", [(4, 6), (4, 5)], False),  # an outer product: NumPy's einsum
    ("ikj,ij->kj", [(6, 5, 3), (6, 3)], False),  # a batch letter laid innermost: NumPy's einsum
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)], True),  # a batched GEMM
    ("i,jk->ik", [(4,), (3, 5)], False),  # j summed in the second operand first, then an outer product
])
def test_einsum_routes_two_operands_and_matches_torch(equation, shapes, gemm, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    (a_sub, b_sub), out = equation.split("->")[0].split(","), equation.split("->")[1]
    gemms, matmul = [], np.matmul
    monkeypatch.setattr(_kernels.B.xp, "matmul", lambda *a, **k: gemms.append(1) or matmul(*a, **k))
    got = _gemm.contract_pair(a_sub, arrays[0], b_sub, arrays[1], out)
    monkeypatch.undo()
    assert bool(gemms) == gemm
    np.testing.assert_allclose(got, np.einsum(equation, *arrays), rtol=1e-12, atol=1e-12)
    ours = [kitty.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    kitty.einsum(equation, *ours).square().sum().backward()
    torch.einsum(equation, *theirs).square().sum().backward()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def _bits(a) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.int32)


@pytest.mark.parametrize("shape_a, shape_b", [
    ((7, 1), (1, 5)), ((3, 6, 1), (3, 1, 4)), ((2, 1, 5, 1), (3, 1, 6)), ((1, 1), (1, 1)),
])
def test_outer_products_by_matmul_are_broadcast_products(shape_a, shape_b):
    """A product whose summed dim has size 1 is computed as the broadcast product (NumPy's matmul
    runs its own loop for it, several times slower): the same values as matmul's and torch's (each
    entry one rounded product), laid out C-contiguous as matmul's result; a -0 product stays -0 as
    in torch's mm (its bmm, its dot and NumPy's loop add it to +0)."""
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(shape_a).astype(np.float32), rng.standard_normal(shape_b).astype(np.float32)
    a.flat[0], b.flat[0] = 0.0, -1.0  # (a -0 product)
    got = _gemm.matmul(a, b)
    assert got.flags.c_contiguous and got.dtype == np.float32
    np.testing.assert_array_equal(got, a @ b)
    theirs = torch.matmul(torch.tensor(a), torch.tensor(b)).numpy()
    mm = got.ndim == 2 and got.size > 1  # (torch takes a 1 x 1 product as a dot)
    np.testing.assert_array_equal(_bits(got) if mm else _bits(got + 0), _bits(theirs))
    assert _gemm.matmul(a.astype(np.int64), b.astype(np.int64)).dtype == np.int64
    with pytest.raises(ValueError):  # (shapes that do not multiply stay matmul's error, never broadcast)
        _gemm.matmul(np.ones((3, 1)), np.ones((3, 4)))


@pytest.mark.parametrize("batch, in_features, out_features", [(1, 6, 4), (3, 1, 4), (3, 5, 1)])
def test_linear_layers_with_a_size_one_dim_match_torchs_bits(batch, in_features, out_features):
    """Batch 1 (the weight's gradient is an outer product), one input feature (the forward is one)
    and one output feature (the input's gradient is one): that product bit for bit as torch's (each
    entry one rounded product, -0 included), the others (sums, whose order BLAS builds pick) close."""
    rng = np.random.default_rng(2)
    x = np.maximum(rng.standard_normal((batch, in_features)), 0).astype(np.float32)  # (zeros: -0 products)
    w = rng.standard_normal((out_features, in_features)).astype(np.float32)
    g = rng.standard_normal((batch, out_features)).astype(np.float32)
    outs = []
    for lib in (kitty, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.linear(xt, wt)
        y.backward(lib.tensor(g))
        outs.append([t.detach().numpy() for t in (y, xt.grad, wt.grad)])
    outer = 2 if batch == 1 else 0 if in_features == 1 else 1  # (y, x.grad, w.grad: which is the outer product)
    for i, (ours, theirs) in enumerate(zip(*outs)):
        if i == outer:
            np.testing.assert_array_equal(_bits(ours), _bits(theirs))
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def test_rnn_cell_stepping_one_sample_matches_torch():
    """A GRU cell stepping one sample: its weights' gradients are outer products of one row."""
    rng = np.random.default_rng(3)
    x, h = rng.standard_normal((1, 5)).astype(np.float32), rng.standard_normal((1, 4)).astype(np.float32)
    grads = []
    for lib in (kitty, torch):
        lib.manual_seed(0)
        cell = lib.nn.GRUCell(5, 4)
        state = lib.tensor(h)
        for _ in range(3):
            state = cell(lib.tensor(x), state)
        state.sum().backward()
        grads.append([p.grad.numpy() for p in cell.parameters()])
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("b_shape, node", [((3, 4), "MmBackward"), ((3,), "MvBackward")])
def test_matrix_product_fast_path_matches_torch(b_shape, node):
    """``a @ b`` of a matrix and a matrix or vector of its dtype goes straight to mm's or mv's node:
    values, gradients and the node's name as torch's; every other pair (dtypes that differ, a
    mismatch, autocast) takes the general path and its answers."""
    rng = np.random.default_rng(3)
    a0, b0 = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal(b_shape).astype(np.float32)
    results = []
    for lib in (kitty, torch):
        a, b = lib.tensor(a0, requires_grad=True), lib.nn.Parameter(lib.tensor(b0))
        out = a @ b
        out.backward(lib.ones_like(out))
        results.append((out.detach().numpy(), a.grad.numpy(), b.grad.numpy()))
        assert out.grad_fn.name().startswith(node)
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    for lib in (kitty, torch):
        with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x2\)"):
            lib.ones(2, 3) @ lib.ones(4, 2)
        with pytest.raises(RuntimeError, match=r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"):
            lib.ones(2, 3) @ lib.ones(4)
        assert (lib.ones(2, 3, dtype=lib.int64) @ lib.ones(3, 2, dtype=lib.int64)).dtype == lib.int64
        with lib.autocast("cpu"):
            assert (lib.ones(2, 3) @ lib.ones(3, 2)).dtype == lib.bfloat16
    # kittygrad's own rule beside torch's refusal: two float dtypes meet at the wider one
    assert (kitty.ones(2, 3) @ kitty.ones(3, 2, dtype=kitty.float64)).dtype == kitty.float64


def test_matrix_transpose_fast_path_is_permutes_view():
    """``x.T`` of a matrix goes straight to permute's node: a view of its base (a write through it
    shows in the base), the gradient and the node's name as torch's; other ranks keep their warning."""
    results = []
    for lib in (kitty, torch):
        x = lib.arange(6.0).reshape(2, 3).requires_grad_()
        y = x.T
        assert tuple(y.shape) == (3, 2) and y.grad_fn.name().startswith("PermuteBackward")
        (y * lib.arange(6.0).reshape(3, 2)).sum().backward()
        base = lib.zeros(2, 3)
        base.T[0, 1] = 5.0
        results.append((x.grad.tolist(), base.tolist()))
        with pytest.warns(UserWarning, match="dimension other than 2"):
            lib.zeros(2, 3, 4).T
    assert results[0] == results[1]


@pytest.mark.parametrize("shape, offset, dim1, dim2", [
    ((3, 4), 0, 0, 1), ((3, 4), 2, 0, 1), ((4, 3), -2, 0, 1), ((2, 3, 4), 1, 2, 0), ((2, 3, 4), -1, -1, -3),
    ((3, 3), 5, 0, 1), ((0, 3), 0, 0, 1),
])
def test_diagonal_is_numpys_view_opened_for_writes(shape, offset, dim1, dim2):
    # backend.diagonal_view hands out NumPy's own diagonal with its write flag set: values,
    # gradients, a write through the view into its base, and a read-only base staying read-only
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(shape).astype(np.float32)
    outs = []
    for m in (torch, kitty):
        x = m.tensor(x0, requires_grad=True)
        d = x.diagonal(offset, dim1, dim2)
        (d * m.arange(d.shape[-1], dtype=m.float32)).sum().backward()
        base = m.tensor(x0)
        with m.no_grad():
            base.diagonal(offset, dim1, dim2).fill_(7.0)
        outs.append((d.detach().numpy(), x.grad.numpy(), base.numpy()))
    for got, want in zip(outs[1], outs[0]):
        np.testing.assert_array_equal(got, want)
    stretched = np.broadcast_to(x0[:1], shape) if shape[0] else x0
    assert not _backend_diagonal(stretched, offset, dim1, dim2).flags.writeable or not stretched.size


def _backend_diagonal(arr, offset, dim1, dim2):
    from kittygrad import backend
    nd = arr.ndim
    return backend.diagonal_view(arr, offset, dim1 % nd, dim2 % nd)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1, 2.5, 0, 1])
def test_power_of_a_number_fast_path_matches_torch(dtype, exponent):
    # ops.arithmetic.pow takes a float tensor and a Python number (an int too) straight to its
    # node. (torch's sign of (-0) ** -0.5 depends on its vectorised loop: -0 and -inf are left to
    # the generic power's test in test_fast_paths.py for the exponents that are not whole)
    whole = float(exponent).is_integer()
    x0 = np.array([0.0, 1.5, -2.0, 3.0, np.inf, np.nan] + ([-0.0, -np.inf] if whole else []), dtype=dtype)
    outs = []
    for m in (torch, kitty):
        x = m.tensor(x0, requires_grad=True)
        y = x.pow(exponent)
        y.backward(m.ones_like(y))
        outs.append((y.detach().numpy(), x.grad.numpy(), str(y.dtype).split(".")[-1]))
    np.testing.assert_array_equal(outs[1][0], outs[0][0])
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=2e-3 if dtype == "float16" else 1e-6, equal_nan=True)
    assert outs[1][2] == outs[0][2]


def test_batch_transpose_goes_straight_to_transposes_node():
    # Tensor.mT records transpose's node over the last two dims without parsing them
    x0 = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    results = []
    for lib in (torch, kitty):
        x = lib.tensor(x0, requires_grad=True)
        y = x.mT
        (y * lib.arange(3, dtype=lib.float32)).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy(), y.grad_fn.name().rstrip("0")))
        with pytest.raises(RuntimeError, match="matrices or batches of matrices. Got 1-D tensor"):
            lib.zeros(3).mT
        scalar = lib.tensor(1.0, requires_grad=True)
        with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
            assert scalar.mT is scalar
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])
    assert results[1][2] == results[0][2] == "TransposeBackward"
