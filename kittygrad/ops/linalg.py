"""Linear algebra products: ``matmul`` and friends, ``einsum``, ``addmm`` family, ``tril``/``triu``,
``diag``, ``cross``, ``outer``."""
from __future__ import annotations

import math

from .. import backend as B
from ..autograd import function as F
from ..autograd.function import Op
from ..autograd.graph_array import GraphArray
from ..errors import KittyRuntimeError, KittyTypeError
from . import _kernels as _k
from . import _gemm
from ._autocast import _state as _autocast_state, autocast_args
from ._prep import warn_once as _warn_once
from ._prep import as_tensor_arg, binary, broadcast_shape_of, cast, dtype_name, expand_to, mm_dtype_error, normalize_dim, tensor_input, torch_named, varargs_sequence
from .arithmetic import add, mul
from .conversion import Clone
from .reduction import sum as _sum


class Matmul(Op):
    """``a @ b`` with NumPy's matmul semantics (1-D promotion, batch broadcasting)."""

    saved_fields = ("a", "b")
    saved_inputs = (0, 1)
    save_needed = {0: (1,), 1: (0,)}  # a is read only for b's gradient and b only for a's (torch saves so)
    torch_saved = {"self": "a", "other": "b"}  # grad_fn._saved_<torch's name>, per subclass below

    def forward(self, a, b):
        self.a, self.b = a, b
        if b.ndim == 2:
            return _gemm.rows_matmul(a, b)
        shared = _gemm.repeated_matrix(a, b)
        if shared is not None:
            return _gemm.rows_matmul(a, shared)
        return _gemm.matmul(a, b) if a.ndim >= 2 and b.ndim >= 2 else a @ b

    def backward(self, g):
        xp = self.xp
        a, b = self.a, self.b
        need = self.needs_input_grad
        g = _gemm.blas_ready(g)
        if b.ndim == 2 and a.ndim >= 2:  # a stack times one matrix: one GEMM per direction
            ga = gb = None
            if need[0]:
                # (a column-major operand gets its gradient computed transposed, laid out as it is,
                # as torch's mm does: see _gemm.column_major)
                transposed = a.ndim == 2 and _gemm.column_major(a)
                ga = _gemm.matmul(b, g.T).T if transposed else _gemm.rows_matmul(g, xp.swapaxes(b, -1, -2))
            if need[1]:
                gb = _gemm.rows_outer(g, a).T if _gemm.column_major(b) else _gemm.rows_outer(a, g)
            return ga, gb
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:
            g2 = g2[..., None]
        if a.ndim == 1:
            g2 = g2[..., None, :]
        ga = gb = None
        if need[0]:
            b2t = xp.swapaxes(b2, -1, -2)
            shared = _gemm.repeated_matrix(g2, b2t)
            ga = _gemm.rows_matmul(g2, shared) if shared is not None else _gemm.matmul(g2, b2t)
            ga = B.sum_to_shape(ga, a2.shape) if ga.shape != a2.shape else ga
            # (reshaped only when the shape differs: a reshape is a view, which the engine would copy into .grad)
            ga = ga.reshape(a.shape) if ga.shape != a.shape else ga
        if need[1]:
            # (a vector times a column-major matrix is torch's mm of one row: see _gemm.column_major)
            gb = _gemm.matmul(g2.T, a2).T if b.ndim == 2 and _gemm.column_major(b) else _gemm.transposed_matmul(a2, g2)
            gb = B.sum_to_shape(gb, b2.shape) if gb.shape != b2.shape else gb
            gb = gb.reshape(b.shape) if gb.shape != b.shape else gb
        return ga, gb


class Dot(Matmul):
    torch_saved = {"self": "a", "tensor": "b"}


class Mv(Matmul):
    torch_saved = {"self": "a", "vec": "b"}


class Mm(Matmul):
    torch_saved = {"self": "a", "mat2": "b"}


class Bmm(Matmul):
    torch_saved = {"self": "a", "mat2": "b"}


