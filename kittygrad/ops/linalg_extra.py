"""More linear algebra: outer/einsum/tensordot, fused add-matmuls, triangles and diagonals,
and the ``kitty.linalg`` functions with torch's gradients (inv, det, slogdet, solve, cholesky,
qr, svd, svdvals, norms, cross, matrix_power). The determinant, inverse and solve primitives,
the LU family and the pseudo-inverse live in ``decompositions.py``.
"""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.function import Op
from ..errors import KittyRuntimeError, KittyTypeError
from . import _return_types as RT
from ._prep import broadcast_shape_of, cast, dtype_name, expand_to, normalize_dim, normalize_dims, tensor_input
from .decompositions import Det, Inv, LinAlgError, Slogdet, Solve, SolveTriangular, _run, _square


def _mT(a):
    return B.xp.swapaxes(a, -1, -2)


# ---------------------------------------------------------------------------------------------
# products


class Einsum(Op):
    """``einsum`` with explicit output subscripts (ellipses already spelled out as letters)."""

    def forward(self, *arrays, inputs=(), output=""):
        self.arrays, self.inputs, self.output = arrays, inputs, output
        return self.xp.asarray(self.xp.einsum(",".join(inputs) + "->" + output, *arrays, optimize=len(arrays) > 2))

    def backward(self, g):
        xp = self.xp
        grads = []
        for i, (sub, arr) in enumerate(zip(self.inputs, self.arrays)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [(s, a) for j, (s, a) in enumerate(zip(self.inputs, self.arrays)) if j != i]
            uniq = "".join(dict.fromkeys(sub))
            available = set(self.output).union(*[set(s) for s, _ in others])
            keep = "".join(c for c in uniq if c in available)
            eq = ",".join([self.output] + [s for s, _ in others]) + "->" + keep
            gk = xp.einsum(eq, g, *[a for _, a in others], optimize=len(others) > 1)
            sizes = {c: arr.shape[sub.index(c)] for c in uniq}
            gu = gk
            if keep != uniq:  # letters summed away inside this operand alone: constant gradient along them
                gu = gk.reshape(tuple(sizes[c] if c in keep else 1 for c in uniq))
                gu = xp.broadcast_to(gu, tuple(sizes[c] for c in uniq))
            if len(uniq) == len(sub):
                grads.append(xp.transpose(gu, [uniq.index(c) for c in sub]) if uniq != sub else gu)
                continue
            # a letter repeated inside the operand (a diagonal): place the gradient on it
            full = xp.zeros_like(g, shape=arr.shape)  # a GraphArray when g is one
            grid = xp.ix_(*[xp.arange(sizes[c]) for c in uniq]) if uniq else ()
            full[tuple(grid[uniq.index(c)] for c in sub)] = gu
            grads.append(full)
        return tuple(grads)


def _parse_einsum(equation: str, shapes):
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs, out = eq, None
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise KittyRuntimeError(
            "einsum(): more operands were provided than specified in the equation" if len(shapes) > len(inputs)
            else "einsum(): fewer operands were provided than specified in the equation"
        )
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    ell_dims = 0
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            ell_dims = max(ell_dims, len(shape) - (len(sub) - 3))
    ell = "".join(spare[:ell_dims])
    expanded = []
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            n = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_dims - n :] if n else "")
        if len(sub) != len(shape):
            raise KittyRuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(sub)}) does not match the number "
                f"of dimensions ({len(shape)}) for operand {len(expanded)}"
            )
        expanded.append(sub)
    if out is None:
        counts = {}
        for sub in expanded:
            for c in sub:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return expanded, out


