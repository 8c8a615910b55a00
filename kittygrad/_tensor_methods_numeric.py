"""Tensor methods (one line each) for the op families added beside the foundation's: pointwise
(``copysign``, ``float_power``, ...), calculus (``diff``), scans, statistics, products, distances,
the ``*_scatter`` ops, splits and sliding windows.

Kept apart from ``_tensor_methods.py`` (one file per kind of method, each under the size limit).
"""
from __future__ import annotations

from .errors import KittyNotImplementedError, KittyRuntimeError
from .ops import calculus as _calc
from .ops import distances as _dist
from .ops import index_reduce as _ired
from .ops import pointwise as _pw
from .ops import products as _prod
from .ops import renorm as _renorm
from .ops import scans as _scans
from .ops import searching as _search
from .ops import sliding_windows as _win
from .ops import splits as _splits
from .ops import statistics as _stats
from .ops import view_scatter as _vs
from .ops._prep import dtype_name as _dtype_name
from .ops.shape import _shape_arg


class NumericMethods:
    __slots__ = ()

    # ---- pointwise ----------------------------------------------------------------------------
    def copysign(self, other):
        return _pw.copysign(self, other)

    def deg2rad(self):
        return _pw.deg2rad(self)

    def rad2deg(self):
        return _pw.rad2deg(self)

    def angle(self):
        return _pw.angle(self)

    def float_power(self, exponent):
        return _pw.float_power(self, exponent)

    def frexp(self):
        return _pw.frexp(self)

    def ldexp(self, other):
        return _pw.ldexp(self, other)

    def nextafter(self, other):
        return _pw.nextafter(self, other)

    def logaddexp2(self, other):
        return _pw.logaddexp2(self, other)

    def heaviside(self, values):
        return _pw.heaviside(self, values)

    def gcd(self, other):
        return _pw.gcd(self, other)

    def lcm(self, other):
        return _pw.lcm(self, other)

    def hardshrink(self, lambd=0.5):
        """``x`` where ``|x| > lambd``, 0 elsewhere (as ``nn.functional.hardshrink``).

        >>> import kittygrad as kitty
        >>> kitty.tensor([-1., 0.3]).hardshrink()
        tensor([-1.,  0.])
        """
        if not self.is_floating_point():  # (torch's kernel takes floats only)
            raise KittyNotImplementedError(f'"hardshrink_cpu" not implemented for \'{_dtype_name(self)}\'')
        return self.masked_fill((self >= -lambd) & (self <= lambd), 0.0)

    # ---- differences, scans, statistics -------------------------------------------------------
    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _calc.diff(self, n, dim, prepend, append)

    def nonzero_static(self, *, size, fill_value=-1):
        return _search.nonzero_static(self, size=size, fill_value=fill_value)

    def logcumsumexp(self, dim):
        return _scans.logcumsumexp(self, dim)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return _stats.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return _stats.corrcoef(self)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _stats.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _stats.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def mode(self, dim=-1, keepdim=False):
        return _stats.mode(self, dim, keepdim)

    def bincount(self, weights=None, minlength=0):
        return _stats.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002
        return _stats.histc(self, bins, min, max)

    def histogram(self, bins, *, range=None, weight=None, density=False):  # noqa: A002
        return _stats.histogram(self, bins, range=range, weight=weight, density=density)

    def sum_to_size(self, *size):
        """Sum over the dims that broadcasting ``size`` to this shape would stretch: the result
        has shape ``size``.

        >>> import kittygrad as kitty
        >>> kitty.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
        """
        shape = _shape_arg(size)
        mine = tuple(self._data.shape)
        lead = len(mine) - len(shape)
        if lead < 0 or any(s != 1 and s != n for s, n in zip(shape, mine[lead:])):
            raise KittyRuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(mine)}}}.")
        out = self
        if lead:
            out = out.sum(tuple(range(lead)))
        dims = tuple(i for i, (s, n) in enumerate(zip(shape, mine[lead:])) if s == 1 and n != 1)
        return out.sum(dims, keepdim=True) if dims else out

    # ---- products and distances ---------------------------------------------------------------
    def kron(self, other):
        return _prod.kron(self, other)

    def inner(self, other):
        return _prod.inner(self, other)

    def dist(self, other, p=2):
        return _dist.dist(self, other, p)

    def renorm(self, p, dim, maxnorm):
        return _renorm.renorm(self, p, dim, maxnorm)

    # ---- writing into copies ------------------------------------------------------------------
    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        return _vs.diagonal_scatter(self, src, offset, dim1, dim2)

    def select_scatter(self, src, dim, index):
        return _vs.select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return _vs.slice_scatter(self, src, dim, start, end, step)

    def index_put(self, indices, values, accumulate=False):
        return _vs.index_put(self, indices, values, accumulate)

    def put(self, index, source, accumulate=False):
        return _vs.put(self, index, source, accumulate)

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        return _ired.index_reduce(self, dim, index, source, reduce, include_self=include_self)

    # ---- splits and windows -------------------------------------------------------------------
    def split_with_sizes(self, split_sizes, dim=0):
        return _splits.split_with_sizes(self, split_sizes, dim)

    def unsafe_split(self, split_size, dim=0):
        return _splits.unsafe_split(self, split_size, dim)

    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        return _splits.unsafe_split_with_sizes(self, split_sizes, dim)

    def unsafe_chunk(self, chunks, dim=0):
        return _splits.unsafe_chunk(self, chunks, dim)

    def hsplit(self, indices_or_sections):
        return _splits.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        return _splits.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        return _splits.dsplit(self, indices_or_sections)

    def narrow_copy(self, dim, start, length):
        return _splits.narrow_copy(self, dim, start, length)

    def unfold(self, dimension, size, step):
        return _win.unfold(self, dimension, size, step)

    def as_strided(self, size, stride, storage_offset=None):
        return _win.as_strided(self, size, stride, storage_offset)