def _same_dtype(a, b, name):
    """torch's error for the product ``name`` of two tensors of different dtypes, in the words of
    the kernel torch runs for it (matmul takes dot, mv, mm or bmm's by the operands' dims)."""
    if a._data.dtype == b._data.dtype:
        return
    if name == "matmul":
        na, nb = a._data.ndim, b._data.ndim
        # (torch folds the leading dims of a stack into the rows of one mv or mm when the other is a
        # vector or a matrix)
        name = "dot" if na == nb == 1 else "mv" if nb == 1 else "mm" if nb == 2 else "bmm"
    if name == "mm":
        raise mm_dtype_error(a, b)
    first, second = dtype_name(a), dtype_name(b)
    if name == "dot":
        raise KittyRuntimeError(f"dot : expected both vectors to have same dtype, but found {first} and {second}")
    if name == "mv":  # (torch's addmv lists its result, the matrix and the vector)
        raise KittyRuntimeError(f"addmv input tensors must have the same dtype, but got {second}, {first}, and {second}")
    raise KittyRuntimeError(f"expected scalar type {first} but found {second}")


def _promote_floats(a, b):
    """The seed's autocast for matmul: two float dtypes become the wider one (differentiable)."""
    da, db = a._data.dtype, b._data.dtype
    if da == db or da.kind != "f" or db.kind != "f":
        return a, b
    if da.itemsize < db.itemsize:
        return cast(a, b.dtype), b
    return a, cast(b, a.dtype)


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


def vdot(input, other):
    """Inner product of two 1-D tensors (``dot``: kittygrad has no complex conjugate to take).

    >>> import kittygrad as kitty
    >>> kitty.vdot(kitty.tensor([1., 2.]), kitty.tensor([3., 4.]))
    tensor(11.)
    """
    return torch_named(dot(input, other), "VdotBackward0")  # (torch records its own node)


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
    a, b = autocast_args("mm", as_tensor_arg(input), as_tensor_arg(mat2, "mat2"))
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
    a, b = autocast_args("bmm", as_tensor_arg(input), as_tensor_arg(mat2, "mat2"))
    _check_batches(a, b)
    _same_dtype(a, b, "bmm")
    return Bmm.apply(a, b)


def matmul(input, other):
    """Matrix product with broadcasting over batch dims (the ``@`` operator).

    Two different float dtypes meet at the wider one, as the seed's autocast does (torch refuses):
    the narrower operand goes through a differentiable cast (``ToCopyBackward`` in the graph), so
    its gradient comes back in its own dtype. Any other mix (an int with a float, two int dtypes)
    is refused as in torch. ``mm``, ``bmm``, ``mv`` and ``dot`` keep torch's rule (same dtype).

    >>> import kittygrad as kitty
    >>> (kitty.ones(5, 2, 3) @ kitty.ones(3, 4)).shape
    kittygrad.Size([5, 2, 4])
    >>> (kitty.ones(2, 3) @ kitty.ones(3, dtype=kitty.float64)).dtype
    kittygrad.float64
    """
    if isinstance(input, F.Tensor) and isinstance(other, F.Tensor) and _autocast_state.cpu_dtype is None:
        ad, bd = input._data, other._data  # a matrix and a matrix or vector of its dtype that fit: the checks pass
        if ad.ndim == 2 and 0 < bd.ndim <= 2 and ad.shape[1] == bd.shape[0] and ad.dtype == bd.dtype:
            return (Mm if bd.ndim == 2 else Mv).apply(input, other)  # (what mm() / mv() return, a microsecond sooner)
    a, b = autocast_args("matmul", as_tensor_arg(input), as_tensor_arg(other, "other"))
    na, nb = a._data.ndim, b._data.ndim
    if na == 0 or nb == 0:
        raise KittyRuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D"
        )
    a, b = _promote_floats(a, b)
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
        raise _matmul_size_error(a, b)
    # batch dims that do not broadcast get torch's elementwise message, naming the batch dim
    broadcast_shape_of(a._data.shape[:-2], b._data.shape[:-2] if nb > 1 else ())
    return torch_named(Matmul.apply(a, b), _matmul_node(a, b))


