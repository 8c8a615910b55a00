"""Embedding lookup with its scatter-add backward."""
from __future__ import annotations

from ...autograd.function import Op
from ...autograd.graph_array import add_at
from ...autograd.refusals import check_saved_index
from ...errors import KittyIndexError, KittyRuntimeError, KittyValueError
from .. import _kernels as _k
from .._fused import xp
from .._prep import as_tensor_arg

# ---------------------------------------------------------------------------------------------
# embedding and padding


class Embedding(Op):
    """Rows of ``weight`` picked by integer ``indices``; repeated rows add their gradients."""

    saved_fields = ("indices", "padding_idx", "scale", "wshape")
    _name = "EmbeddingBackward"

    def forward(self, w, indices=None, padding_idx=None, scale_grad_by_freq=False):
        self.indices, self.wshape = indices, w.shape
        self.padding_idx, self.scale = padding_idx, scale_grad_by_freq
        return xp.take(w, indices, axis=0)

    def backward(self, g):
        idx = self.indices.reshape(-1)
        g2 = g.reshape(-1, self.wshape[1])
        if self.scale:
            counts = xp.bincount(idx, minlength=self.wshape[0])
            g2 = g2 / counts[idx][:, None]
        gw = _k.rows_added_at(idx, g2, self.wshape[0])
        if gw is None:
            gw = add_at(xp.zeros_like(g2, shape=self.wshape), idx, g2)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return (gw,)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False):
    """Look up rows of ``weight`` (``(num_embeddings, dim)``) by integer ``input``.

    ``padding_idx``'s row gets no gradient; ``max_norm`` renormalises the rows used, in place.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.embedding(kitty.tensor([2, 0]), kitty.arange(6.).view(3, 2))
    tensor([[4., 5.],
            [0., 1.]])
    """
    idx = as_tensor_arg(input)
    w = as_tensor_arg(weight, "weight")
    if idx._data.dtype.kind not in "iu":
        raise KittyRuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {idx.type()} instead (while checking arguments for embedding)"
        )
    if w._data.ndim != 2:
        raise KittyRuntimeError("'weight' must be 2-D")
    check_saved_index(idx, w)
    n = w._data.shape[0]
    arr = idx._data
    if max_norm is not None:  # the renorm picks the rows first, and so is the first to refuse
        _check_renorm_rows(w, arr)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise KittyIndexError("index out of range in self")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise KittyValueError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    if max_norm is not None:
        _renorm_rows(w, arr, max_norm, norm_type)
    return Embedding.apply(w, indices=arr, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq))


def _check_renorm_rows(w, indices) -> None:
    """Refuse a row index outside ``w``, as the renorm's row pick (a ``select``) words it: it walks
    the sorted distinct indices, so the smallest bad one is named."""
    n = w._data.shape[0]
    bad = indices[(indices < -n) | (indices >= n)]
    if bad.size:
        raise KittyIndexError(
            f"select(): index {int(bad.min())} out of range for tensor of size {list(w._data.shape)} at dimension 0"
        )


def _renorm_rows(w, indices, max_norm: float, norm_type: float) -> None:
    """Scale the rows of ``w`` that ``indices`` name down to ``max_norm`` (in place, outside autograd)."""
    rows = xp.unique(indices)
    data = w._data
    norms = (xp.abs(data[rows]) ** norm_type).sum(1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    data[rows] = data[rows] * scale[:, None].astype(data.dtype)
    w._vc[0] += 1


def embedding_renorm_(weight, input, max_norm: float, norm_type: float):
    """Rescale, in place, the rows of ``weight`` that ``input`` names whose ``norm_type``-norm exceeds
    ``max_norm`` (what ``embedding(..., max_norm=)`` does first); returns ``weight``.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([[3., 4.], [0.1, 0.]])
    >>> kitty.embedding_renorm_(w, kitty.tensor([0]), 1.0, 2.0)
    tensor([[0.6000, 0.8000],
            [0.1000, 0.0000]])
    """
    indices = as_tensor_arg(input, "input")._data
    _check_renorm_rows(weight, indices)
    _renorm_rows(weight, indices, max_norm, norm_type)
    return weight
