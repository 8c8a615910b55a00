"""torch's ``_foreach_*`` functions: one op applied to every tensor of a list.

Optimizers and EMA helpers written for speed call them (``torch._foreach_lerp_(ema, params,
1 - decay)``, ``torch._foreach_mul_(grads, scale)``). torch fuses each into few kernel launches;
here each is a loop over kittygrad's own ops, so values, dtypes, in-place checks (a leaf that
requires grad, a result that cannot be cast back) and gradients are the single ops' ones. The
list rules are torch's: the second argument is a number, a 0-dim tensor, a list of tensors or a
list of numbers (one per tensor); lists must have matching lengths; an out-of-place call returns a
tuple, an in-place one returns the list it was given. Under torch's naming the results' backward
nodes carry torch's ``Foreach...Backward`` names.

>>> import kittygrad as kitty
>>> ema = [kitty.zeros(2), kitty.zeros(1)]
>>> kitty._foreach_lerp_(ema, [kitty.ones(2), kitty.full((1,), 4.0)], 0.5)
[tensor([0.5000, 0.5000]), tensor([2.])]
>>> kitty._foreach_norm(ema)
(tensor(0.7071), tensor(2.))
"""
from __future__ import annotations

import numbers

from .errors import KittyRuntimeError, KittyTypeError
from .ops._prep import torch_named
from .ops.arithmetic import pow as _pow
from .ops.comparison import maximum as _maximum
from .ops.comparison import minimum as _minimum
from .ops.norms import vector_norm
from .tensor import Tensor

__all__: list[str] = []
_UNSET = object()  # "alpha not given": torch's scalar overloads take no alpha

# torch's backward-node names, by op and by the kind of the second argument
_SCALAR_LIKE = ("Scalar", "ScalarList", "Tensor")
_LABELS = {
    "add": ("ForeachAddBackward1Scalar", "ForeachAddBackward0List", "ForeachAddBackward1ScalarList",
            "ForeachAddBackward1Scalar"),
    "sub": ("ForeachSubBackward1Scalar", "ForeachSubBackward0List", "ForeachSubBackward1ScalarList",
            "ForeachSubBackward1Scalar"),
    "mul": ("ForeachMulBackward1Scalar", "ForeachMulBackward0List", "ForeachMulBackward1ScalarList",
            "ForeachMulBackward0Tensor"),
    "div": ("ForeachDivBackward1Scalar", "ForeachDivBackward0", "ForeachDivBackward1ScalarList",
            "ForeachDivBackward0Tensor"),
    "pow": ("ForeachPowBackward0Scalar", "ForeachPowBackward0", "ForeachPowBackward1", "ForeachPowBackward0Scalar"),
    "maximum": ("ForeachMaximumBackward0", "ForeachMaximumBackward0List", "ForeachMaximumBackward1",
                "ForeachMaximumBackward0"),
    "minimum": ("ForeachMinimumBackward0", "ForeachMinimumBackward0List", "ForeachMinimumBackward1",
                "ForeachMinimumBackward0"),
    "clamp_min": ("ForeachClampMinBackward0Scalar", "ForeachClampMinBackward1List",
                  "ForeachClampMinBackward0ScalarList", "ForeachClampMinBackward0Scalar"),
    "clamp_max": ("ForeachClampMaxBackward0Scalar", "ForeachClampMaxBackward1List",
                  "ForeachClampMaxBackward0ScalarList", "ForeachClampMaxBackward0Scalar"),
    "lerp": ("ForeachLerpBackward0Scalar", "ForeachLerpBackward1List", "ForeachLerpBackward0ScalarList",
             "ForeachLerpBackward0Scalar"),
    "addcmul": ("ForeachAddcmulBackward0Scalar", None, "ForeachAddcmulBackward0ScalarList", None),
    "addcdiv": ("ForeachAddcdivBackward0Scalar", None, "ForeachAddcdivBackward0ScalarList", None),
}
_KINDS = ("Scalar", "List", "ScalarList", "Tensor")


def _label(op: str, kind: str) -> str | None:
    return _LABELS[op][_KINDS.index(kind)]


def _typename(value) -> str:
    return "Tensor" if isinstance(value, Tensor) else type(value).__name__