def _matmul_node(a, b) -> str:
    """The node torch's matmul records last where it is not one dot / mv / mm: a vector times a
    matrix is a one-row mm squeezed back; a matrix that requires grad times a stack is folded into
    one mm whose product is transposed back and made contiguous (a copy, unless a size of 1 or 0
    leaves it contiguous); every other product ends in a view of the mm / mv / bmm result."""
    x, y = a._data, b._data
    if x.ndim == 1 and y.ndim == 2:
        return "SqueezeBackward4"
    if x.ndim == 2 and y.ndim >= 3 and a.requires_grad:
        empty = math.prod(y.shape[:-2]) == 0
        return "TransposeBackward0" if x.shape[0] <= 1 or y.shape[-1] <= 1 or empty else "CloneBackward0"
    return "UnsafeViewBackward0"


def _leading_dims_fold(x) -> bool:
    """Whether ``x`` (3-D or more) views as one matrix of its rows without a copy."""
    st, sh = x.strides, x.shape
    return x.size == 0 or all(st[i] == st[i + 1] * sh[i + 1] for i in range(x.ndim - 2))


def _matmul_size_error(a, b) -> KittyRuntimeError:
    """The error torch's matmul gives for inner sizes that differ, which depends on the kernel its
    dispatch picks: a vector times a matrix goes to mm as a 1-row matrix; a batched operand
    against a vector or a matrix is folded into one tall matrix for mm / mv when that needs no
    copy (or the smaller operand requires grad); everything else is broadcast and goes to bmm."""
    x, y = a._data, b._data
    na, nb = x.ndim, y.ndim
    if na == 1 and nb == 2:
        return KittyRuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{x.shape[0]} and {y.shape[0]}x{y.shape[1]})")
    big_first = na >= nb
    big = x if big_first else _mT(y)
    small, small_t = (b, y) if big_first else (a, x)
    fold = small_t.ndim <= 2 and (small.requires_grad or (na != 2 and _leading_dims_fold(big)))
    if fold:
        rows, k = math.prod(big.shape[:-1]), big.shape[-1]
        if small_t.ndim == 1:
            return KittyRuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({small_t.shape[0]})")
        other = small_t.shape if big_first else small_t.shape[::-1]
        return KittyRuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {other[0]}x{other[1]})")
    batch = broadcast_shape_of(x.shape[:-2], y.shape[:-2])
    n = math.prod(batch)
    m2 = y.shape[-2] if nb > 1 else y.shape[0]
    return KittyRuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {x.shape[-1]}] but got: [{n}, {m2}]."
    )


def _mT(a):
    return B.xp.swapaxes(a, -1, -2)


# ---------------------------------------------------------------------------------------------
# products


def _contract(xp, subs, arrays, out: str):
    """``einsum`` of ``arrays`` (subscripts ``subs``) to the letters ``out``: two plain float
    operands as one batched GEMM (:func:`contract_pair`, its result made contiguous), anything
    else by ``xp.einsum``."""
    if len(arrays) == 2:
        product = _gemm.contract_pair(subs[0], arrays[0], subs[1], arrays[1], out)
        if product is not None:
            return product if product.flags.c_contiguous else product.copy()  # (not ascontiguousarray: 0-d stays 0-d)
    return xp.einsum(",".join(subs) + "->" + out, *arrays, optimize=len(arrays) > 2)


class Einsum(Op):
    """``einsum`` with explicit output subscripts (ellipses already spelled out as letters)."""

    saved_fields = ("arrays", "inputs", "output")


    def forward(self, *arrays, inputs=(), output=""):
        self.arrays, self.inputs, self.output = arrays, inputs, output
        return self.xp.asarray(_contract(self.xp, inputs, arrays, output))

    def backward(self, g):
        xp = self.xp
        g = _gemm.blas_ready(g)  # (once for every operand's GEMM)
        grads = []
        for i, (sub, arr) in enumerate(zip(self.inputs, self.arrays)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [(s, a) for j, (s, a) in enumerate(zip(self.inputs, self.arrays)) if j != i]
            uniq = "".join(dict.fromkeys(sub))
            available = set(self.output).union(*[set(s) for s, _ in others])
            keep = "".join(c for c in uniq if c in available)
            gk = _contract(xp, [self.output] + [s for s, _ in others], [g] + [a for _, a in others], keep)
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
    return expanded, out, ell


def _einsum_sizes(inputs, shapes, ell: str) -> dict:
    """Each letter's size across the operands, refusing sizes that neither match nor broadcast
    with torch's words: a letter repeated within one operand (a diagonal) needs equal sizes, one
    shared between operands may be 1 on either side, and the ellipsis' dims are named by their
    place inside the operand's own ellipsis."""
    sizes: dict = {}
    for i, (sub, shape) in enumerate(zip(inputs, shapes)):
        own: dict = {}
        n_ell = sum(c in ell for c in sub)
        for c, n in zip(sub, shape):
            if c in own and own[c] != n:
                raise KittyRuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't match, {n} != {own[c]}"
                )
            own[c] = n
            seen = sizes.get(c, 1)
            if n not in (1, seen) and seen != 1:
                if c in ell:  # (torch's message has no space before "has")
                    raise KittyRuntimeError(
                        f"einsum(): dimension {ell.index(c) - (len(ell) - n_ell)} covered by ellipsis in operand "
                        f"{i}has size {n} which does not broadcast with previously seen ellipsis with size {seen} "
                        "for the respective dimension"
                    )
                raise KittyRuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast with "
                    f"previously seen size {seen}"
                )
            if seen == 1:
                sizes[c] = n
    return sizes


