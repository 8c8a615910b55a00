"""Op-table rows of ``kittygrad/ops/eigen.py``, and the behaviour at repeated eigenvalues.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them. Eigenvectors are
defined up to sign (LAPACK builds may differ), so rows use sign-invariant functions of them; inputs
are symmetrised (eigh reads one triangle, torch's gradient is the symmetric one) and spread by a
diagonal so that eigenvalues are well separated."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed, matrix_shapes

import kittygrad as kitty


def _sym(m, a):
    n = a.shape[-1]
    return a + a.mT + m.diag(m.arange(n, dtype=a.dtype) * 4)


def _eigh_use(m, wv):
    """Eigenvalues, the squared eigenvector entries and the first eigenvector's projector."""
    w, v = wv
    return w, v * v, v[..., :, :1] @ v[..., :, :1].mT


ROWS = [
    Row("linalg.eigh", lambda m, a: _eigh_use(m, m.linalg.eigh(_sym(m, a))), shapes=matrix_shapes("bnn"),
        also=("eigh",)),
    Row("eigh_upper", lambda m, a: _eigh_use(m, m.linalg.eigh(_sym(m, a), UPLO="U")), shapes=fixed((2, 3, 3))),
    Row("eigh_vectors_only", lambda m, a: m.linalg.eigh(_sym(m, a)).eigenvectors.abs(), shapes=fixed((4, 4))),
    Row("linalg.eigvalsh", lambda m, a: m.linalg.eigvalsh(_sym(m, a)), shapes=matrix_shapes("bnn"),
        also=("eigvalsh",)),
    Row("eigvalsh_upper", lambda m, a: m.linalg.eigvalsh(_sym(m, a), UPLO="U"), shapes=fixed((3, 3))),
]


def test_one_triangle_is_read():
    a = np.array([[1.0, 2.0], [100.0, 3.0]])
    for uplo in ("L", "U"):
        k = kitty.linalg.eigvalsh(kitty.tensor(a), UPLO=uplo).numpy()
        t = torch.linalg.eigvalsh(torch.tensor(a), UPLO=uplo).numpy()
        np.testing.assert_allclose(k, t, rtol=1e-12)


def test_gradient_of_a_non_symmetric_input_is_torchs():
    """eigh reads a triangle, yet torch's gradient is the full symmetric matrix: so is ours."""
    a = np.random.default_rng(0).standard_normal((3, 3))
    grads = []
    for lib in (kitty, torch):
        x = lib.tensor(a, requires_grad=True)
        w, v = lib.linalg.eigh(x)
        (w.sum() + (v[:, :1] * v[:, :1].mT).sum()).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(*grads, rtol=1e-9, atol=1e-12)


def test_repeated_eigenvalues_as_torch():
    """At repeated eigenvalues the eigenvectors' gradient is NaN (torch's too); the eigenvalues'
    alone stays finite."""
    for lib in (kitty, torch):
        x = lib.eye(3, dtype=lib.float64, requires_grad=True)
        w, v = lib.linalg.eigh(x)
        (gw,) = lib.autograd.grad(w.sum(), x, retain_graph=True)
        np.testing.assert_allclose(gw.numpy(), np.eye(3))
        (gv,) = lib.autograd.grad((v * lib.arange(9.0, dtype=lib.float64).reshape(3, 3)).sum(), x)
        assert np.isnan(gv.numpy()).all(), lib.__name__
        (ge,) = lib.autograd.grad(lib.linalg.eigvalsh(x).sum(), x)
        np.testing.assert_allclose(ge.numpy(), np.eye(3))


def test_errors_as_torch():
    cases = [
        (lambda m: m.linalg.eigh(m.eye(2), UPLO="X"), RuntimeError),
        (lambda m: m.linalg.eigh(m.ones(2, 3)), RuntimeError),
        (lambda m: m.linalg.eigh(m.ones(3)), RuntimeError),
        (lambda m: m.linalg.eigvalsh(m.eye(2, dtype=m.int64)), NotImplementedError),
    ]
    for fn, kind in cases:
        with pytest.raises(kind) as theirs:
            fn(torch)
        with pytest.raises(kind) as ours:
            fn(kitty)
        assert str(ours.value) == str(theirs.value)


def test_empty_and_nan():
    w, v = kitty.linalg.eigh(kitty.ones(0, 0))
    assert tuple(w.shape) == (0,) and tuple(v.shape) == (0, 0)
    assert np.isnan(kitty.linalg.eigvalsh(kitty.tensor([[float("nan"), 0.0], [0.0, 1.0]])).numpy()).any()


@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_complex_results_are_refused(name):
    fn = getattr(kitty.linalg, name)
    assert "complex" in fn.__kittygrad_refused__
    with pytest.raises(NotImplementedError, match="complex"):
        fn(kitty.eye(2))
