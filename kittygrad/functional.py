"""``kittygrad.functional``: the functions ``torch.functional`` holds, all differentiable.

Most are kittygrad's ops under torch's names; ``cdist``, ``block_diag``, ``cartesian_prod``,
``unravel_index``, ``chain_matmul``, ``svd_lowrank`` and ``pca_lowrank`` are composed here from
them. ``stft``/``istft`` are refused: they are complex-valued and kittygrad has no complex dtype.

>>> import kittygrad as kitty
>>> kitty.functional.cartesian_prod(kitty.tensor([1, 2]), kitty.tensor([3, 4]))
tensor([[1, 3],
        [1, 4],
        [2, 3],
        [2, 4]])
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence

from . import _out
from . import dtypes as D
from .creation import randn, zeros
from .errors import KittyNotImplementedError, KittyRuntimeError, KittyTypeError, KittyValueError
from .ops._prep import dtype_name, torch_named
from .ops.arithmetic import floor_divide, remainder
from .ops.decompositions import qr
from .ops.decompositions import svd as _linalg_svd
from .ops.decompositions import torch_lu as lu
from .ops.joining import atleast_1d, atleast_2d, atleast_3d, cat, meshgrid, split, stack
from .ops.linalg import einsum, multi_dot, tensordot
from .ops.norms import norm, vector_norm
from .ops.shape import broadcast_shapes, broadcast_tensors
from .ops.sorting import unique, unique_consecutive
from .size import Size
from .tensor import Tensor

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors", "cartesian_prod", "block_diag",
    "cdist", "chain_matmul", "einsum", "istft", "lu", "norm", "meshgrid", "pca_lowrank", "split", "stft",
    "svd_lowrank", "tensordot", "unique", "unique_consecutive", "unravel_index",
]

_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of ``x1`` (``*, P, M``) and each of ``x2`` (``*, R, M``): ``*, P, R``.

    Batch dims broadcast. ``compute_mode`` is accepted for torch's API; kittygrad always takes the
    norm of the differences (torch's exact mode), which also gives zero distances a zero gradient.

    >>> import kittygrad as kitty
    >>> kitty.cdist(kitty.tensor([[0.0, 0.0]]), kitty.tensor([[3.0, 4.0], [0.0, 1.0]]))
    tensor([[5., 1.]])
    """
    if compute_mode not in _COMPUTE_MODES:
        raise KittyValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if not isinstance(x, Tensor):
            raise KittyTypeError(f"cdist(): argument '{name.lower()}' must be Tensor, not {type(x).__name__}")
        if x.ndim < 2:
            raise KittyRuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if not x.is_floating_point():
            raise KittyRuntimeError(f"cdist only supports floating-point dtypes, {name} got: {dtype_name(x)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise KittyRuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if x1.dtype is not x2.dtype:
        raise KittyRuntimeError(f"expected scalar type {dtype_name(x1)} but found {dtype_name(x2)}")
    if p < 0:
        raise KittyRuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 0:  # a count of differing coordinates: torch still gives it a (zero) gradient
        out = vector_norm(diff, ord=0, dim=-1) + (diff * 0).sum(-1)
    else:
        out = vector_norm(diff, ord=p, dim=-1)
    # torch's node: its one cdist op, or for Euclidean distances by matrix products (asked for, or
    # by default past 25 rows on either side) a view of its _euclidean_dist
    by_mm = p == 2 and (compute_mode == _COMPUTE_MODES[1]
                        or (compute_mode == _COMPUTE_MODES[0] and max(x1.shape[-2], x2.shape[-2]) > 25))
    return torch_named(out, "ViewBackward0" if by_mm else "CdistBackward0")


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-, 1- or 2-d) as blocks on the diagonal of one matrix, zeros elsewhere.

    >>> import kittygrad as kitty
    >>> kitty.block_diag(kitty.tensor([[1, 2]]), kitty.tensor(3))
    tensor([[1, 2, 0],
            [0, 0, 3]])
    """
    blocks = []
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise KittyTypeError(f"block_diag(): argument 'tensors' must be tuple of Tensors, not {type(t).__name__}")
        if t.ndim > 2:
            raise KittyRuntimeError(
                f"kittygrad.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {t.ndim} dimensions"
            )
        blocks.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not blocks:
        return zeros(1, 0)
    dtype = D.result_type(*blocks)
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        row = [zeros(r, left, dtype=dtype), b.to(dtype), zeros(r, width - left - c, dtype=dtype)]
        rows.append(cat(row, dim=1))
        left += c
    return cat(rows, dim=0)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-d tensor, as rows (``itertools.product``'s order).

    >>> import kittygrad as kitty
    >>> kitty.cartesian_prod(kitty.tensor([1, 2]), kitty.tensor([5]))
    tensor([[1, 5],
            [2, 5]])
    """
    for t in tensors:
        if isinstance(t, Tensor) and t.ndim != 1:
            raise KittyRuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if not tensors:
        raise KittyRuntimeError("meshgrid expects a non-empty TensorList")
    if any(t.dtype is not tensors[0].dtype for t in tensors):
        raise KittyRuntimeError("meshgrid expects all tensors to have the same dtype")
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], dim=1)


