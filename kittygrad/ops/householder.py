"""Householder reflectors, as LAPACK stores a QR factorization: ``geqrf`` (the packed form),
``linalg.householder_product`` / ``orgqr`` (Q from it) and ``ormqr`` (a product with Q). The
products are composed from differentiable ops, so their gradients (and higher ones) are exact."""
from __future__ import annotations

from .. import backend as B
from ..autograd import function as F
from ..autograd.function import Op
from ..errors import KittyIndexError, KittyNotImplementedError, KittyRuntimeError
from . import _return_types as RT
from ._prep import dtype_name, tensor_input, torch_named
from .decompositions import _mT
from .linalg import tril

_geqrf_result = RT._make("geqrf", ("a", "tau"))


class Geqrf(Op):
    """LAPACK's geqrf: R on and above the diagonal, the Householder vectors below it, and their
    scalars tau. Not differentiable, as in torch."""

    saved_fields = ()

    def forward(self, a):
        h, tau = self.xp.linalg.qr(a, mode="raw")  # LAPACK's arrays, h transposed
        return _mT(h).astype(a.dtype), tau.astype(a.dtype, copy=False)

    def backward(self, ga, gtau):
        raise KittyNotImplementedError("the derivative for 'geqrf' is not implemented.")


def geqrf(input):
    """``(a, tau)``: the QR factorization of a (batch of) matrix as LAPACK's geqrf stores it — R on
    and above the diagonal, the Householder vectors v_i below it (v_i[i] = 1 implied), and tau with
    Q = prod_i (I - tau_i v_i v_i^T). Not differentiable (as in torch).

    >>> import kittygrad as kitty
    >>> kitty.geqrf(kitty.tensor([[3.], [4.]])).a
    tensor([[-5.0000],
            [ 0.5000]])
    """
    a = tensor_input(input, "input")
    if a._data.ndim < 2:
        raise KittyRuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if a._data.dtype.name not in ("float32", "float64"):
        raise KittyNotImplementedError(f"\"geqrf_cpu\" not implemented for '{dtype_name(a)}'")
    return _geqrf_result(*Geqrf.apply(a))


def _reflectors(a, k):
    """The Householder vectors stored in the first ``k`` columns of ``a`` (unit diagonal implied,
    zeros above), as the columns of an m x k tensor (differentiable in a's strict lower triangle)."""
    m = a._data.shape[-2]
    cols = a[..., :, :k]
    return tril(cols, -1) + F.Tensor._wrap(B.xp.eye(m, k, dtype=a._data.dtype))


def _apply_reflector(x, v, t, left):
    """H x (or x H) for H = I - t v v^T: ``v`` a column (m x 1), ``t`` a batch of scalars."""
    t = t[..., None, None]
    if left:
        return x - (v * t) @ (v.mT @ x)
    return x - ((x @ v) * t) @ v.mT


def _tau_length(tau):
    if tau._data.ndim == 0:
        raise KittyIndexError("Dimension specified as -1 but tensor has no dimensions")
    return tau._data.shape[-1]