def _sublist_subscript(n) -> str:
    if n is Ellipsis:
        return "..."
    if not isinstance(n, int) or not 0 <= n < 52:
        raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
    return chr(ord("A") + n) if n < 26 else chr(ord("a") + n - 26)


def _sublist_equation(args: tuple):
    """The equation and operands of the sublist spelling ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.

    Research code written for numpy's einsum uses it; each int names a letter (0-25 upper case,
    26-51 lower case) and an odd count of arguments means the last list is the output.
    """
    operands, subs = args[0::2][: len(args) // 2], args[1::2][: len(args) // 2]
    equation = ",".join("".join(_sublist_subscript(n) for n in sub) for sub in subs)
    if len(args) % 2:
        equation += "->" + "".join(_sublist_subscript(n) for n in args[-1])
    return equation, tuple(operands)


def einsum(equation, *operands):
    """Sum of products over the letters of an Einstein-summation equation (``...`` broadcasts).

    >>> import kittygrad as kitty
    >>> kitty.einsum("ij,j->i", kitty.ones(2, 3), kitty.tensor([1., 2., 3.]))
    tensor([6., 6.])
    """
    if not isinstance(equation, str) and len(operands) and isinstance(operands[0], (list, tuple)):
        equation, operands = _sublist_equation((equation, *operands))
    ts = [tensor_input(o, "operands") for o in varargs_sequence(operands)]
    if not isinstance(equation, str):
        raise KittyTypeError("einsum(): the equation must be a string")
    for t in ts[1:]:
        if t._data.dtype != ts[0]._data.dtype:
            raise KittyRuntimeError(f"expected scalar type {dtype_name(ts[0])} but found {dtype_name(t)}")
    inputs, out, ell = _parse_einsum(equation, [t._data.shape for t in ts])
    # torch's last op: a sum (one operand) or a view of the bmm (several) where a letter is summed
    # out, else a permute (one operand) or a broadcast product
    summed = bool(set("".join(inputs)) - set(out))
    label = ("SumBackward1" if summed else "PermuteBackward0") if len(ts) == 1 else ("ViewBackward0" if summed else "MulBackward0")
    sizes = _einsum_sizes(inputs, [t._data.shape for t in ts], ell)
    for i, (sub, t) in enumerate(zip(inputs, ts)):
        shape, target = t._data.shape, tuple(sizes[c] for c in sub)
        if target == shape:
            continue
        if len(set(sub)) != len(sub):  # (a diagonal: expanded to the full sizes)
            ts[i] = expand_to(t, target)
            continue
        # A size-1 dim that broadcasts against another operand's letter is dropped instead of
        # expanded: the operand does not vary along it, so the letter is summed in the other
        # operand first (one pass, not a GEMM over the broadcast size), and its gradient comes back
        # in the operand's own size
        kept = [d for d, c in enumerate(sub) if shape[d] == sizes[c]]
        ts[i] = t.reshape(tuple(shape[d] for d in kept))
        inputs[i] = "".join(sub[d] for d in kept)
    return torch_named(_saving_all(Einsum, len(ts)).apply(*ts, inputs=tuple(inputs), output=out), label)


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

    saved_fields = ("a", "alpha", "b", "beta", "inp_shape", "sum_batch")
    saved_inputs = (1, 2)
    float16_opmath = True  # (torch adds the input before its one rounding)
    save_needed = {1: (2,), 2: (1,)}  # mat1 is read only for mat2's gradient, and the reverse

    def forward(self, inp, a, b, beta=1, alpha=1, sum_batch=False):
        self.a, self.b, self.beta, self.alpha, self.sum_batch = a, b, beta, alpha, sum_batch
        self.inp_shape = inp.shape
        prod = _gemm.matmul(a, b) if b.ndim >= 2 else a @ b
        if sum_batch:
            prod = prod.sum(axis=0)
        out = prod if alpha == 1 else alpha * prod  # user scalars: skipping a product by 1 is exact
        if beta != 0:  # beta == 0 ignores input (NaN in it does not propagate), as torch
            term = inp if beta == 1 else beta * inp
            if type(out) is B.ndarray and out.dtype == term.dtype:
                # (the product is a fresh array: no third one for the sum, the same bits; the input
                # broadcasts to the product's shape, which _addmatmul checked)
                out += term
            else:
                out = out + term
        else:
            out = self.xp.broadcast_to(out, broadcast_shape_of(out.shape, inp.shape)).copy()
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        xp = self.xp
        need = self.needs_input_grad
        a, b = self.a, self.b
        g = _gemm.blas_ready(g)  # (a gradient broadcast from a sum: NumPy's matmul would loop without BLAS)
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
                ga = _gemm.matmul(gp, _mT(b))
            if need[2]:
                gb = _gemm.matmul(_mT(a), gp)
        return gi, ga, gb


def _check_same_dtype(*ts):
    for t in ts[1:]:
        if t._data.dtype != ts[0]._data.dtype:
            raise KittyRuntimeError(f"expected m1 and m2 to have the same dtype, but got: {ts[0].dtype.name} != {t.dtype.name}")


def _addmatmul(input, a, b, beta, alpha, out_shape, label: str, sum_batch=False):
    # (one node for the four ops, named as torch's node of each: AddmmBackward0, BaddbmmBackward0, ...)
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
    return torch_named(AddMatmul.apply(inp, a, b, beta=beta, alpha=alpha, sum_batch=sum_batch), label)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2).

    >>> import kittygrad as kitty
    >>> kitty.addmm(kitty.zeros(2, 2), kitty.eye(2), kitty.ones(2, 2), beta=0.5, alpha=2)
    tensor([[2., 2.],
            [2., 2.]])
    """
    input, a, b = autocast_args("addmm", input, tensor_input(mat1, "mat1"), tensor_input(mat2, "mat2"))
    if a._data.ndim != 2:
        raise KittyRuntimeError("mat1 must be a matrix, got %d-D tensor" % a._data.ndim)
    if b._data.ndim != 2:
        raise KittyRuntimeError("mat2 must be a matrix, got %d-D tensor" % b._data.ndim)
    (n, k), (k2, m) = a._data.shape, b._data.shape
    if k != k2:
        raise KittyRuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    return _addmatmul(input, a, b, beta, alpha, (n, m), "AddmmBackward0")


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
    return _addmatmul(input, a, b, beta, alpha, (a._data.shape[0],), "AddmvBackward0")


def _check_batches(a, b):
    """The operand checks of bmm / baddbmm / addbmm, with torch's messages (which name no rank)."""
    if a._data.ndim != 3:
        raise KittyRuntimeError("batch1 must be a 3D tensor")
    if b._data.ndim != 3:
        raise KittyRuntimeError("batch2 must be a 3D tensor")
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
    input, a, b = autocast_args("baddbmm", input, tensor_input(batch1, "batch1"), tensor_input(batch2, "batch2"))
    _check_batches(a, b)
    return _addmatmul(input, a, b, beta, alpha, (a._data.shape[0], a._data.shape[1], b._data.shape[2]), "BaddbmmBackward0")


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b (batch1[b] @ batch2[b]).

    >>> import kittygrad as kitty
    >>> kitty.addbmm(kitty.zeros(2, 4), kitty.ones(3, 2, 5), kitty.ones(3, 5, 4))[0, 0]
    tensor(15.)
    """
    input, a, b = autocast_args("addbmm", input, tensor_input(batch1, "batch1"), tensor_input(batch2, "batch2"))
    _check_batches(a, b)
    return _addmatmul(input, a, b, beta, alpha, (a._data.shape[1], b._data.shape[2]), "AddbmmBackward0", sum_batch=True)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2).

    >>> import kittygrad as kitty
    >>> kitty.addr(kitty.zeros(2, 2), kitty.tensor([1., 2.]), kitty.tensor([1., 1.]))
    tensor([[1., 1.],
            [2., 2.]])
    """

    o = outer(vec1, vec2)
    o = o if alpha == 1 else mul(o, alpha)
    inp = tensor_input(input)
    if beta == 0:  # a user scalar: torch documents that input is then ignored
        out = add(o, mul(inp, 0)) if inp._data.shape != o._data.shape else o
    else:
        out = add(o, inp if beta == 1 else mul(inp, beta))
    return torch_named(out, "AddrBackward0")  # (torch's one node for it)