def _tensor_list(fn: str, value, position: int, args: tuple) -> list:
    """``value`` checked to be a non-empty list or tuple of tensors (torch's errors otherwise)."""
    if not isinstance(value, (list, tuple)):
        got = ", ".join(_typename(a) for a in args)
        raise KittyTypeError(
            f"{fn}() received an invalid combination of arguments - got ({got}), but expected a list or tuple "
            f"of Tensors as argument {position}"
        )
    for i, t in enumerate(value):
        if not isinstance(t, Tensor):
            raise KittyTypeError(f"expected Tensor as element {i} in argument {position}, but got {_typename(t)}")
    if not value:
        raise KittyRuntimeError("Tensor list must have at least one tensor.")
    return list(value)


def _same_length(n: int, other: list) -> None:
    if len(other) != n:
        raise KittyRuntimeError(f"Tensor lists must have the same number of tensors, got {n} and {len(other)}")


def _per_tensor(fn: str, n: int, other, args: tuple) -> tuple[str, list]:
    """The second argument as one value per tensor, and its kind (torch's overload)."""
    if isinstance(other, Tensor):
        if other.ndim != 0:
            raise KittyRuntimeError(
                f"scalar tensor expected to be 0 dim but it has {other.ndim} dimensions and {other.numel()} elements."
            )
        return "Tensor", [other] * n
    if isinstance(other, (list, tuple)):
        if other and all(isinstance(o, numbers.Number) for o in other):
            if len(other) != n:
                raise KittyRuntimeError("Tensor list must have same number of elements as scalar list.")
            return "ScalarList", list(other)
        if other:
            _tensor_list(fn, other, 1, args)  # each entry a tensor (torch's TypeError otherwise)
        _same_length(n, other)
        return "List", list(other)
    if isinstance(other, numbers.Number):
        return "Scalar", [other] * n
    got = ", ".join(_typename(a) for a in args)
    raise KittyTypeError(
        f"{fn}() received an invalid combination of arguments - got ({got}), but expected a number, a 0-dim "
        "Tensor, a list of numbers or a list of Tensors as argument 1"
    )


def _results(values: list, label: str | None) -> tuple:
    if label is not None:
        for v in values:
            torch_named(v, label)
    return tuple(values)


def _export(fn, name: str, doc: str):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    globals()[name] = fn
    __all__.append(name)


# ---- binary: (tensors, number | 0-dim tensor | numbers | tensors) ---------------------------------
def _binary(op: str, one, one_, takes_alpha: bool = False) -> None:
    """Make ``_foreach_<op>`` and ``_foreach_<op>_`` from ``one(t, o, **kw)`` / ``one_(t, o, **kw)``."""

    def prepare(name, self, other, alpha, args):
        tensors = _tensor_list(name, self, 0, args)
        kind, others = _per_tensor(name, len(tensors), other, args)
        kw = {}
        if alpha is not _UNSET:
            if not takes_alpha or kind not in ("List", "Tensor"):
                raise KittyTypeError(
                    f"{name}() received an invalid combination of arguments - got an alpha with a {kind} "
                    "argument: alpha goes only with a list of Tensors or a Tensor"
                )
            kw["alpha"] = alpha
        return tensors, kind, others, kw

    def out_of_place(self, other, *, alpha=_UNSET):
        tensors, kind, others, kw = prepare(f"_foreach_{op}", self, other, alpha, (self, other))
        return _results([one(t, o, kind, **kw) for t, o in zip(tensors, others)], _label(op, kind))

    def in_place(self, other, *, alpha=_UNSET):
        tensors, kind, others, kw = prepare(f"_foreach_{op}_", self, other, alpha, (self, other))
        for t, o in zip(tensors, others):
            one_(t, o, kind, **kw)
        return self

    what = f"``{op}`` of each tensor with the matching entry of ``other`` (a number, a 0-dim tensor, a list"
    what += " of numbers or a list of tensors" + (", scaled by ``alpha``" if takes_alpha else "") + ")"
    _export(out_of_place, f"_foreach_{op}", f"``torch._foreach_{op}``: {what}; a tuple of new tensors.")
    _export(in_place, f"_foreach_{op}_", f"``torch._foreach_{op}_``: {what}, written into each tensor.")


def _method(name):
    return lambda t, o, kind, **kw: getattr(t, name)(o, **kw)


for _op in ("add", "sub", "mul", "div", "pow"):
    _binary(_op, _method(_op), _method(_op + "_"), takes_alpha=_op in ("add", "sub"))