def einsum(equation, *operands):
    """Sum of products over the letters of an Einstein-summation equation (``...`` broadcasts).

    >>> import kittygrad as kitty
    >>> kitty.einsum("ij,j->i", kitty.ones(2, 3), kitty.tensor([1., 2., 3.]))
    tensor([6., 6.])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [tensor_input(o, "operands") for o in operands]
    if not isinstance(equation, str):
        raise KittyTypeError("einsum(): the equation must be a string")
    for t in ts[1:]:
        if t._data.dtype != ts[0]._data.dtype:
            raise KittyRuntimeError(f"expected scalar type {dtype_name(ts[0])} but found {dtype_name(t)}")
    inputs, out = _parse_einsum(equation, [t._data.shape for t in ts])
    sizes = {}
    for sub, t in zip(inputs, ts):
        for c, n in zip(sub, t._data.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n not in (1, sizes[c]):
                raise KittyRuntimeError(
                    f"einsum(): operands do not broadcast with remapped shapes (original->remapped): "
                    f"subscript {c} has sizes {sizes[c]} and {n}"
                )
    for i, (sub, t) in enumerate(zip(inputs, ts)):
        target = tuple(sizes[c] for c in sub)
        if target != t._data.shape and len(set(sub)) == len(sub):
            ts[i] = expand_to(t, target)
    return _saving_all(Einsum, len(ts)).apply(*ts, inputs=tuple(inputs), output=out)


_SAVING_ALL: dict = {}


def _saving_all(cls, n):
    """``cls`` with its n positional inputs declared saved: backward reads every operand, so an
    in-place change to one of them before backward must be refused (version control)."""
    key = (cls, n)
    if key not in _SAVING_ALL:
        _SAVING_ALL[key] = type(cls.__name__, (cls,), {"saved_inputs": tuple(range(n)), "_name": cls._name})
    return _SAVING_ALL[key]


def outer(input, vec2):
    """The outer product of two vectors.

    >>> import kittygrad as kitty
    >>> kitty.outer(kitty.tensor([1., 2.]), kitty.tensor([1., 10.]))
    tensor([[ 1., 10.],
            [ 2., 20.]])
    """
    from .elementwise import mul

    a, b = tensor_input(input), tensor_input(vec2, "vec2")
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise KittyRuntimeError(f"outer: expected 1-D tensors, got {a._data.ndim}-D and {b._data.ndim}-D")
    return mul(a.unsqueeze(1), b.unsqueeze(0))


ger = outer


def tensordot(a, b, dims=2):
    """Contract ``dims`` trailing dims of ``a`` with leading dims of ``b`` (or explicit dim lists).

    >>> import kittygrad as kitty
    >>> kitty.tensordot(kitty.ones(2, 3), kitty.ones(3, 4), dims=1).shape
    kittygrad.Size([2, 4])
    """
    from .linalg import mm

    a, b = tensor_input(a, "a"), tensor_input(b, "b")
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, F.Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise KittyRuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise KittyRuntimeError("both dimension lists should have same length")
    da = [normalize_dim(d, na) for d in da]
    db = [normalize_dim(d, nb) for d in db]
    for i, j in zip(da, db):
        if a._data.shape[i] != b._data.shape[j]:
            raise KittyRuntimeError(
                f"contracted dimensions need to match, but first has size {a._data.shape[i]} in dim {i} and "
                f"second has size {b._data.shape[j]} in dim {j}"
            )
    fa = [d for d in range(na) if d not in da]
    fb = [d for d in range(nb) if d not in db]
    k = 1
    for d in da:
        k *= a._data.shape[d]
    am = a.permute(*(fa + da)).reshape(-1, k)
    bm = b.permute(*(db + fb)).reshape(k, -1)
    if a._data.dtype != b._data.dtype:
        raise KittyRuntimeError(f"expected scalar type {dtype_name(a)} but found {dtype_name(b)}")
    out_shape = tuple(a._data.shape[d] for d in fa) + tuple(b._data.shape[d] for d in fb)
    return mm(am, bm).reshape(out_shape)


class AddMatmul(Op):
    """``beta * input + alpha * (a @ b)`` (addmm, addmv, baddbmm; ``sum_batch``: addbmm)."""

    saved_inputs = (1, 2)

    def forward(self, inp, a, b, beta=1, alpha=1, sum_batch=False):
        self.a, self.b, self.beta, self.alpha, self.sum_batch = a, b, beta, alpha, sum_batch
        self.inp_shape = inp.shape
        prod = a @ b
        if sum_batch:
            prod = prod.sum(axis=0)
        out = prod if alpha == 1 else alpha * prod  # user scalars: skipping a product by 1 is exact
        if beta != 0:  # beta == 0 ignores input (NaN in it does not propagate), as torch
            out = out + (inp if beta == 1 else beta * inp)
        else:
            out = self.xp.broadcast_to(out, broadcast_shape_of(out.shape, inp.shape)).copy()
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        xp = self.xp
        need = self.needs_input_grad
        a, b = self.a, self.b
        gi = B.sum_to_shape(g * self.beta, self.inp_shape) if need[0] else None
        gp = g if self.alpha == 1 else g * self.alpha
        if self.sum_batch:
            gp = xp.broadcast_to(gp, (a.shape[0],) + gp.shape)
        ga = gb = None
        if b.ndim == 1:  # addmv
            if need[1]:
                ga = gp[:, None] * b[None, :]
            if need[2]:
                gb = a.T @ gp
        else:
            if need[1]:
                ga = gp @ _mT(b)
            if need[2]:
                gb = _mT(a) @ gp
        return gi, ga, gb


def _check_same_dtype(*ts):
    for t in ts[1:]:
        if t._data.dtype != ts[0]._data.dtype:
            raise KittyRuntimeError(f"expected m1 and m2 to have the same dtype, but got: {ts[0].dtype.name} != {t.dtype.name}")


def _addmatmul(input, a, b, beta, alpha, out_shape, sum_batch=False):
    inp = tensor_input(input)
    _check_same_dtype(a, b)
    if inp._data.dtype != a._data.dtype:
        inp = cast(inp, a.dtype)
    try:
        full = broadcast_shape_of(inp._data.shape, out_shape)
    except RuntimeError:
        full = None
    if full != tuple(out_shape):
        raise KittyRuntimeError(
            f"The expanded size of the tensor ({out_shape[-1] if out_shape else 0}) must match the existing size "
            f"({inp._data.shape[-1] if inp._data.shape else 0}) at non-singleton dimension. Target sizes: "
            f"{list(out_shape)}.  Tensor sizes: {list(inp._data.shape)}"
        )
    return AddMatmul.apply(inp, a, b, beta=beta, alpha=alpha, sum_batch=sum_batch)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2).

    >>> import kittygrad as kitty
    >>> kitty.addmm(kitty.zeros(2, 2), kitty.eye(2), kitty.ones(2, 2), beta=0.5, alpha=2)
    tensor([[2., 2.],
            [2., 2.]])
    """
    a, b = tensor_input(mat1, "mat1"), tensor_input(mat2, "mat2")
    if a._data.ndim != 2:
        raise KittyRuntimeError("mat1 must be a matrix, got %d-D tensor" % a._data.ndim)
    if b._data.ndim != 2:
        raise KittyRuntimeError("mat2 must be a matrix, got %d-D tensor" % b._data.ndim)
    (n, k), (k2, m) = a._data.shape, b._data.shape
    if k != k2:
        raise KittyRuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    return _addmatmul(input, a, b, beta, alpha, (n, m))


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec).

    >>> import kittygrad as kitty
    >>> kitty.addmv(kitty.ones(2), kitty.eye(2), kitty.tensor([1., 2.]))
    tensor([2., 3.])
    """
    a, b = tensor_input(mat, "mat"), tensor_input(vec, "vec")
    if a._data.ndim != 2 or b._data.ndim != 1:
        raise KittyRuntimeError(f"vector + matrix @ vector expected, got {a._data.ndim}, {b._data.ndim}")
    if a._data.shape[1] != b._data.shape[0]:
        raise KittyRuntimeError(
            f"size mismatch, got input ({a._data.shape[0]}), mat ({a._data.shape[0]}x{a._data.shape[1]}), vec ({b._data.shape[0]})"
        )
    return _addmatmul(input, a, b, beta, alpha, (a._data.shape[0],))


def _check_batches(a, b):
    if a._data.ndim != 3:
        raise KittyRuntimeError(f"batch1 must be a 3D tensor, got {a._data.ndim}D")
    if b._data.ndim != 3:
        raise KittyRuntimeError(f"batch2 must be a 3D tensor, got {b._data.ndim}D")
    sa, sb = a._data.shape, b._data.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise KittyRuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}]."
        )


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2) for batches of matrices.

    >>> import kittygrad as kitty
    >>> kitty.baddbmm(kitty.zeros(3, 2, 4), kitty.ones(3, 2, 5), kitty.ones(3, 5, 4)).shape
    kittygrad.Size([3, 2, 4])
    """
    a, b = tensor_input(batch1, "batch1"), tensor_input(batch2, "batch2")
    _check_batches(a, b)
    return _addmatmul(input, a, b, beta, alpha, (a._data.shape[0], a._data.shape[1], b._data.shape[2]))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b (batch1[b] @ batch2[b]).

    >>> import kittygrad as kitty
    >>> kitty.addbmm(kitty.zeros(2, 4), kitty.ones(3, 2, 5), kitty.ones(3, 5, 4))[0, 0]
    tensor(15.)
    """
    a, b = tensor_input(batch1, "batch1"), tensor_input(batch2, "batch2")
    _check_batches(a, b)
    return _addmatmul(input, a, b, beta, alpha, (a._data.shape[1], b._data.shape[2]), sum_batch=True)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2).

    >>> import kittygrad as kitty
    >>> kitty.addr(kitty.zeros(2, 2), kitty.tensor([1., 2.]), kitty.tensor([1., 1.]))
    tensor([[1., 1.],
            [2., 2.]])
    """
    from .elementwise import add, mul

    o = outer(vec1, vec2)
    o = o if alpha == 1 else mul(o, alpha)
    inp = tensor_input(input)
    if beta == 0:  # a user scalar: torch documents that input is then ignored
        return add(o, mul(inp, 0)) if inp._data.shape != o._data.shape else o
    return add(o, inp if beta == 1 else mul(inp, beta))


