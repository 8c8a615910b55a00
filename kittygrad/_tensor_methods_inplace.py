"""Tensor methods that change the tensor in place (``x.op_()``) for ops beyond the core class:
comparisons into self, the in-place view ops (``t_``, ``squeeze_``, ...), the twins of composite
ops, the index writes (``index_put_``, ``put_``, ``fill_diagonal_``), ``resize_`` and the Python
callables ``apply_``/``map_``/``map2_``.

Kept apart from ``_tensor_methods.py`` (one file per kind of method, each under the size limit).
"""
from __future__ import annotations

import warnings

from . import backend as B
from .autograd.grad_mode import _state
from .autograd.refusals import check_inplace_allowed
from .errors import KittyRuntimeError, KittyTypeError
from .ops import index_reduce as _ired
from .ops import inplace_twins as _twins
from .ops import linalg as _la
from .ops import pointwise as _pw
from .ops import reduction as _red
from .ops import renorm as _renorm
from .ops import view_scatter as _vs
from .ops._prep import dtype_name
from .ops.comparison import _inplace_result
from .ops.shape import _shape_arg

_assign, _source = _twins._assign_result, _twins._source_of


class InplaceMethods:
    __slots__ = ()

    # ---- comparisons written into self (1 or 0 in self's dtype) ---------------------------------
    def eq_(self, other):
        return _twins._compare_inplace(self, other, "eq")

    def ne_(self, other):
        return _twins._compare_inplace(self, other, "ne")

    def lt_(self, other):
        return _twins._compare_inplace(self, other, "lt")

    def le_(self, other):
        return _twins._compare_inplace(self, other, "le")

    def gt_(self, other):
        return _twins._compare_inplace(self, other, "gt")

    def ge_(self, other):
        return _twins._compare_inplace(self, other, "ge")

    not_equal_, less_, less_equal_, greater_, greater_equal_ = ne_, lt_, le_, gt_, ge_

    def bitwise_left_shift_(self, other):
        return _twins.bitwise_left_shift_(self, other)

    def bitwise_right_shift_(self, other):
        return _twins.bitwise_right_shift_(self, other)

    __ilshift__, __irshift__ = bitwise_left_shift_, bitwise_right_shift_

    # ---- torch's aliases of the arithmetic twins ----------------------------------------------
    def divide_(self, other, *, rounding_mode=None):
        return self.div_(other, rounding_mode=rounding_mode)

    def true_divide_(self, other):
        return self.div_(other)

    def multiply_(self, other):
        return self.mul_(other)

    def subtract_(self, other, *, alpha=1):
        return self.sub_(other, alpha=alpha)

    # ---- in-place view ops: same memory, new shape -------------------------------------------
    def t_(self):
        return _twins.t_(self)

    def transpose_(self, dim0, dim1):
        return _twins.transpose_(self, dim0, dim1)

    swapaxes_ = swapdims_ = transpose_

    def squeeze_(self, dim=None):
        return _twins.squeeze_(self, dim)

    def unsqueeze_(self, dim):
        return _twins.unsqueeze_(self, dim)

    # ---- twins of composite ops (computed out of place, written back) ---------------------------
    def cumsum_(self, dim, *, dtype=None):
        return _assign(self, _red.cumsum(_source(self), dim, dtype=dtype), "cumsum_")

    def cumprod_(self, dim, *, dtype=None):
        return _assign(self, _red.cumprod(_source(self), dim, dtype=dtype), "cumprod_")

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        return _assign(self, _la.addmv(_source(self), mat, vec, beta=beta, alpha=alpha), "addmv_")

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        return _assign(self, _la.addr(_source(self), vec1, vec2, beta=beta, alpha=alpha), "addr_")

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return _assign(self, _la.addbmm(_source(self), batch1, batch2, beta=beta, alpha=alpha), "addbmm_")

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return _assign(self, _la.baddbmm(_source(self), batch1, batch2, beta=beta, alpha=alpha), "baddbmm_")

    def copysign_(self, other):
        return _assign(self, _pw.copysign(_source(self), other), "copysign_")

    def deg2rad_(self):
        return _assign(self, _pw.deg2rad(_source(self)), "deg2rad_")

    def rad2deg_(self):
        return _assign(self, _pw.rad2deg(_source(self)), "rad2deg_")

    def ldexp_(self, other):
        return _assign(self, _pw.ldexp(_source(self), other), "ldexp_")

    def nextafter_(self, other):
        return _assign(self, _pw.nextafter(_source(self), other), "nextafter_")

    def heaviside_(self, values):
        return _assign(self, _pw.heaviside(_source(self), values), "heaviside_")

    def float_power_(self, exponent):
        if self._data.dtype != B.xp.float64:
            raise KittyRuntimeError(
                f"the base given to float_power_ has dtype {dtype_name(self)} but the operation's result "
                "requires dtype Double"
            )
        return _assign(self, _pw.float_power(_source(self), exponent), "float_power_")

    def renorm_(self, p, dim, maxnorm):
        return _assign(self, _renorm.renorm(_source(self), p, dim, maxnorm), "renorm_")

    def gcd_(self, other):
        return _inplace_result(self, _pw.gcd(self, other), "gcd")

    def lcm_(self, other):
        return _inplace_result(self, _pw.lcm(self, other), "lcm")

    def conj_physical_(self):
        return self  # a real tensor is its own conjugate

    # ---- writes at indices --------------------------------------------------------------------
    def index_put_(self, indices, values, accumulate=False):
        return _vs.index_put_(self, indices, values, accumulate)

    def put_(self, index, source, accumulate=False):
        return _vs.put_(self, index, source, accumulate)

    def fill_diagonal_(self, fill_value, wrap=False):
        return _vs.fill_diagonal_(self, fill_value, wrap)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return _ired.index_reduce_(self, dim, index, source, reduce, include_self=include_self)

    # ---- resizing -----------------------------------------------------------------------------
    def resize_(self, *sizes, memory_format=None):
        """Give the tensor the shape ``sizes`` in place, keeping its first elements (in memory
        order); new elements are zeros. Not for tensors that require grad, as torch.

        >>> import kittygrad as kitty
        >>> kitty.arange(6.).resize_(2, 2)
        tensor([[0., 1.],
                [2., 3.]])
        """
        if self._requires_grad:
            raise KittyRuntimeError("cannot resize variables that require grad")
        shape = _shape_arg(sizes)
        if any(s < 0 for s in shape):
            raise KittyRuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
        n = 1
        for s in shape:
            n *= s
        data = self._data
        if data.shape == shape:
            return self
        if n <= data.size and data.flags.c_contiguous:
            new = data.reshape(-1)[:n].reshape(shape)  # the same memory, as torch keeps its storage
        else:
            flat = B.xp.zeros(n, dtype=data.dtype)
            keep = min(n, data.size)
            flat[:keep] = data.reshape(-1)[:keep]
            new = flat.reshape(shape)
        self._data = new
        self._view = None  # its memory no longer follows a base's layout
        check_inplace_allowed(self)  # (resized first, as torch)
        return self

    def resize_as_(self, the_template, memory_format=None):
        return self.resize_(the_template.shape)

    def resize(self, *sizes):
        """Deprecated out-of-place resize: a reshape to ``sizes`` (the same number of elements).

        >>> import kittygrad as kitty
        >>> import warnings; warnings.simplefilter("ignore")
        >>> kitty.arange(6.).resize(2, 3).shape
        kittygrad.Size([2, 3])
        """
        warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
        return self.reshape(_shape_arg(sizes))

    def resize_as(self, tensor):
        warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
        return self.reshape(tensor.shape)

    # ---- Python callables, element by element (no autograd, as torch) -------------------------
    def _map_into(self, name, fn, *others):
        if self._requires_grad and _state.enabled or any(o._requires_grad for o in others):
            raise KittyRuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() instead.")
        for o in others:
            if o.dtype is not self.dtype:
                raise KittyTypeError(f"{name}: expected {self.type()} for 'other' (got {o.type()})")
        data = self._data
        parts = [B.xp.broadcast_to(o._data, data.shape).reshape(-1) for o in others]
        flat = data.reshape(-1)
        values = [fn(flat[i].item(), *(p[i].item() for p in parts)) for i in range(flat.size)]
        out = B.xp.asarray(values, dtype=B.xp.float64 if data.dtype.kind == "f" else None).reshape(data.shape)
        data[...] = out.astype(data.dtype) if out.size else out
        self._vc[0] += 1
        return self

    def apply_(self, callable):  # noqa: A002 - torch's name
        """Replace each element ``v`` by ``callable(v)``, in place (a slow Python loop; no autograd).

        >>> import kittygrad as kitty
        >>> kitty.tensor([1., 2.]).apply_(lambda v: v * 10)
        tensor([10., 20.])
        """
        return self._map_into("apply_", callable)

    def map_(self, tensor, callable):  # noqa: A002
        """Replace each element ``a`` by ``callable(a, b)`` with ``b`` from ``tensor`` (broadcast), in place.

        >>> import kittygrad as kitty
        >>> kitty.tensor([1., 2.]).map_(kitty.tensor([10., 20.]), lambda a, b: a + b)
        tensor([11., 22.])
        """
        return self._map_into("map_", callable, tensor)

    def map2_(self, x, y, callable):  # noqa: A002
        """Replace each element ``a`` by ``callable(a, b, c)`` with ``b``, ``c`` from ``x``, ``y``, in place.

        >>> import kittygrad as kitty
        >>> kitty.tensor([1.]).map2_(kitty.tensor([2.]), kitty.tensor([3.]), lambda a, b, c: a + b + c)
        tensor([6.])
        """
        return self._map_into("map2_", callable, x, y)