def householder_product(A, tau):
    """The first n columns of Q = H_1 ... H_k, H_i = I - tau_i v_i v_i^T, with the Householder
    vectors v_i stored below the diagonal of A (m x n, m >= n), as ``geqrf`` returns them.
    Differentiable in A (its strict lower triangle) and tau.

    >>> import kittygrad as kitty
    >>> kitty.linalg.householder_product(*kitty.geqrf(kitty.tensor([[3.], [4.]])))
    tensor([[-0.6000],
            [-0.8000]])
    """
    a, t = tensor_input(A, "input"), tensor_input(tau, "tau")
    fname = "torch.linalg.householder_product"
    if a._data.ndim < 2:
        raise KittyRuntimeError(f"{fname}: input must have at least 2 dimensions.")
    m, n = a._data.shape[-2:]
    if m < n:
        raise KittyRuntimeError(f"{fname}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    k = _tau_length(t)
    if k > n:
        raise KittyRuntimeError(f"{fname}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if t._data.shape[:-1] != a._data.shape[:-2]:
        raise KittyRuntimeError(
            f"{fname}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got {list(t._data.shape[:-1])}"
        )
    if t._data.dtype != a._data.dtype:
        raise KittyRuntimeError(f"{fname}: tau dtype {dtype_name(t)} does not match input dtype {dtype_name(a)}")
    if a._data.dtype.name not in ("float32", "float64"):
        raise KittyNotImplementedError(f"\"orgqr_cpu\" not implemented for '{dtype_name(a)}'")
    eye = B.xp.broadcast_to(B.xp.eye(m, n, dtype=a._data.dtype), a._data.shape).copy()
    q = F.Tensor._wrap(eye)
    v = _reflectors(a, k)
    for i in reversed(range(k)):  # H_1 (H_2 (... (H_k E)))
        q = _apply_reflector(q, v[..., :, i:i + 1], t[..., i], left=True)
    return torch_named(q, "LinalgHouseholderProductBackward0")  # torch's one node for the product


def orgqr(input, tau):
    """``torch.orgqr``: the same as ``linalg.householder_product``.

    >>> import kittygrad as kitty
    >>> kitty.orgqr(*kitty.geqrf(kitty.tensor([[3.], [4.]])))
    tensor([[-0.6000],
            [-0.8000]])
    """
    return householder_product(input, tau)


def ormqr(input, tau, other, left: bool = True, transpose: bool = False):
    """``op(Q) @ other`` (``other @ op(Q)`` with ``left=False``), op(Q) = Q or Q^T
    (``transpose``), for the Q = H_1 ... H_k that ``geqrf`` stores in ``input`` and ``tau``,
    applied reflector by reflector. Differentiable in all three.

    >>> import kittygrad as kitty
    >>> a, tau = kitty.geqrf(kitty.tensor([[3.], [4.]]))
    >>> kitty.ormqr(a, tau, kitty.tensor([[3.], [4.]]), transpose=True)
    tensor([[-5.],
            [ 0.]])
    """
    a, t, c = tensor_input(input, "input"), tensor_input(tau, "tau"), tensor_input(other, "other")
    fname = "torch.ormqr"
    if a._data.ndim < 2:
        raise KittyRuntimeError(f"{fname}: input must have at least 2 dimensions.")
    if c._data.ndim < 2:
        raise KittyRuntimeError(f"{fname}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    k = _tau_length(t)
    if k != min(c._data.shape[side], a._data.shape[-1]):
        raise KittyRuntimeError(f"{fname}: tau.shape[-1] must be equal to min(other.shape[{side}], input.shape[-1])")
    if c._data.shape[side] != a._data.shape[-2]:
        raise KittyRuntimeError(f"{fname}: other.shape[{side}] must be equal to input.shape[-2]")
    if a._data.ndim - t._data.ndim != 1:
        raise KittyRuntimeError(
            f"{fname}: Expected tau to have one dimension less than input, but got tau.ndim equal to {t._data.ndim} "
            f"and input.ndim is equal to {a._data.ndim}"
        )
    if a._data.ndim != c._data.ndim:
        raise KittyRuntimeError(
            f"{fname}: Expected other to have the same number of dimensions as input, but got other.ndim equal to "
            f"{c._data.ndim} and input.ndim is equal to {a._data.ndim}"
        )
    batch = a._data.shape[:-2]
    for name, got in (("tau", t._data.shape[:-1]), ("other", c._data.shape[:-2])):
        if got != batch:
            raise KittyRuntimeError(
                f"{fname}: Expected batch dimensions of {name} to be equal to input.shape[:-2], but got {list(got)}"
            )
    for x, name in ((t, "tau"), (c, "other")):
        if x._data.dtype != a._data.dtype:
            raise KittyRuntimeError(
                f"{fname}: Expected input and {name} to have the same dtype, but input has dtype{dtype_name(a)} and "
                f"{name} has dtype {dtype_name(x)}"
            )
    if a._data.dtype.name not in ("float32", "float64"):
        raise KittyNotImplementedError(f"\"ormqr_cpu\" not implemented for '{dtype_name(a)}'")
    v = _reflectors(a, k)
    # Q C = H_1 (... (H_k C)); Q^T C = H_k (... (H_1 C)); C Q = ((C H_1) ...) H_k; C Q^T = ((C H_k) ...) H_1
    order = range(k) if left == transpose else reversed(range(k))
    for i in order:
        c = _apply_reflector(c, v[..., :, i:i + 1], t[..., i], left=left)
    return c
