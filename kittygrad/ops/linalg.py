"""Matrix products: dot, mv, mm, bmm, matmul (one fused primitive reaching BLAS)."""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Op
from ..errors import KittyRuntimeError
from ._prep import as_tensor_arg


class Matmul(Op):
    """``a @ b`` with NumPy's matmul semantics (1-D promotion, batch broadcasting)."""

    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        xp = self.xp
        a, b = self.a, self.b
        need = self.needs_input_grad
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:
            g2 = g2[..., None]
        if a.ndim == 1:
            g2 = g2[..., None, :]
        ga = gb = None
        if need[0]:
            ga = g2 @ xp.swapaxes(b2, -1, -2)
            ga = B.sum_to_shape(ga, a2.shape) if ga.shape != a2.shape else ga
            ga = ga.reshape(a.shape)
        if need[1]:
            gb = xp.swapaxes(a2, -1, -2) @ g2
            gb = B.sum_to_shape(gb, b2.shape) if gb.shape != b2.shape else gb
            gb = gb.reshape(b.shape)
        return ga, gb


class Dot(Matmul):
    pass


class Mv(Matmul):
    pass


class Mm(Matmul):
    pass


class Bmm(Matmul):
    pass


def _same_dtype(a, b, name):
    if a._data.dtype != b._data.dtype:
        raise KittyRuntimeError(
            f"{name}: expected both operands to have the same dtype, but got {a.dtype.name} and "
            f"{b.dtype.name}; convert one with .to(...)"
        )


def _check_float_or_int(a, name):
    if a._data.dtype.kind == "b":
        raise KittyRuntimeError(f'"{name}" not implemented for \'Bool\'')


def dot(input, other):
    """Inner product of two 1-D tensors.

    >>> import kittygrad as kitty
    >>> kitty.dot(kitty.tensor([1., 2.]), kitty.tensor([3., 4.]))
    tensor(11.)
    """
    a, b = as_tensor_arg(input), as_tensor_arg(other, "other")
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise KittyRuntimeError(
            f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors"
        )
    if a._data.shape[0] != b._data.shape[0]:
        n, m = a._data.shape[0], b._data.shape[0]
        raise KittyRuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively"
        )
    _same_dtype(a, b, "dot")
    return Dot.apply(a, b)


vdot = dot


def mv(input, vec):
    """Matrix-vector product.

    >>> import kittygrad as kitty
    >>> kitty.mv(kitty.eye(2), kitty.tensor([1., 2.]))
    tensor([1., 2.])
    """
    a, b = as_tensor_arg(input), as_tensor_arg(vec, "vec")
    if a._data.ndim != 2 or b._data.ndim != 1:
        raise KittyRuntimeError(
            f"vector + matrix @ vector expected, got {a._data.ndim}, {b._data.ndim}"
        )
    if a._data.shape[1] != b._data.shape[0]:
        raise KittyRuntimeError(
            f"size mismatch, got input ({a._data.shape[0]}), mat ({a._data.shape[0]}x{a._data.shape[1]}), "
            f"vec ({b._data.shape[0]})"
        )
    _same_dtype(a, b, "mv")
    return Mv.apply(a, b)


def mm(input, mat2):
    """Matrix product of two 2-D tensors.

    >>> import kittygrad as kitty
    >>> kitty.mm(kitty.eye(2), kitty.ones(2, 3)).shape
    kittygrad.Size([2, 3])
    """
    a, b = as_tensor_arg(input), as_tensor_arg(mat2, "mat2")
    if a._data.ndim != 2:
        raise KittyRuntimeError("self must be a matrix")
    if b._data.ndim != 2:
        raise KittyRuntimeError("mat2 must be a matrix")
    if a._data.shape[1] != b._data.shape[0]:
        (n, k), (k2, m) = a._data.shape, b._data.shape
        raise KittyRuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    _same_dtype(a, b, "mm")
    return Mm.apply(a, b)


def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors with the same batch size.

    >>> import kittygrad as kitty
    >>> kitty.bmm(kitty.ones(4, 2, 3), kitty.ones(4, 3, 5)).shape
    kittygrad.Size([4, 2, 5])
    """
    a, b = as_tensor_arg(input), as_tensor_arg(mat2, "mat2")
    if a._data.ndim != 3:
        raise KittyRuntimeError(f"batch1 must be a 3D tensor, got {a._data.ndim}D")
    if b._data.ndim != 3:
        raise KittyRuntimeError(f"batch2 must be a 3D tensor, got {b._data.ndim}D")
    sa, sb = a._data.shape, b._data.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise KittyRuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but "
            f"got: [{sb[0]}, {sb[1]}]."
        )
    _same_dtype(a, b, "bmm")
    return Bmm.apply(a, b)


def matmul(input, other):
    """Matrix product with broadcasting over batch dims (the ``@`` operator).

    >>> import kittygrad as kitty
    >>> (kitty.ones(5, 2, 3) @ kitty.ones(3, 4)).shape
    kittygrad.Size([5, 2, 4])
    """
    a, b = as_tensor_arg(input), as_tensor_arg(other, "other")
    na, nb = a._data.ndim, b._data.ndim
    if na == 0 or nb == 0:
        raise KittyRuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D"
        )
    _same_dtype(a, b, "matmul")
    if na == 1 and nb == 1:
        return dot(a, b)
    if na == 2 and nb == 1:
        return mv(a, b)
    if na == 2 and nb == 2:
        return mm(a, b)
    ka = a._data.shape[-1]
    kb = b._data.shape[-2] if nb > 1 else b._data.shape[0]
    if ka != kb:
        sa = "x".join(map(str, a._data.shape[-2:]))
        sb = "x".join(map(str, b._data.shape[-2:]))
        raise KittyRuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
    try:
        B.broadcast_shapes(a._data.shape[:-2], b._data.shape[:-2] if nb > 1 else ())
    except ValueError:
        raise KittyRuntimeError(
            f"matmul: the batch dims of {list(a._data.shape)} and {list(b._data.shape)} are not broadcastable"
        ) from None
    return Matmul.apply(a, b)