# ---------------------------------------------------------------------------------------------
# triangles and diagonals


class Tril(Op):
    def forward(self, x, k=0, upper=False):
        self.k, self.upper = k, upper
        return self.xp.triu(x, k) if upper else self.xp.tril(x, k)

    def backward(self, g):
        return (self.xp.triu(g, self.k) if self.upper else self.xp.tril(g, self.k),)


def _tri(input, diagonal, upper):
    x = tensor_input(input)
    if x._data.ndim < 2:
        raise KittyRuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 dimensions")
    return Tril.apply(x, k=diagonal, upper=upper)


def tril(input, diagonal: int = 0):
    """The lower triangle (on and below ``diagonal``) of the last two dims; the rest is zero.

    >>> import kittygrad as kitty
    >>> kitty.tril(kitty.ones(2, 2))
    tensor([[1., 0.],
            [1., 1.]])
    """
    return _tri(input, diagonal, False)


def triu(input, diagonal: int = 0):
    """The upper triangle (on and above ``diagonal``).

    >>> import kittygrad as kitty
    >>> kitty.triu(kitty.ones(2, 2))
    tensor([[1., 1.],
            [0., 1.]])
    """
    return _tri(input, diagonal, True)


class Diagonal(Op):
    """A view of a diagonal over two dims (appended as the last dim); writable, as torch's."""

    is_view = True

    def forward(self, x, offset=0, dim1=0, dim2=1):
        self.in_shape, self.args = x.shape, (offset, dim1, dim2)
        return B.diagonal_view(x, offset, dim1, dim2)

    def backward(self, g):
        gx = self.xp.zeros(self.in_shape, g.dtype)
        view = B.diagonal_view(gx, *self.args)
        if view.size:
            view[...] = g
        return (gx,)

    def _graph_backward(self, grads):
        # double backward: write g on the diagonal with a differentiable index assignment (the
        # strided view above works on ndarrays only)
        g = grads[0]
        if g is None:
            return (None,)
        xp = self.xp
        offset, d1, d2 = self.args
        nd = len(self.in_shape)
        perm = [i for i in range(nd) if i not in (d1, d2)] + [d1, d2]
        gx = xp.zeros_like(g, shape=tuple(self.in_shape[i] for i in perm))
        n = g.shape[-1]
        if n and gx.size:
            r = xp.arange(n)
            gx[..., r + max(-offset, 0), r + max(offset, 0)] = g
        return (gx.transpose(tuple(int(i) for i in xp.argsort(perm))),)


