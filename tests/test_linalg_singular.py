"""Linear-algebra gradients at singular and near-singular matrices, against torch 2.13.

Two kinds of inputs: **exactly singular** (integer matrices of rank n-1 and n-2, a zero row or
column, a repeated row, batches mixing singular and regular ones), where LAPACK's LU usually finds
an exactly zero pivot, and **singular up to rounding** (U diag(s) V with s_min = 1e-17), where the
same LU returns a pivot of ~1e-16 on one BLAS build and exactly 0 on another. A gradient that is
continuous there (det's) must come out the same either way; the ones that are infinite there
(slogdet's, inv's) must be non-finite or huge in the directions that blow up, never silently zero.

Run also under other BLAS kernels, e.g.
``OPENBLAS_CORETYPE=Prescott OPENBLAS_NUM_THREADS=2 pytest tests/test_linalg_singular.py``.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty

# ---------------------------------------------------------------------------------------------
# inputs

EXACT = {
    "rank1_2x2": [[1.0, 2.0], [2.0, 4.0]],
    "rank2_3x3": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]],
    "zero_row": [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 5.0, 7.0]],
    "zero_col": [[1.0, 0.0, 3.0], [2.0, 0.0, 6.5], [4.0, 0.0, 7.0]],
    "repeated_row": [[1.0, 2.0, 3.0], [4.0, 5.0, 7.0], [1.0, 2.0, 3.0]],
    # row 3 = row 1 - row 2, with power-of-two multipliers: the elimination is exact
    "rank3_4x4": [[8.0, 2.0, 4.0, 2.0], [4.0, 5.0, 1.0, 3.0], [4.0, -3.0, 3.0, -1.0], [2.0, 1.0, 6.0, 1.0]],
    # rank n-2: the cofactor matrix is zero
    "rank1_3x3": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]],
    "zero_2x2": [[0.0, 0.0], [0.0, 0.0]],
    "rank2_4x4": [[1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0], [0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0]],
}
RANK_N_MINUS_1 = ["rank1_2x2", "rank2_3x3", "zero_row", "zero_col", "repeated_row", "rank3_4x4"]


def rounding_singular(s, seed):
    """U diag(s) V for random orthogonal U, V: singular when s has a zero, singular up to rounding
    when it has a 1e-17 (LAPACK's det then comes out as ~1e-16, or as 0 on some builds)."""
    rng = np.random.default_rng(seed)
    n = len(s)
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return u @ np.diag(s) @ v, (u, np.asarray(s, dtype=float), v)


def exact_cofactor(values):
    """cof(A)[i, j] = (-1)^(i+j) det(A without row i and column j), in exact integer arithmetic."""
    a = [[int(round(x * 2)) for x in row] for row in values]  # the inputs are multiples of 1/2
    n = len(a)

    def det(m):
        if not m:
            return 1
        return sum((-1) ** j * m[0][j] * det([r[:j] + r[j + 1:] for r in m[1:]]) for j in range(len(m)))

    cof = np.zeros((n, n))
    for i, j in itertools.product(range(n), range(n)):
        minor = [r[:j] + r[j + 1:] for k, r in enumerate(a) if k != i]
        cof[i, j] = (-1) ** (i + j) * det(minor) / 2.0 ** (n - 1)
    return cof


def svd_cofactor(parts):
    """cof(U diag(s) V) = det(U) det(V) U diag(prod of the other s) V, from the construction."""
    u, s, v = parts
    others = np.array([np.prod(np.delete(s, i)) for i in range(len(s))])
    return np.linalg.det(u) * np.linalg.det(v) * (u * others) @ v


def torch_det_grad(values, dtype=torch.float64, create_graph=True):
    """torch's det gradient; with create_graph its SVD formula, the one continuous at singular A
    (its first-order formula returns 0 when LAPACK's LU has an exactly zero pivot)."""
    a = torch.tensor(values, dtype=dtype, requires_grad=True)
    (g,) = torch.autograd.grad(torch.linalg.det(a), a, create_graph=create_graph)
    return g.detach().numpy()


def torch_lu_rounds(values) -> bool:
    """Whether torch's LU (or its det) of the exactly singular ``values`` leaves a rounding residue
    where the elimination cancels exactly. torch's LAPACK (MKL) fuses each multiply-add on Intel
    CPUs with FMA, and there ``4 - fl(2/3) * 6`` is 2.2e-16, not 0: det comes out ~1e-16 with a
    sign, logdet ~-35, and no zero pivot. kittygrad's LU finds the zero on every CPU (torch's does
    on the others: seen on AMD EPYC, and on Intel with ``MKL_ENABLE_INSTRUCTIONS=AVX``), so where
    torch's rounds, the tests hold kittygrad to the exact values and torch only to its residue."""
    a = torch.tensor(values, dtype=torch.float64)
    tiny = 64 * np.finfo(float).eps * np.abs(values).max()
    diag = np.abs(np.diagonal(torch.linalg.lu_factor_ex(a).LU.numpy()))
    det = abs(torch.linalg.det(a).item())
    return bool(((diag > 0) & (diag < tiny)).any()) or 0 < det < tiny * np.abs(values).max() ** (len(values) - 1)


def kitty_grad(fn, values, dtype=kitty.float64):
    x = kitty.tensor(values, dtype=dtype, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


# ---------------------------------------------------------------------------------------------
# det


@pytest.mark.parametrize("name", sorted(EXACT))
def test_det_gradient_at_an_exactly_singular_matrix_is_the_cofactor_matrix(name):
    values = EXACT[name]
    got = kitty_grad(kitty.linalg.det, values)
    np.testing.assert_allclose(got, exact_cofactor(values), atol=1e-12)
    np.testing.assert_allclose(got, torch_det_grad(values), atol=1e-12)
    if name in RANK_N_MINUS_1:
        assert np.abs(got).max() > 0.1  # never silently zero at rank n-1


@pytest.mark.parametrize("name", RANK_N_MINUS_1)
def test_det_gradient_in_float32(name):
    values = EXACT[name]
    got = kitty_grad(kitty.linalg.det, values, kitty.float32)
    assert got.dtype == np.float32
    cof = exact_cofactor(values)
    atol = 1e-5 * max(1.0, np.abs(cof).max())  # float32 rounding, relative to the largest cofactor
    np.testing.assert_allclose(got, cof, rtol=1e-5, atol=atol)
    np.testing.assert_allclose(got, torch_det_grad(values, torch.float32), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("s", [(2.0, 1.0, 1e-17), (3.0, 2.0, 1.0, 1e-17), (2.0, 1e-17, 1e-17)], ids=str)
def test_det_gradient_singular_up_to_rounding_does_not_depend_on_lapacks_zero(s, seed):
    # whether np.linalg.det returns 0 or ~1e-16 here depends on the seed and on the BLAS kernel
    a, parts = rounding_singular(s, seed)
    expected = svd_cofactor(parts)
    got = kitty_grad(kitty.linalg.det, a)
    np.testing.assert_allclose(got, expected, atol=1e-13)
    np.testing.assert_allclose(got, torch_det_grad(a), atol=1e-13)
    got32 = kitty_grad(kitty.linalg.det, a, kitty.float32)
    np.testing.assert_allclose(got32, expected, atol=2e-6)


@pytest.mark.parametrize("s_min", [1e-3, 1e-6, 1e-8, 1e-9, 1e-12, 1e-15])
def test_det_gradient_is_continuous_across_the_conditioning_branch(s_min):
    # the inverse formula for well-conditioned matrices, the SVD one below rcond = sqrt(eps): both
    # sides of the switch agree with torch and with the exact cofactor
    a, parts = rounding_singular((2.0, 1.0, s_min), 3)
    got = kitty_grad(kitty.linalg.det, a)
    np.testing.assert_allclose(got, svd_cofactor(parts), rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(got, torch_det_grad(a, create_graph=False), rtol=1e-9, atol=1e-13)


def test_det_gradient_near_an_exactly_singular_matrix_is_continuous():
    values = np.array(EXACT["rank2_3x3"])
    at = kitty_grad(kitty.linalg.det, values)
    for eps in (1e-15, 1e-12, 1e-9):
        near = values.copy()
        near[2, 2] += eps
        np.testing.assert_allclose(kitty_grad(kitty.linalg.det, near), at, atol=20 * eps + 1e-13)


def test_det_gradient_on_a_batch_mixing_singular_and_regular_matrices():
    rng = np.random.default_rng(5)
    regular = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    rounding, _ = rounding_singular((2.0, 1.0, 1e-17), 1)
    batch = np.stack([EXACT["rank2_3x3"], regular, EXACT["rank1_3x3"], rounding, np.zeros((3, 3)), EXACT["zero_row"]])
    batch = batch.reshape(2, 3, 3, 3)
    x = kitty.tensor(batch, requires_grad=True)
    det = kitty.linalg.det(x)
    w = rng.standard_normal(det.shape)
    (det * kitty.tensor(w)).sum().backward()
    t = torch.tensor(batch, requires_grad=True)
    (expected,) = torch.autograd.grad((torch.linalg.det(t) * torch.tensor(w)).sum(), t, create_graph=True)
    np.testing.assert_allclose(det.detach().numpy(), torch.linalg.det(t).detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", RANK_N_MINUS_1)
def test_det_double_backward_at_a_singular_matrix_matches_torch(name):
    values = EXACT[name]
    w = np.random.default_rng(2).standard_normal(np.shape(values))
    results = []
    for lib in (kitty, torch):
        a = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(lib.linalg.det(a), a, create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(w)).sum(), a)
        results.append(h.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", ["rank2_3x3", "zero_row", "rank3_4x4"])
def test_det_gradgradcheck_at_a_singular_matrix(name):
    a = kitty.tensor(EXACT[name], dtype=kitty.float64, requires_grad=True)
    assert kitty.autograd.gradgradcheck(kitty.linalg.det, (a,), eps=1e-6, atol=1e-5, rtol=1e-3)


# ---------------------------------------------------------------------------------------------
# slogdet and logdet


@pytest.mark.parametrize("name", sorted(EXACT))
@pytest.mark.parametrize("fname", ["slogdet", "logdet"])
def test_logabsdet_gradient_at_an_exactly_singular_matrix(name, fname):
    """cof(A) / det(A): infinite where the cofactor is not zero (torch is non-finite there too),
    NaN (0/0) where it is. The signs of the infinities follow the sign of det's zero, which is
    not meaningful (torch's MKL and kittygrad's LU can differ), so only |inf| is compared."""
    values = EXACT[name]
    cof = exact_cofactor(values)

    def run(lib):
        a = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        out = lib.linalg.slogdet(a)[1] if fname == "slogdet" else lib.logdet(a)
        out.backward()
        return out.item(), a.grad.numpy()

    (k_out, k_grad), (t_out, t_grad) = run(kitty), run(torch)
    assert k_out == -np.inf  # det is exactly 0
    np.testing.assert_array_equal(np.isinf(k_grad), cof != 0)
    np.testing.assert_array_equal(np.isnan(k_grad), cof == 0)
    if t_out == -np.inf:
        assert not np.isfinite(t_grad[cof != 0]).any()
        assert not np.isfinite(k_grad[np.isinf(t_grad)]).any()
        return
    # torch's det is a rounding residue (see torch_lu_rounds): ~1e-16, so its log is ~-35 (NaN
    # for logdet when the residue is negative) and its gradient ~1e16 along the cofactor
    assert torch_lu_rounds(values)
    if not np.isnan(t_out):
        assert -40 < t_out < -30 and (np.abs(t_grad[cof != 0]) > 1e12).all()


def test_slogdet_values_at_singular_matrices_match_torch():
    batch = np.stack([EXACT["rank2_3x3"], EXACT["zero_row"], np.eye(3) * -2])
    k = kitty.linalg.slogdet(kitty.tensor(batch))
    t = torch.linalg.slogdet(torch.tensor(batch))
    np.testing.assert_array_equal(k.sign.numpy()[:2], [0.0, 0.0])
    np.testing.assert_array_equal(k.logabsdet.numpy()[:2], [-np.inf, -np.inf])
    exact = [not torch_lu_rounds(m) for m in batch]  # (see torch_lu_rounds)
    np.testing.assert_array_equal(k.sign.numpy()[exact], t.sign.numpy()[exact])
    np.testing.assert_array_equal(k.logabsdet.numpy()[exact], t.logabsdet.numpy()[exact])


def test_slogdet_gradient_on_a_batch_mixing_singular_and_regular_matrices():
    rng = np.random.default_rng(7)
    regular = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    batch = np.stack([regular[0], EXACT["rank2_3x3"], regular[1]])
    got = kitty_grad(lambda x: kitty.linalg.slogdet(x)[1], batch)
    t = torch.tensor(regular, requires_grad=True)
    torch.linalg.slogdet(t)[1].sum().backward()
    np.testing.assert_allclose(got[[0, 2]], t.grad.numpy(), rtol=1e-10)
    assert np.isinf(got[1, :2]).all() and np.isnan(got[1, 2]).all()


@pytest.mark.parametrize("seed", range(4))
def test_logabsdet_gradient_singular_up_to_rounding(seed):
    # A^-T, ~1e16 and set by rounding noise when LAPACK finds a pivot of ~1e-16 (infinite when
    # it finds 0): in both cases its direction is the cofactor's, and det * A^-T is the cofactor
    a, parts = rounding_singular((2.0, 1.0, 1e-17), seed)
    cof = svd_cofactor(parts)
    got = kitty_grad(lambda x: kitty.linalg.slogdet(x)[1], a)
    if np.isfinite(got).all():
        assert np.abs(got).max() > 1e14
        np.testing.assert_allclose(np.abs(got) / np.abs(got).max(), np.abs(cof) / np.abs(cof).max(), atol=1e-6)
    else:
        assert np.isinf(got[np.abs(cof) > 1e-8]).all()


@pytest.mark.parametrize("s_min", [1e-4, 1e-7, 1e-10])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_logabsdet_inv_solve_near_singular_match_torch(s_min, dtype):
    # well away from rounding: the same finite numbers as torch, to cond * eps
    if dtype == "float32" and s_min < 1e-4:
        pytest.skip("beyond float32's precision: the result is rounding noise")
    a, _ = rounding_singular((2.0, 1.0, s_min), 4)
    sign = float(np.sign(np.linalg.det(a)))
    b = np.random.default_rng(4).standard_normal((3, 2))
    rtol = (2.0 / s_min) * float(np.finfo(dtype).eps) * 50
    fns = {
        "slogdet": lambda m, x, y: m.linalg.slogdet(x)[1],
        "logdet": lambda m, x, y: m.logdet(x * sign),  # a positive determinant
        "inv": lambda m, x, y: m.linalg.inv(x),
        "solve": lambda m, x, y: m.linalg.solve(x, y),
        "matrix_power": lambda m, x, y: m.linalg.matrix_power(x, -2) * s_min,
    }
    for name, fn in fns.items():
        outs, grads = [], []
        for lib in (kitty, torch):
            x = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True)
            y = lib.tensor(b, dtype=getattr(lib, dtype), requires_grad=True)
            out = fn(lib, x, y)
            out.sum().backward()
            outs.append(out.detach().numpy())
            grads.append([x.grad.numpy(), None if y.grad is None else y.grad.numpy()])
        scale = max(np.abs(outs[1]).max(), 1.0)
        np.testing.assert_allclose(outs[0], outs[1], rtol=rtol, atol=rtol * scale, err_msg=name)
        for k, t in zip(*grads):
            if t is not None:
                np.testing.assert_allclose(k, t, rtol=rtol, atol=rtol * np.abs(t).max(), err_msg=name)


def test_slogdet_double_backward_at_a_singular_matrix_raises_as_torch():
    # torch's create_graph formula solves with A, and so does kittygrad's
    for lib, error in ((kitty, kitty.linalg.LinAlgError), (torch, torch.linalg.LinAlgError)):
        if lib is torch and torch_lu_rounds(EXACT["rank2_3x3"]):
            continue  # torch's LU sees no zero pivot there (see torch_lu_rounds)
        a = lib.tensor(EXACT["rank2_3x3"], dtype=lib.float64, requires_grad=True)
        with pytest.raises(error, match="singular"):
            lib.autograd.grad(lib.linalg.slogdet(a)[1], a, create_graph=True)


# ---------------------------------------------------------------------------------------------
# inv, solve, matrix_power


@pytest.mark.parametrize("name", RANK_N_MINUS_1 + ["rank1_3x3", "zero_2x2"])
def test_inv_solve_and_negative_powers_of_an_exactly_singular_matrix_raise_as_torch(name):
    values = EXACT[name]
    n = len(values)
    calls = [
        lambda m, a: m.linalg.inv(a),
        lambda m, a: m.inverse(a),
        lambda m, a: m.linalg.solve(a, m.ones(n, dtype=a.dtype)),
        lambda m, a: m.linalg.matrix_power(a, -1),
    ]
    for call in calls:
        for lib in (kitty, torch):
            with pytest.raises(RuntimeError, match="singular"):
                call(lib, lib.tensor(values, dtype=lib.float64))
    with pytest.raises(kitty.linalg.LinAlgError):
        kitty.linalg.inv(kitty.tensor(values))


@pytest.mark.parametrize("seed", range(4))
def test_inv_and_solve_singular_up_to_rounding(seed):
    # LAPACK raises when its LU finds a zero pivot, otherwise returns ~1e16 entries set by rounding:
    # either way (it differs between BLAS builds, for torch too) no wrong finite answer comes back
    a, (u, _, v) = rounding_singular((2.0, 1.0, 1e-17), seed)
    direction = np.outer(v[-1], u[:, -1])  # A^-1 ~ v_n u_n^T / s_n
    x = kitty.tensor(a, requires_grad=True)
    try:
        inv = kitty.linalg.inv(x)
    except kitty.linalg.LinAlgError:
        return
    values = inv.detach().numpy()
    assert np.abs(values).max() > 1e14
    np.testing.assert_allclose(np.abs(values / np.linalg.norm(values)), np.abs(direction), atol=1e-6)
    inv.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("name", RANK_N_MINUS_1 + ["rank1_3x3"])
def test_positive_powers_of_a_singular_matrix_match_torch(name):
    values = EXACT[name]
    results = []
    for lib in (kitty, torch):
        a = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        out = lib.linalg.matrix_power(a, 3) + lib.linalg.matrix_power(a, 0)
        (out * lib.arange(out.numel(), dtype=out.dtype).reshape(out.shape)).sum().backward()
        results.append((out.detach().numpy(), a.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])


@pytest.mark.parametrize("values", [[[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]], [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]],
                         ids=["zero_col", "rank1"])
def test_qr_gradient_at_a_rank_deficient_matrix_is_not_an_error(values):
    # R gets a zero (or ~1e-16) on its diagonal: torch's triangular solve gives inf/nan or huge
    # numbers, never an exception; so does kittygrad's
    (ko, kg), (to, tg) = _both(lambda m, a: m.linalg.qr(a), values)
    np.testing.assert_allclose(np.abs(ko[1]), np.abs(to[1]), atol=1e-12)
    np.testing.assert_array_equal(np.isfinite(kg[0]), np.isfinite(tg[0]))
    if not np.isfinite(tg[0]).all():
        np.testing.assert_array_equal(kg[0], tg[0])


# ---------------------------------------------------------------------------------------------
# pinv


def _both(fn, *values, dtype="float64", weights_seed=0):
    """fn on kittygrad and torch: (outputs, input gradients of sum(out * w)) of each."""
    rng = np.random.default_rng(weights_seed)
    results = []
    weights = None
    for lib in (kitty, torch):
        ts = [lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True) for v in values]
        out = fn(lib, *ts)
        outs = [o for o in (out if isinstance(out, (tuple, list)) else [out])]
        if weights is None:
            weights = [rng.standard_normal(tuple(o.shape)) for o in outs]
        loss = sum((o * lib.tensor(w, dtype=o.dtype)).sum() for o, w in zip(outs, weights) if o.requires_grad)
        loss.backward()
        results.append(([o.detach().numpy() for o in outs], [t.grad.numpy() for t in ts]))
    return results


PINV_INPUTS = {
    "rank2_3x3": EXACT["rank2_3x3"],
    "rank1_3x3": EXACT["rank1_3x3"],
    "zero_row": EXACT["zero_row"],
    "zero_2x2": EXACT["zero_2x2"],
    "rank1_wide": [[1.0, 2.0, 0.0, -1.0], [2.0, 4.0, 0.0, -2.0]],
    "rank2_tall": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 2.0]],
    "rounding": rounding_singular((2.0, 1.0, 1e-17), 1)[0].tolist(),
}


@pytest.mark.parametrize("name", sorted(PINV_INPUTS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pinv_at_rank_deficient_matrices_matches_torch(name, dtype):
    tol = 1e-10 if dtype == "float64" else 2e-4
    (ko, kg), (to, tg) = _both(lambda m, a: m.linalg.pinv(a), PINV_INPUTS[name], dtype=dtype)
    np.testing.assert_allclose(ko[0], to[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(kg[0], tg[0], rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["rank2_3x3", "rank1_wide", "rounding"])
def test_pinv_hermitian_and_tolerances_at_singular_matrices_match_torch(name):
    values = np.array(PINV_INPUTS[name])
    sym = values.T @ values

    def fn(m, a, s):
        return (m.linalg.pinv(a, atol=0.5), m.linalg.pinv(a, rtol=0.2), m.linalg.pinv(s, hermitian=True),
                m.linalg.pinv(s, atol=m.tensor([0.1, 3.0], dtype=a.dtype)[:, None], rtol=m.tensor(0.0, dtype=a.dtype)),
                m.pinverse(a, rcond=0.3))

    (ko, kg), (to, tg) = _both(fn, values, sym)
    for k, t in zip(ko + kg, to + tg):
        np.testing.assert_allclose(k, t, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", ["rank2_3x3", "rank1_wide", "rank2_tall"])
def test_pinv_double_backward_at_rank_deficient_matrices_matches_torch(name):
    values = PINV_INPUTS[name]
    rng = np.random.default_rng(1)
    out_shape = np.shape(values)[::-1]
    w, v = rng.standard_normal(out_shape), rng.standard_normal(np.shape(values))
    results = []
    for lib in (kitty, torch):
        a = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((lib.linalg.pinv(a) * lib.tensor(w)).sum(), a, create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(v)).sum(), a)
        results.append(h.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------------------------------
# the LU family


@pytest.mark.parametrize("name", sorted(EXACT))
def test_lu_of_an_exactly_singular_matrix_matches_torch(name):
    values = EXACT[name]
    k = kitty.linalg.lu_factor_ex(kitty.tensor(values, dtype=kitty.float64))
    t = torch.linalg.lu_factor_ex(torch.tensor(values, dtype=torch.float64))
    if torch_lu_rounds(values):
        # torch's U holds residues where kittygrad's has the exact zero pivot: kittygrad's factors
        # must still give back A, and name the first zero pivot (info) and refuse in lu_factor
        p, lower, upper = kitty.linalg.lu(kitty.tensor(values, dtype=kitty.float64))
        np.testing.assert_allclose((p @ lower @ upper).numpy(), values, rtol=0, atol=1e-14)
        u = k.LU.numpy()
        assert k.info.item() == 1 + int(np.flatnonzero(np.diagonal(u) == 0)[0]) > 0
        with pytest.raises(RuntimeError, match=r"U\[\d,\d\] is zero"):
            kitty.linalg.lu_factor(kitty.tensor(values, dtype=kitty.float64))
        return
    np.testing.assert_array_equal(k.LU.numpy(), t.LU.numpy())
    np.testing.assert_array_equal(k.pivots.numpy(), t.pivots.numpy())
    assert k.info.item() == t.info.item() > 0
    for lib in (kitty, torch):
        with pytest.raises(RuntimeError, match=r"U\[\d,\d\] is zero"):
            lib.linalg.lu_factor(lib.tensor(values, dtype=lib.float64))
    kp = kitty.linalg.lu(kitty.tensor(values, dtype=kitty.float64))
    tp = torch.linalg.lu(torch.tensor(values, dtype=torch.float64))
    for a, b in zip(kp, tp):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_lu_factor_of_a_batch_names_the_singular_element_as_torch():
    batch = np.stack([np.eye(3) * 2, EXACT["rank2_3x3"]])
    messages = []
    for lib in (kitty, torch):
        with pytest.raises(RuntimeError) as err:
            lib.linalg.lu_factor(lib.tensor(batch))
        messages.append(str(err.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("name", ["rank1_2x2", "rank2_3x3", "zero_row", "rank1_3x3"])
def test_lu_gradient_at_a_singular_matrix_is_not_finite_as_torch(name):
    # "the LU decomposition with pivoting is not differentiable at these points" (torch's docs)
    for fn in (lambda m, a: m.linalg.lu_factor_ex(a).LU, lambda m, a: m.linalg.lu(a)[1] + m.linalg.lu(a)[2]):
        (_, kg), (_, tg) = _both(fn, EXACT[name])
        assert np.isnan(tg[0]).all()
        np.testing.assert_array_equal(np.isfinite(kg[0]), np.isfinite(tg[0]))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 5), (5, 2)], ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lu_family_values_and_gradients_match_torch(shape, dtype):
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape)
    tol = 1e-9 if dtype == "float64" else 1e-4

    def fn(m, x):
        return (*m.linalg.lu_factor(x), *m.linalg.lu(x), *m.lu_unpack(*m.linalg.lu_factor(x)))

    (ko, kg), (to, tg) = _both(fn, a, dtype=dtype)
    for k, t in zip(ko + kg, to + tg):
        np.testing.assert_allclose(k, t, rtol=tol, atol=tol)


@pytest.mark.parametrize("left,adjoint", [(True, False), (True, True), (False, False), (False, True)])
def test_lu_solve_near_singular_matches_torch(left, adjoint):
    a, _ = rounding_singular((2.0, 1.0, 1e-6), 2)
    b = np.random.default_rng(0).standard_normal((3, 2) if left else (2, 3))

    def fn(m, x, y):
        lu, piv = m.linalg.lu_factor(x)
        return m.linalg.lu_solve(lu, piv, y, left=left, adjoint=adjoint)

    (ko, kg), (to, tg) = _both(fn, a, b)
    for k, t in zip(ko + kg, to + tg):
        np.testing.assert_allclose(k, t, rtol=1e-8, atol=1e-8 * np.abs(t).max())


def test_lu_solve_and_solve_triangular_with_a_zero_pivot_give_torchs_infinities():
    u = [[2.0, 1.0, 1.0], [0.0, 1.0, 3.0], [0.0, 0.0, 0.0]]
    b = [[1.0, 0.0], [2.0, 1.0], [1.0, 0.0]]
    k = kitty.linalg.solve_triangular(kitty.tensor(u), kitty.tensor(b), upper=True).numpy()
    t = torch.linalg.solve_triangular(torch.tensor(u, dtype=torch.float64), torch.tensor(b, dtype=torch.float64), upper=True)
    np.testing.assert_array_equal(k, t.numpy())
    values = EXACT["rank2_3x3"]
    kl = kitty.linalg.lu_factor_ex(kitty.tensor(values))
    tl = torch.linalg.lu_factor_ex(torch.tensor(values, dtype=torch.float64))
    k = kitty.linalg.lu_solve(kl.LU, kl.pivots, kitty.tensor(b)).numpy()
    t = torch.linalg.lu_solve(tl.LU, tl.pivots, torch.tensor(b, dtype=torch.float64)).numpy()
    np.testing.assert_array_equal(np.isfinite(k), np.isfinite(t))
    np.testing.assert_allclose(k[np.isfinite(k)], t[np.isfinite(t)])


def test_deprecated_lu_spellings_match_torch():
    a = np.random.default_rng(3).standard_normal((2, 3, 3))
    b = np.random.default_rng(4).standard_normal((2, 3, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.lu / torch.lu_solve warn that they are deprecated
        t_lu = torch.lu(torch.tensor(a), get_infos=True)
        t_x = torch.lu_solve(torch.tensor(b), *torch.lu(torch.tensor(a)))
    k_lu = kitty.lu(kitty.tensor(a), get_infos=True)
    k_x = kitty.lu_solve(kitty.tensor(b), *kitty.lu(kitty.tensor(a)))
    assert isinstance(kitty.lu(kitty.tensor(a)), tuple) and len(k_lu) == 3
    for k, t in zip((*k_lu, k_x), (*t_lu, t_x)):
        np.testing.assert_allclose(k.numpy(), t.numpy(), rtol=1e-10)
    with pytest.raises(RuntimeError, match="without pivoting"):
        kitty.linalg.lu_factor(kitty.tensor(a), pivot=False)