def unravel_index(indices: Tensor, shape) -> tuple[Tensor, ...]:
    """The coordinates in a tensor of ``shape`` of flat (row-major) ``indices``, one tensor per dim.

    As torch, indices wrap around (``-1`` is the last element).

    >>> import kittygrad as kitty
    >>> kitty.unravel_index(kitty.tensor([4, 11]), (3, 4))
    (tensor([1, 2]), tensor([0, 3]))
    """
    if not isinstance(indices, Tensor):
        raise KittyTypeError(f"expected 'indices' to be a Tensor, but got {type(indices).__name__}")
    if indices.is_floating_point() or indices.dtype is D.bool:
        raise KittyTypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (Sequence, Size)):
        raise KittyTypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    for s in shape:
        if not isinstance(s, int) or isinstance(s, bool):
            raise KittyTypeError(f"expected 'shape' sequence to only contain ints, but got {type(s)}")
    if any(s < 0 for s in shape):
        raise KittyValueError(f"'shape' cannot have negative values, but got {tuple(shape)}")
    flat = indices.long()
    coords = []
    for size in reversed(shape):
        coords.append(remainder(flat, size))
        flat = floor_divide(flat, size)
    return tuple(reversed(coords))


def chain_matmul(*matrices: Tensor) -> Tensor:
    """The product of the matrices (deprecated in torch for ``linalg.multi_dot``, which it calls).

    >>> import kittygrad as kitty
    >>> import warnings; warnings.simplefilter("ignore")
    >>> kitty.chain_matmul(kitty.eye(2), kitty.ones(2, 2))
    tensor([[1., 1.],
            [1., 1.]])
    """
    warnings.warn(
        "kittygrad.chain_matmul is deprecated, as torch.chain_matmul. Use kittygrad.linalg.multi_dot instead, "
        "which accepts a list of two or more tensors rather than multiple parameters.",
        UserWarning, stacklevel=2,
    )
    if not matrices:
        raise KittyRuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(list(matrices))


def _approximate_basis(A: Tensor, q: int, niter: int, M: Tensor | None) -> Tensor:
    """An orthonormal ``(m, q)`` basis of A's range (Halko et al. 2009, algorithm 4.4)."""
    R = randn((*A.shape[:-2], A.shape[-1], q), dtype=A.dtype)
    X = A @ R if M is None else A @ R - M @ R
    Q = qr(X).Q
    At = A.mT
    for _ in range(niter):
        Q = qr(At @ Q if M is None else At @ Q - M.mT @ Q).Q
        Q = qr(A @ Q if M is None else A @ Q - M @ Q).Q
    return Q


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2, M: Tensor | None = None):
    """A randomized rank-``q`` SVD of ``A - M``: ``(U, S, V)`` with ``A - M ≈ U diag(S) Vᵀ``.

    Exact when ``A - M`` has rank ``q`` or less; ``niter`` subspace iterations sharpen the rest.
    The random test matrix comes from kittygrad's default generator.

    >>> import kittygrad as kitty
    >>> A = kitty.outer(kitty.tensor([1.0, 2.0, 2.0]), kitty.tensor([3.0, 4.0]))
    >>> U, S, V = kitty.svd_lowrank(A, q=1); round(S.item(), 4)
    15.0
    """
    if q is None:  # None asks for the defaults, as in torch
        q = 6
    if niter is None:
        niter = 2
    m, n = A.shape[-2], A.shape[-1]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:  # work on the transpose, whose range is the smaller one
        U, S, V = svd_lowrank(A.mT, q, niter, None if M is None else M.mT)
        return V, S, U
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mT @ (A if M is None else A - M)
    U, S, Vh = _linalg_svd(B, full_matrices=False)
    return Q @ U, S, Vh.mT


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2):
    """Principal components of ``A``'s rows by :func:`svd_lowrank`: ``(U, S, V)``, columns of V the directions.

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0)
    >>> U, S, V = kitty.pca_lowrank(kitty.randn(20, 3), q=2); V.shape
    kittygrad.Size([3, 2])
    """
    if not isinstance(A, Tensor):
        raise KittyTypeError(f"pca_lowrank(): argument 'A' must be Tensor, not {type(A).__name__}")
    m, n = A.shape[-2], A.shape[-1]
    if q is None:
        q = min(6, m, n)
    elif not (isinstance(q, int) and 0 <= q <= min(m, n)):
        raise KittyValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not (isinstance(niter, int) and niter >= 0):
        raise KittyValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter=niter)
    return svd_lowrank(A - A.mean(dim=-2, keepdim=True), q, niter=niter)


def _complex_refused(name: str) -> KittyNotImplementedError:
    return KittyNotImplementedError(
        f"kittygrad.{name} is not available: the short-time Fourier transform is complex-valued, and kittygrad "
        "has no complex dtype. Compute it with NumPy/SciPy (scipy.signal.stft) on tensor.numpy() instead."
    )


def stft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None, window=None,
         center: bool = True, pad_mode: str = "reflect", normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None, align_to_window: bool | None = None):
    """Refused: the STFT is complex-valued and kittygrad has no complex dtype (a clear error, not a stub).

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.stft(kitty.zeros(8), 4)
    ... except NotImplementedError as err:
    ...     print(err)
    kittygrad.stft is not available: the short-time Fourier transform is complex-valued, and kittygrad has no complex dtype. Compute it with NumPy/SciPy (scipy.signal.stft) on tensor.numpy() instead.
    """
    raise _complex_refused("stft")


def istft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None, window=None,
          center: bool = True, normalized: bool = False, onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False):
    """Refused: the inverse STFT takes complex input and kittygrad has no complex dtype.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.istft(kitty.zeros(3, 2), 4)
    ... except NotImplementedError as err:
    ...     print(err)
    kittygrad.istft is not available: the short-time Fourier transform is complex-valued, and kittygrad has no complex dtype. Compute it with NumPy/SciPy (scipy.signal.stft) on tensor.numpy() instead.
    """
    raise _complex_refused("istft")


_out.install(globals(), {name: _out.TOP_LEVEL[name] for name in ("chain_matmul", "norm", "tensordot")})