class DiagEmbed(Op):
    """Put the last dim of x on a diagonal of two new dims (the inverse of ``diagonal``)."""

    def forward(self, x, offset=0, dim1=-2, dim2=-1):
        n = x.shape[-1] + builtins_abs(offset)
        nd = x.ndim + 1
        d1, d2 = dim1 % nd, dim2 % nd
        shape = list(x.shape[:-1])
        for d in sorted((d1, d2)):
            shape.insert(d, n)
        out = self.xp.zeros(tuple(shape), x.dtype)
        self.args = (offset, d1, d2)
        view = B.diagonal_view(out, offset, d1, d2)
        if view.size:
            view[...] = x
        return out

    def backward(self, g):
        return (B.diagonal_view(g, *self.args).copy(),)

    def _graph_backward(self, grads):
        # double backward: the diagonal of g as a differentiable op (a copy, as above)
        from .._graph_array import GraphArray
        from .elementwise import Clone

        g = grads[0]
        if g is None:
            return (None,)
        offset, d1, d2 = self.args
        return (GraphArray(Clone.apply(Diagonal.apply(g.t, offset=offset, dim1=d1, dim2=d2))),)


builtins_abs = abs


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The diagonal over ``dim1`` and ``dim2`` as a view (it becomes the last dim).

    >>> import kittygrad as kitty
    >>> kitty.diagonal(kitty.eye(2) * 3)
    tensor([3., 3.])
    """
    x = tensor_input(input)
    nd = x._data.ndim
    if nd < 2:
        raise KittyRuntimeError(f"diagonal(): input must have at least 2 dimensions, got {nd}")
    d1, d2 = normalize_dim(dim1, nd), normalize_dim(dim2, nd)
    if d1 == d2:
        raise KittyRuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(x, offset=offset, dim1=d1, dim2=d2)


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Matrices (over ``dim1``, ``dim2``) whose ``offset`` diagonal holds the last dim of ``input``.

    >>> import kittygrad as kitty
    >>> kitty.diag_embed(kitty.tensor([1., 2.]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    x = tensor_input(input)
    nd = x._data.ndim + 1
    d1, d2 = normalize_dim(dim1, nd), normalize_dim(dim2, nd)
    if d1 == d2:
        raise KittyRuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if x._data.ndim == 0:
        raise KittyRuntimeError("diag_embed(): input must have at least 1 dimension")
    return DiagEmbed.apply(x, offset=offset, dim1=d1, dim2=d2)


def diag(input, diagonal: int = 0):
    """A vector's diagonal matrix, or a matrix's ``diagonal``-th diagonal (a copy).

    >>> import kittygrad as kitty
    >>> kitty.diag(kitty.tensor([1., 2.]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    from .elementwise import Clone

    x = tensor_input(input)
    nd = x._data.ndim
    if nd == 1:
        return DiagEmbed.apply(x, offset=diagonal, dim1=0, dim2=1)
    if nd == 2:
        return Clone.apply(Diagonal.apply(x, offset=diagonal, dim1=0, dim2=1))
    raise KittyRuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


def diagflat(input, offset: int = 0):
    """The flattened input on the ``offset`` diagonal of a square matrix.

    >>> import kittygrad as kitty
    >>> kitty.diagflat(kitty.tensor([[1., 2.]])).shape
    kittygrad.Size([2, 2])
    """
    x = tensor_input(input)
    return DiagEmbed.apply(x.reshape(-1), offset=offset, dim1=0, dim2=1)


def trace(input):
    """The sum of the main diagonal of a matrix (ints sum as int64).

    >>> import kittygrad as kitty
    >>> kitty.trace(kitty.eye(3))
    tensor(3.)
    """
    from .reduce import sum as _sum

    x = tensor_input(input)
    if x._data.ndim != 2:
        raise KittyRuntimeError(f"trace: expected a matrix, but got tensor with dim {x._data.ndim}")
    return _sum(Diagonal.apply(x, offset=0, dim1=0, dim2=1))


# ---------------------------------------------------------------------------------------------
# decompositions and solvers


class Cholesky(Op):
    saves_output = True

    def forward(self, a, upper=False):
        self.upper = upper
        try:
            L = self.xp.linalg.cholesky(a)
        except B.xp.linalg.LinAlgError:
            raise LinAlgError(
                "linalg.cholesky: The factorization could not be completed because the input is not "
                "positive-definite."
            ) from None
        self.out = _mT(L).copy() if upper else L
        return self.out

    def backward(self, g):
        # A = L L^T. With P = tril(L^T gL) made symmetric with halved diagonal (Phi),
        # gA = L^-T Phi L^-1, symmetrised.
        xp = self.xp
        L = _mT(self.out) if self.upper else self.out  # from the output, so double backward sees it
        gL = _mT(g) if self.upper else g
        P = xp.tril(_mT(L) @ gL)
        P = 0.5 * (P + _mT(xp.tril(P, -1)))
        Linv = xp.linalg.inv(L)
        gA = _mT(Linv) @ P @ Linv
        return (0.5 * (gA + _mT(gA)),)


class QR(Op):
    saves_output = True

    def forward(self, a, mode="reduced"):
        self.mode = mode
        q, r = self.xp.linalg.qr(a, mode="reduced" if mode == "r" else mode)
        self.q, self.r = q, r
        if mode == "r":  # R only: Q comes back empty, as torch
            q = self.xp.zeros((0,), a.dtype)
        return q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)

    def backward(self, gq, gr):
        xp = self.xp
        if self.mode == "r":
            raise KittyRuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        q, r = self.q, self.r
        m, n = q.shape[-2], r.shape[-1]
        if self.mode == "complete" and m > n:
            raise KittyRuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return (_qr_tall_grad(xp, q, r, gq, gr),)
        # wide: A = Q [X | Y], X square upper triangular
        x_, gx, gy = r[..., :, :m], gr[..., :, :m], gr[..., :, m:]
        y = r[..., :, m:]
        gq2 = gq + (q @ y) @ _mT(gy)
        gu = _qr_tall_grad(xp, q, x_, gq2, gx)
        return (xp.concatenate([gu, q @ gy], axis=-1),)


def _qr_tall_grad(xp, q, r, gq, gr):
    """Gradient of A = QR (m >= n, reduced): gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    M = r @ _mT(gr) - _mT(gq) @ q
    low = xp.tril(M, -1)
    sym = low + _mT(low) + xp.eye(M.shape[-1], dtype=M.dtype) * xp.diagonal(M, axis1=-2, axis2=-1)[..., None, :]
    b = gq + q @ sym
    # solve X R^T = b  <=>  R X^T = b^T, a triangular solve: a rank-deficient A (a zero on R's
    # diagonal) gives inf/nan as torch's, where a general solver would raise
    return _mT(_run(SolveTriangular, r, _mT(b), upper=True, unit=False))


class SVD(Op):
    """Reduced (or full) SVD with torch's gradient (full matrices: the extra columns get none)."""

    saves_output = True  # backward reads U, S and Vh (the outputs' memory), as torch's does

    def forward(self, a, full_matrices=True):
        xp = self.xp
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        dt = a.dtype
        # the outputs themselves (sliced in backward), so double backward maps them to the node
        self.u, self.s, self.vh = u.astype(dt, copy=False), s.astype(dt, copy=False), vh.astype(dt, copy=False)
        return self.u, self.s, self.vh

    def backward(self, gu, gs, gvh):
        k = self.s.shape[-1]
        u, vh = self.u[..., :, :k], self.vh[..., :k, :]
        return (_svd_grad(self.xp, u, self.s, vh, gu[..., :, :k], gs, gvh[..., :k, :]),)


class SVDVals(Op):
    def forward(self, a):
        xp = self.xp
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        self.u, self.vh = u, vh
        return s.astype(a.dtype, copy=False)

    def backward(self, gs):
        return ((self.u * gs[..., None, :]) @ self.vh,)

    def composite(self, a):
        """Double backward differentiates the singular values of the full SVD op."""
        return SVD.apply(a, full_matrices=False)[1]


def _svd_grad(xp, u, s, vh, gu, gs, gvh):
    """Gradient of A = U diag(S) Vh (reduced, real) for a loss invariant to the sign of singular pairs."""
    v, gv = _mT(vh), _mT(gvh)
    m, n = u.shape[-2], v.shape[-2]
    s2 = s * s
    diff = s2[..., None, :] - s2[..., :, None]  # s_j^2 - s_i^2
    eye = xp.eye(s.shape[-1], dtype=bool)
    with B.errstate(divide="ignore", invalid="ignore"):
        f = xp.where(eye, 0, 1 / xp.where(eye, 1, diff))
    utgu = _mT(u) @ gu
    vtgv = _mT(v) @ gv
    # repeated singular values make f infinite: inf/nan gradients, as torch's (no warning)
    with B.errstate(divide="ignore", invalid="ignore"):
        j = f * (utgu - _mT(utgu))
        kk = f * (vtgv - _mT(vtgv))
        inner = j * s[..., None, :] + s[..., :, None] * kk
        inner = inner + xp.eye(s.shape[-1], dtype=s.dtype) * gs[..., None, :]
        ga = u @ inner @ vh
        inv_s = 1 / s
        if m > s.shape[-1]:
            ga = ga + (gu - u @ utgu) * inv_s[..., None, :] @ vh
        if n > s.shape[-1]:
            ga = ga + u @ (_mT(gv - v @ vtgv) * inv_s[..., :, None])
    return ga


class Cross(Op):
    saved_inputs = (0, 1)

    def forward(self, a, b, axis=-1):
        self.a, self.b, self.axis = a, b, axis
        return self.xp.cross(a, b, axis=axis)

    def backward(self, g):
        xp, ax = self.xp, self.axis
        return xp.cross(self.b, g, axis=ax), xp.cross(g, self.a, axis=ax)


class VectorNorm(Op):
    """The p-norm over axes; at a zero vector the gradient is 0, as torch."""

    saved_inputs = (0,)
    saves_output = True

    def forward(self, x, ord=2, axes=None, keepdim=False):
        xp = self.xp
        self.x, self.ord, self.axes, self.keepdim = x, ord, axes, keepdim
        a = xp.abs(x)
        if ord == 2:
            with B.errstate(over="ignore"):  # squares past the float range give inf, as torch's
                out = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        elif ord == float("inf"):
            out = a.max(axis=axes, keepdims=keepdim) if x.size else xp.zeros(xp.sum(a, axis=axes, keepdims=keepdim).shape)
        elif ord == -float("inf"):
            out = a.min(axis=axes, keepdims=keepdim)
        elif ord == 0:  # the count of exact non-zeros, by definition (torch's)
            out = (x != 0).sum(axis=axes, keepdims=keepdim)
        elif ord == 1:
            out = a.sum(axis=axes, keepdims=keepdim)
        else:
            with B.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out = (a**ord).sum(axis=axes, keepdims=keepdim) ** (1.0 / ord)
        self.out = xp.asarray(out, dtype=x.dtype)
        return self.out

    def backward(self, g):
        from .reduce import _expand_back

        xp = self.xp
        x, p, axes, kd = self.x, self.ord, self.axes, self.keepdim
        g = _expand_back(g, x.shape, axes, kd)
        out = _expand_back(self.out, x.shape, axes, kd)
        with B.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                # out is exactly 0 only for a zero vector (or one whose squares underflow, as in
                # torch): there torch's documented subgradient is 0, not a rounding-dependent branch
                gx = xp.where(out == 0, 0, g * x / out)
            elif p == 0:  # piecewise constant: torch sends no gradient at all
                return (None,)
            elif p == 1:
                gx = g * xp.sign(x)
            elif p in (float("inf"), -float("inf")):
                # out is the max (min) of |x| itself, computed without rounding: these ties are
                # exact, and torch spreads the gradient evenly over them
                mask = xp.abs(x) == out
                count = mask.sum(axis=axes, keepdims=True)
                gx = g * xp.sign(x) * mask / count
            else:  # the zero vector's subgradient 0, as for p == 2
                gx = xp.where(out == 0, 0, g * xp.sign(x) * xp.abs(x) ** (p - 1) / out ** (p - 1))
        return (gx.astype(self.x.dtype, copy=False),)


def _norm_input(x, dtype, fname):
    x = tensor_input(x)
    if dtype is not None:
        x = cast(x, D.to_dtype(dtype))
    if x._data.dtype.kind != "f":
        raise KittyRuntimeError(
            f"{fname}: Expected a floating point or complex tensor as input. Got {dtype_name(x)}"
        )
    return x


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):
    """The vector ``ord``-norm over ``dim`` (all elements by default): 2, 1, inf, -inf, 0 or any p.

    >>> import kittygrad as kitty
    >>> kitty.linalg.vector_norm(kitty.tensor([3., 4.]))
    tensor(5.)
    """
    x = _norm_input(x, dtype, "linalg.vector_norm")
    if isinstance(ord, str):
        raise KittyTypeError("linalg.vector_norm(): argument 'ord' must be Number, not str")
    axes = normalize_dims(dim, x._data.ndim)
    if x._data.size == 0 and ord < 0:
        raise KittyRuntimeError(
            f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the operation does not have an identity"
        )
    return VectorNorm.apply(x, ord=float(ord), axes=axes, keepdim=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """The matrix norm over two dims: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf.

    >>> import kittygrad as kitty
    >>> kitty.linalg.matrix_norm(kitty.eye(2))
    tensor(1.4142)
    """
    from .more_reduce import amax, amin
    from .reduce import sum as _sum
    from .elementwise import abs as _abs

    A = _norm_input(A, dtype, "linalg.matrix_norm")
    nd = A._data.ndim
    if nd < 2:
        raise KittyRuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d0, d1 = (normalize_dim(d, nd) for d in dim)
    if ord == "fro":
        return VectorNorm.apply(A, ord=2.0, axes=tuple(sorted((d0, d1))), keepdim=keepdim)
    inf = float("inf")
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = SVDVals.apply(moved)
        out = _sum(s, -1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, inf, -inf):
        red, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = _sum(_abs(A), red, keepdim=True)
        out = amax(sums, other, keepdim=True) if ord > 0 else amin(sums, other, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise KittyRuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def linalg_norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """``kitty.linalg.norm``: a vector norm (1-D, or an int ``dim``) or a matrix norm (2-D, or two dims).

    >>> import kittygrad as kitty
    >>> kitty.linalg.norm(kitty.tensor([[3., 4.]]))
    tensor(5.)
    """
    x = _norm_input(A, dtype, "linalg.norm")
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(x, "fro", dim, keepdim)
        return vector_norm(x, 2, dim, keepdim)
    if dim is None:
        if x._data.ndim not in (1, 2):
            raise KittyRuntimeError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {x._data.ndim}D."
            )
        dim = tuple(range(x._data.ndim))
    if len(dim) == 2:
        return matrix_norm(x, ord, dim, keepdim)
    if isinstance(ord, str):
        raise KittyRuntimeError(f"linalg.vector_norm: ord must be a number, got {ord}")
    return vector_norm(x, ord, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """torch.norm: the Frobenius / p-norm over ``dim`` (all elements by default), or 'nuc'.

    >>> import kittygrad as kitty
    >>> kitty.norm(kitty.tensor([3., 4.]))
    tensor(5.)
    """
    x = _norm_input(input, dtype, "norm")
    if isinstance(dim, int):
        dim = (dim,)
    if p == "fro":
        if dim is not None and len(dim) > 2:
            raise KittyRuntimeError(f"norm: 'fro' expects at most 2 dims, got {len(dim)}")
        return vector_norm(x, 2, dim, keepdim)
    if p == "nuc":
        return matrix_norm(x, "nuc", (0, 1) if dim is None else dim, keepdim)
    if p is None:
        p = 2
    return vector_norm(x, p, dim, keepdim)


def inv(A):
    """The inverse of a (batch of) square matrix; raises ``LinAlgError`` when singular.

    >>> import kittygrad as kitty
    >>> kitty.linalg.inv(kitty.eye(2) * 2)
    tensor([[0.5000, 0.0000],
            [0.0000, 0.5000]])
    """
    return Inv.apply(_square(A, "linalg.inv"))


inverse = inv


def det(A):
    """The determinant of a (batch of) square matrix (gradients also for singular matrices).

    >>> import kittygrad as kitty
    >>> kitty.linalg.det(kitty.eye(2) * 3)
    tensor(9.)
    """
    return Det.apply(_square(A, "linalg.det"))


def slogdet(A):
    """``(sign, logabsdet)`` of the determinant, as a named tuple.

    >>> import kittygrad as kitty
    >>> kitty.linalg.slogdet(kitty.eye(2) * -1).sign
    tensor(1.)
    """
    return RT.linalg_slogdet(*Slogdet.apply(_square(A, "linalg.slogdet")))


def logdet(A):
    """log(det(A)) (NaN for a negative determinant).

    >>> import kittygrad as kitty
    >>> kitty.logdet(kitty.eye(2))
    tensor(0.)
    """
    from .elementwise import log
    from .more_elementwise import where

    sign, logabs = Slogdet.apply(_square(A, "logdet"))
    # a negative determinant: the value is NaN and, as in torch, no gradient flows
    logabs = where(sign < 0, logabs.detach(), logabs)
    return logabs + log(sign)


def solve(A, B, *, left: bool = True):
    """X with A X = B (or X A = B when ``left=False``); B may be a (batch of) vector.

    >>> import kittygrad as kitty
    >>> kitty.linalg.solve(kitty.eye(2) * 2, kitty.tensor([2., 4.]))
    tensor([1., 2.])
    """
    a = _square(A, "linalg.solve")
    b = tensor_input(B, "B")
    if b._data.dtype != a._data.dtype:
        raise KittyRuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type {dtype_name(a)} and B of type {dtype_name(b)} instead"
        )
    if not left:
        return solve(a.mT, b.mT).mT
    n = a._data.shape[-1]
    vector = b._data.ndim == 1 or (b._data.ndim == a._data.ndim - 1 and b._data.shape == a._data.shape[:-1])
    bm = b.unsqueeze(-1) if vector else b
    if bm._data.ndim < 2 or bm._data.shape[-2] != n:
        rows = bm._data.shape[-2] if bm._data.ndim >= 2 else bm._data.shape[-1]
        raise KittyRuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and {rows}x{bm._data.shape[-1]})"
        )
    batch = broadcast_shape_of(a._data.shape[:-2], bm._data.shape[:-2])
    a = expand_to(a, batch + a._data.shape[-2:])
    bm = expand_to(bm, batch + bm._data.shape[-2:])
    x = Solve.apply(a, bm)
    return x.squeeze(-1) if vector else x