_binary("clamp_min", _method("clamp_min"), _method("clamp_min_"))
_binary("clamp_max", _method("clamp_max"), _method("clamp_max_"))
# maximum/minimum against numbers are clamps (torch's overloads); against tensors, the elementwise op
_binary("maximum", lambda t, o, kind: _maximum(t, o) if kind == "List" else t.clamp_min(o),
        lambda t, o, kind: t.copy_(_maximum(t, o)) if kind == "List" else t.clamp_min_(o))
_binary("minimum", lambda t, o, kind: _minimum(t, o) if kind == "List" else t.clamp_max(o),
        lambda t, o, kind: t.copy_(_minimum(t, o)) if kind == "List" else t.clamp_max_(o))

_plain_pow = globals()["_foreach_pow"]


def _foreach_pow(self, exponent, *, alpha=_UNSET):
    """``torch._foreach_pow``: each tensor to the power ``exponent`` (a number, a 0-dim tensor, a list
    of numbers or a list of tensors), or a number to the power of each tensor; a tuple of new tensors.

    >>> import kittygrad as kitty
    >>> _foreach_pow(2.0, [kitty.tensor([1., 3.])])
    (tensor([2., 8.]),)
    """
    if isinstance(self, numbers.Number):
        exponents = _tensor_list("_foreach_pow", exponent, 1, (self, exponent))
        return _results([_pow(self, e) for e in exponents], "ForeachPowBackward2")
    return _plain_pow(self, exponent) if alpha is _UNSET else _plain_pow(self, exponent, alpha=alpha)


# ---- ternary: lerp, addcmul, addcdiv ------------------------------------------------------------
def _foreach_lerp(self, tensors1, weight):
    """``torch._foreach_lerp``: ``self[i] + weight * (tensors1[i] - self[i])`` for each pair, the weight
    a number, a 0-dim tensor, a list of numbers or a list of tensors; a tuple of new tensors."""
    tensors, ends, kind, weights = _lerp_args("_foreach_lerp", self, tensors1, weight)
    return _results([t.lerp(e, w) for t, e, w in zip(tensors, ends, weights)], _label("lerp", kind))


def _foreach_lerp_(self, tensors1, weight):
    """``torch._foreach_lerp_``: :func:`_foreach_lerp` written into each tensor of ``self`` (an EMA
    update is ``_foreach_lerp_(ema, params, 1 - decay)``)."""
    tensors, ends, _, weights = _lerp_args("_foreach_lerp_", self, tensors1, weight)
    for t, e, w in zip(tensors, ends, weights):
        t.lerp_(e, w)
    return self


def _lerp_args(name, self, tensors1, weight):
    args = (self, tensors1, weight)
    tensors = _tensor_list(name, self, 0, args)
    ends = _tensor_list(name, tensors1, 1, args)
    _same_length(len(tensors), ends)
    kind, weights = _per_tensor(name, len(tensors), weight, args)
    return tensors, ends, kind, weights


def _pointwise3(op: str) -> None:
    """``_foreach_addcmul``/``_foreach_addcdiv`` and their in-place twins."""

    def prepare(name, self, tensor1, tensor2, scalars, value):
        args = (self, tensor1, tensor2) + (() if scalars is None else (scalars,))
        tensors = _tensor_list(name, self, 0, args)
        ones = _tensor_list(name, tensor1, 1, args)
        twos = _tensor_list(name, tensor2, 2, args)
        _same_length(len(tensors), ones)
        _same_length(len(tensors), twos)
        if isinstance(scalars, numbers.Number):  # the value, given positionally
            scalars, value = None, scalars
        if scalars is None:
            return tensors, ones, twos, "Scalar", [value] * len(tensors)
        if isinstance(scalars, Tensor):
            if scalars.ndim != 1 or scalars.numel() != len(tensors):
                raise KittyRuntimeError(f"Expected length of scalars to match input of length {len(tensors)} "
                                        f"but got {scalars.numel()} instead.")
            return tensors, ones, twos, "Tensor", scalars.tolist()
        if len(scalars) != len(tensors):
            raise KittyRuntimeError("Tensor list must have same number of elements as scalar list.")
        return tensors, ones, twos, "ScalarList", list(scalars)

    def out_of_place(self, tensor1, tensor2, scalars=None, *, value=1):
        tensors, ones, twos, kind, values = prepare(f"_foreach_{op}", self, tensor1, tensor2, scalars, value)
        out = [getattr(t, op)(a, b, value=v) for t, a, b, v in zip(tensors, ones, twos, values)]
        return _results(out, _label(op, kind))

    def in_place(self, tensor1, tensor2, scalars=None, *, value=1):
        tensors, ones, twos, _, values = prepare(f"_foreach_{op}_", self, tensor1, tensor2, scalars, value)
        for t, a, b, v in zip(tensors, ones, twos, values):
            getattr(t, op + "_")(a, b, value=v)
        return self

    what = f"``{op}`` of each triple, scaled by ``value`` (or by one of ``scalars``, a list or a 1-D tensor)"
    _export(out_of_place, f"_foreach_{op}", f"``torch._foreach_{op}``: {what}; a tuple of new tensors.")
    _export(in_place, f"_foreach_{op}_", f"``torch._foreach_{op}_``: {what}, written into each tensor.")