# ---------------------------------------------------------------------------------------------
# triangles and diagonals


class Tril(Op):
    saved_fields = ("k", "upper")

    def forward(self, x, k=0, upper=False):
        self.k, self.upper = k, upper
        return _k.triangle(x, k, upper)

    def backward(self, g):
        return (_k.triangle(g, self.k, self.upper),)


def _tri(input, diagonal, upper):
    x = tensor_input(input)
    if x._data.ndim < 2:
        raise KittyRuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 dimensions")
    return torch_named(Tril.apply(x, k=diagonal, upper=upper), "TriuBackward0" if upper else "TrilBackward0")


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

    saved_fields = ("args", "in_shape")
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

    saved_fields = ("args",)


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

    x = tensor_input(input)
    if x._data.ndim != 2:
        raise KittyRuntimeError(f"trace: expected a matrix, but got tensor with dim {x._data.ndim}")
    return torch_named(_sum(Diagonal.apply(x, offset=0, dim1=0, dim2=1)), "TraceBackward0")


class Cross(Op):
    saved_fields = ("a", "axis", "b")
    saved_inputs = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    def forward(self, a, b, axis=-1):
        self.a, self.b, self.axis = a, b, axis
        return self.xp.cross(a, b, axis=axis)

    def backward(self, g):
        xp, ax = self.xp, self.axis
        return xp.cross(self.b, g, axis=ax), xp.cross(g, self.a, axis=ax)