def cholesky(A, *, upper: bool = False):
    """The Cholesky factor L (A = L L^T) of a symmetric positive-definite matrix.

    >>> import kittygrad as kitty
    >>> kitty.linalg.cholesky(kitty.eye(2) * 4)
    tensor([[2., 0.],
            [0., 2.]])
    """
    return Cholesky.apply(_square(A, "linalg.cholesky"), upper=upper)


def qr(A, mode: str = "reduced"):
    """``(Q, R)`` with A = QR, Q orthonormal columns, R upper triangular ('reduced', 'complete', or
    'r' for R alone, with an empty Q).

    >>> import kittygrad as kitty
    >>> kitty.linalg.qr(kitty.eye(2)).R
    tensor([[1., 0.],
            [0., 1.]])
    """
    a = tensor_input(A, "A")
    if mode not in ("reduced", "complete", "r"):
        raise KittyRuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced', 'complete', or 'r'")
    if a._data.ndim < 2:
        raise KittyRuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if a._data.dtype.kind != "f":
        raise KittyRuntimeError(f"linalg.qr: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    return RT.linalg_qr(*QR.apply(a, mode=mode))


def svd(A, full_matrices: bool = True, *, driver=None):
    """``(U, S, Vh)`` with A = U diag(S) Vh, singular values descending.

    >>> import kittygrad as kitty
    >>> kitty.linalg.svd(kitty.eye(2) * 3).S
    tensor([3., 3.])
    """
    a = tensor_input(A, "A")
    if a._data.ndim < 2:
        raise KittyRuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    if a._data.dtype.kind != "f":
        raise KittyRuntimeError(f"linalg.svd: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    return RT.linalg_svd(*SVD.apply(a, full_matrices=full_matrices))


def svdvals(A, *, driver=None):
    """The singular values, descending.

    >>> import kittygrad as kitty
    >>> kitty.linalg.svdvals(kitty.eye(2) * 3)
    tensor([3., 3.])
    """
    a = tensor_input(A, "A")
    if a._data.ndim < 2:
        raise KittyRuntimeError("linalg.svdvals: The input tensor A must have at least 2 dimensions.")
    if a._data.dtype.kind != "f":
        raise KittyRuntimeError(f"linalg.svdvals: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    return SVDVals.apply(a)


def torch_svd(input, some: bool = True, compute_uv: bool = True):
    """``torch.svd``: ``(U, S, V)`` (V, not Vh), reduced unless ``some=False``.

    >>> import kittygrad as kitty
    >>> kitty.svd(kitty.eye(2)).S
    tensor([1., 1.])
    """
    u, s, vh = svd(input, full_matrices=not some)
    return RT.svd(u, s, vh.mT)


def torch_cholesky(input, upper: bool = False):
    """``torch.cholesky`` (the older name of ``linalg.cholesky``).

    >>> import kittygrad as kitty
    >>> kitty.cholesky(kitty.eye(2) * 9)
    tensor([[3., 0.],
            [0., 3.]])
    """
    return cholesky(input, upper=upper)


def torch_qr(input, some: bool = True):
    """``torch.qr``: ``(Q, R)``, reduced unless ``some=False`` (the older name of ``linalg.qr``).

    >>> import kittygrad as kitty
    >>> kitty.qr(kitty.eye(2)).Q.shape
    kittygrad.Size([2, 2])
    """
    return RT.qr(*qr(input, "reduced" if some else "complete"))


def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when not given).

    >>> import kittygrad as kitty
    >>> kitty.cross(kitty.tensor([1., 0., 0.]), kitty.tensor([0., 1., 0.]))
    tensor([0., 0., 1.])
    """
    a, b = tensor_input(input), tensor_input(other, "other")
    if a._data.ndim != b._data.ndim:
        raise KittyRuntimeError(
            "linalg.cross: inputs must have the same number of dimensions."
        )
    shape = broadcast_shape_of(a._data.shape, b._data.shape)
    if dim is None:
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise KittyRuntimeError("no dimension of size 3 in input")
    axis = normalize_dim(dim, len(shape))
    if shape[axis] != 3 or a._data.shape[axis] != 3 or b._data.shape[axis] != 3:
        raise KittyRuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a._data.shape[axis]} and {b._data.shape[axis]}"
        )
    from ._prep import binary

    a, b = binary(a, b, "cross")
    return Cross.apply(a, b, axis=axis)


def linalg_cross(input, other, *, dim: int = -1):
    """``kitty.linalg.cross``: the cross product along ``dim`` (default -1).

    >>> import kittygrad as kitty
    >>> kitty.linalg.cross(kitty.tensor([0., 1., 0.]), kitty.tensor([0., 0., 1.]))
    tensor([1., 0., 0.])
    """
    return cross(input, other, dim)


def matrix_power(A, n: int):
    """A to the integer power ``n`` (negative: of the inverse; 0: the identity).

    >>> import kittygrad as kitty
    >>> kitty.linalg.matrix_power(kitty.eye(2) * 2, 3)
    tensor([[8., 0.],
            [0., 8.]])
    """
    from .linalg import matmul

    a = _square(A, "linalg.matrix_power", need_float=False)
    if not isinstance(n, int) or isinstance(n, bool):
        raise KittyTypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        eye = F.Tensor._wrap(B.xp.broadcast_to(B.xp.eye(a._data.shape[-1], dtype=a._data.dtype), a._data.shape).copy())
        if a._requires_grad:
            # torch's result stays attached to A, with a zero gradient (NaNs in A do not leak)
            from .more_elementwise import where

            return where(F.Tensor._wrap(B.xp.zeros(a._data.shape, dtype=bool)), a, eye)
        return eye
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while n:  # binary powering
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def multi_dot(tensors):
    """The product of a chain of matrices (the first/last may be vectors).

    >>> import kittygrad as kitty
    >>> kitty.linalg.multi_dot([kitty.eye(2), kitty.ones(2, 3), kitty.ones(3)])
    tensor([3., 3.])
    """
    from .linalg import matmul

    ts = [tensor_input(t, "tensors") for t in tensors]
    if len(ts) < 2:
        raise KittyRuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    out = ts[0]
    for t in ts[1:]:
        out = matmul(out, t)
    return out