_pointwise3("addcmul")
_pointwise3("addcdiv")
__all__ += ["_foreach_lerp", "_foreach_lerp_"]


# ---- unary ------------------------------------------------------------------------------------
_UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1", "floor", "frac",
          "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin",
          "sinh", "sqrt", "tan", "tanh", "trunc")


def _unary(op: str) -> None:
    label = "Foreach" + ("Log1P" if op == "log1p" else op.capitalize()) + "Backward0"

    def out_of_place(self):
        tensors = _tensor_list(f"_foreach_{op}", self, 0, (self,))
        return _results([getattr(t, op)() for t in tensors], label)

    def in_place(self):
        for t in _tensor_list(f"_foreach_{op}_", self, 0, (self,)):
            getattr(t, op + "_")()
        return self

    _export(out_of_place, f"_foreach_{op}", f"``torch._foreach_{op}``: ``{op}`` of each tensor; a tuple of new tensors.")
    _export(in_place, f"_foreach_{op}_", f"``torch._foreach_{op}_``: ``{op}`` of each tensor, in place.")


for _op in _UNARY:
    _unary(_op)


def _foreach_zero_(self):
    """``torch._foreach_zero_``: fill every tensor with zeros; returns ``self``."""
    for t in _tensor_list("_foreach_zero_", self, 0, (self,)):
        t.zero_()
    return self


def _foreach_clone(self, *, memory_format=None):
    """``torch._foreach_clone``: a copy of each tensor (differentiable); a tuple."""
    return _results([t.clone() for t in _tensor_list("_foreach_clone", self, 0, (self,))], "ForeachCloneBackward0")


def _foreach_copy_(self, src, non_blocking: bool = False):
    """``torch._foreach_copy_``: copy each tensor of ``src`` into the matching one of ``self``
    (broadcast and cast as ``Tensor.copy_``); returns ``self``."""
    tensors = _tensor_list("_foreach_copy_", self, 0, (self, src))
    sources = _tensor_list("_foreach_copy_", src, 1, (self, src))
    _same_length(len(tensors), sources)
    for t, s in zip(tensors, sources):
        t.copy_(s)
    return self


def _foreach_norm(self, ord=2, dtype=None):  # noqa: A002 - torch's name
    """``torch._foreach_norm``: the vector ``ord``-norm of each tensor (``linalg.vector_norm``); a tuple.

    >>> import kittygrad as kitty
    >>> _foreach_norm([kitty.tensor([3., 4.]), kitty.tensor([-2.])], float("inf"))
    (tensor(4.), tensor(2.))
    """
    tensors = _tensor_list("_foreach_norm", self, 0, (self,))
    return _results([vector_norm(t, ord, dtype=dtype) for t in tensors], "ForeachNormBackward0")


def _foreach_max(self):
    """``torch._foreach_max``: the largest element of each tensor; a tuple of 0-dim tensors."""
    tensors = _tensor_list("_foreach_max", self, 0, (self,))
    for t in tensors:
        if t.numel() == 0:
            raise KittyRuntimeError("_foreach_max cannot compute the maximum of an empty tensor; "
                                    "max over zero elements is undefined.")
    return _results([t.max() for t in tensors], "ForeachMaxBackward1")


__all__ += ["_foreach_zero_", "_foreach_clone", "_foreach_copy_", "_foreach_norm", "_foreach_max"]