_CROSS_WITHOUT_DIM = (
    "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim explicitly or "
    "simply use torch.linalg.cross.\nThe default value of dim will change to agree with that of linalg.cross in "
    "a future release."
)


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
        _warn_once("cross", _CROSS_WITHOUT_DIM)
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise KittyRuntimeError("no dimension of size 3 in input")
    axis = normalize_dim(dim, len(shape))
    if shape[axis] != 3 or a._data.shape[axis] != 3 or b._data.shape[axis] != 3:
        raise KittyRuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a._data.shape[axis]} and {b._data.shape[axis]}"
        )

    a, b = binary(a, b, "cross")
    return Cross.apply(a, b, axis=axis)


def linalg_cross(input, other, *, dim: int = -1):
    """``kitty.linalg.cross``: the cross product along ``dim`` (default -1).

    >>> import kittygrad as kitty
    >>> kitty.linalg.cross(kitty.tensor([0., 1., 0.]), kitty.tensor([0., 0., 1.]))
    tensor([1., 0., 0.])
    """
    return cross(input, other, dim)


def multi_dot(tensors):
    """The product of a chain of matrices (the first/last may be vectors).

    >>> import kittygrad as kitty
    >>> kitty.linalg.multi_dot([kitty.eye(2), kitty.ones(2, 3), kitty.ones(3)])
    tensor([3., 3.])
    """

    ts = [tensor_input(t, "tensors") for t in tensors]
    if len(ts) < 2:
        raise KittyRuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    out = ts[0]
    for t in ts[1:]:
        out = matmul(out, t)
    return torch_named(out, "ViewBackward0")  # torch multiplies 2-D forms, then views the result's shape
