"""Ready-made parametrizations (torch.nn.utils.parametrizations): ``weight_norm``, ``spectral_norm``
and ``orthogonal``, registered through :mod:`kittygrad.nn.utils.parametrize` with torch's module
names, buffers and state-dict keys (so torch's checkpoints load)."""
from __future__ import annotations

from enum import Enum, auto

from ... import backend as B
from ... import creation as C
from ... import linalg as LA
from ...autograd.grad_mode import no_grad
from ...ops import joining as _joining
from ...ops.comparison import allclose
from ...ops.householder import geqrf, householder_product
from ...ops.matrix_functions import matrix_exp
from ...tensor import Tensor
from .. import functional as F
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---------------------------------------------------------------------------------------------
# weight norm


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every dim but ``dim`` (kept, size 1); over all of it for ``dim=-1``."""
    if dim == -1:
        return LA.vector_norm(v)
    others = tuple(d for d in range(v.ndim) if d != dim)
    return LA.vector_norm(v, 2, dim=others, keepdim=True) if others else v.abs()


class _WeightNorm(Module):
    """``weight = g * v / ||v||``, the norm taken over every dim but ``dim`` (all, for None)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0) -> Module:
    """Reparametrize ``module.<name>`` by its magnitude ``original0`` (g) and direction
    ``original1`` (v): ``weight = g * v / ||v||`` (Salimans & Kingma, 2016).

    >>> import kittygrad as kitty
    >>> m = kitty.nn.utils.parametrizations.weight_norm(kitty.nn.Linear(3, 2))
    >>> [n for n, _ in m.named_parameters()]
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def legacy_keys(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs) -> None:
        # a checkpoint of the hook-based weight_norm names the two tensors <name>_g and <name>_v
        renames = {f"{prefix}{name}_{old}": f"{prefix}parametrizations.{name}.original{i}"
                   for i, old in enumerate("gv")}
        if all(old in state_dict for old in renames):
            for old, new in renames.items():
                state_dict[new] = state_dict.pop(old)

    module._register_load_state_dict_pre_hook(legacy_keys)
    return module


# ---------------------------------------------------------------------------------------------
# spectral norm


def _tensor_named(module: Module, name: str) -> Tensor:
    found = getattr(module, name, None)
    if isinstance(found, Tensor):
        return found
    raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")


class _SpectralNorm(Module):
    """``weight / sigma``, ``sigma`` the largest singular value estimated by power iteration (the
    vectors ``_u``, ``_v`` are buffers, updated in training mode only)."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim % ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            matrix = self._as_matrix(weight.detach())
            for buffer, size in zip(("_u", "_v"), matrix.shape):
                self.register_buffer(buffer, self._unit(C.randn(size, dtype=weight.dtype)))
            # many iterations up front, so that the first forward already sees a good estimate
            self._power_method(matrix, 15)

    def _unit(self, vector: Tensor) -> Tensor:
        return F.normalize(vector, dim=0, eps=self.eps)

    def _as_matrix(self, weight: Tensor) -> Tensor:
        """``weight`` as (size of ``dim``) x (everything else)."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, matrix: Tensor, steps: int) -> None:
        with no_grad():
            for _ in range(steps):
                self._u.copy_(self._unit(matrix.mv(self._v)))
                self._v.copy_(self._unit(matrix.T.mv(self._u)))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            # a vector's spectral norm is its 2-norm
            return self._unit(weight)
        matrix = self._as_matrix(weight)
        if self.training:
            self._power_method(matrix, self.n_power_iterations)
        # clones: the buffers change in place on the next training read, autograd must see these values
        sigma = self._u.clone().dot(matrix.mv(self._v.clone()))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its spectral norm, estimated with ``n_power_iterations`` steps of
    power iteration per training-mode read (Miyato et al., 2018). ``dim`` (default 0, 1 for
    transposed convolutions) is the output dim.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.utils.parametrizations.spectral_norm(kitty.nn.Linear(4, 3)).eval()
    >>> round(float(kitty.linalg.matrix_norm(m.weight, 2)), 3)
    1.0
    """
    weight = _tensor_named(module, name)
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ---------------------------------------------------------------------------------------------
# orthogonal


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _eye_like(X: Tensor, n: int) -> Tensor:
    return C.eye(n, dtype=X.dtype)


def _finfo_eps(t: Tensor) -> float:
    return float(B.finfo(t.dtype.np).eps)


def _is_orthogonal(Q: Tensor) -> bool:
    n, k = Q.shape[-2], Q.shape[-1]
    eye = _eye_like(Q, k).expand(*Q.shape[:-2], k, k)
    return bool(allclose(Q.transpose(-1, -2) @ Q, eye, atol=10.0 * n * _finfo_eps(Q)))


def _make_orthogonal(A: Tensor) -> Tensor:
    """The Q factor of ``A = QR`` (A tall) with the diagonal of R made non-negative."""
    Q, R = LA.qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


class _Orthogonal(Module):
    """An orthogonal (semi-orthogonal, when not square) matrix from an unconstrained one: the
    matrix exponential or the Cayley map of its skew-symmetric part, or a product of Householder
    reflectors; with ``use_trivialization``, times the buffer ``base`` set by ``right_inverse``."""

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            # set by right_inverse; its presence is what marks the trivialization as on, and a
            # checkpoint carries it once set
            self.register_buffer("base", None, persistent=True)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.transpose(-1, -2)
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = _joining.cat([X, C.zeros((*X.shape[:-1], n - k), dtype=X.dtype)], -1)
            A = X - X.transpose(-1, -2)
            if self.orthogonal_map is _OrthMaps.cayley:
                eye = _eye_like(A, n)
                Q = LA.solve(eye - 0.5 * A, eye + 0.5 * A)
            else:
                Q = matrix_exp(A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(-2))
            Q = householder_product(A, tau)
            # the diagonal of X only carries the signs of the reflectors' columns
            signs = X.diagonal(dim1=-2, dim2=-1).int()
            Q = Q * signs.unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.transpose(-1, -2) if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(
                    f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of shape {Q.shape}."
                )
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.transpose(-1, -2)
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley parametrizations when "
                        "use_trivialization=False."
                    )
                A, tau = geqrf(Q)
                diag = A.diagonal(dim1=-2, dim2=-1)
                diag.copy_(diag.sign() * (1 - 2 * (tau == 0).to(A.dtype)))
                return A.transpose(-1, -2) if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                N = C.randn((*Q.shape[:-2], n, n - k), dtype=Q.dtype)
                Q = _make_orthogonal(_joining.cat([Q, N], -1))
            self.base = Q
            neg_eye = C.zeros_like(Q_init)
            neg_eye.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_eye


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain ``module.<name>`` (a matrix or batch of matrices) to be orthogonal, or to have
    orthonormal rows or columns when not square. ``orthogonal_map`` is ``"matrix_exp"``,
    ``"cayley"`` or ``"householder"``; by default ``"matrix_exp"`` for square matrices and
    ``"householder"`` otherwise, as torch chooses.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.utils.parametrizations.orthogonal(kitty.nn.Linear(3, 3))
    >>> bool(kitty.allclose(m.weight @ m.weight.T, kitty.eye(3), atol=1e-5))
    True
    """
    weight = _tensor_named(module, name)
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None) if isinstance(orthogonal_map, str) else None
    if orth_enum is None:
        raise ValueError(
            f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: {orthogonal_map}'
        )
    orthogonal = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orthogonal, unsafe=True)
    return module
