"""``gradcheck`` and ``gradgradcheck``: compare autograd's gradients with finite differences.

The API is ``torch.autograd.gradcheck``'s (keywords, defaults, error types); the work is done by
a :class:`_Probe` of ``func`` at its inputs, which can give

* the numerical Jacobian, by central differences: an input's memory is nudged in place, so
  ``func`` sees the very tensor it was given (and every view of it);
* the analytical Jacobian, one backward per output element, run twice to catch backward
  formulas that are not reentrant.

``fast_mode=True`` compares only ``v^T J u`` for random unit vectors ``u`` and ``v``: one backward
per output and two calls of ``func`` per input, whatever their sizes. After the Jacobians, two
properties of every backward are checked: a zero grad_output gives zero gradients, and an
undefined (None) grad_output is accepted.

``check_forward_ad`` compares the Jacobian that forward-mode AD gives (one tangent per input
element, or one random tangent in fast mode) with the same finite differences;
``check_batched_grad`` compares ``grad(..., is_grads_batched=True)`` (backward under ``vmap``)
with one backward per row, and ``check_batched_forward_grad`` does the same for tangents.
kittygrad has neither complex dtypes nor sparse layouts, so ``masked`` is accepted and ignored.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .. import backend as B
from ..backend_random import Generator
from ..errors import KittyRuntimeError, KittyValueError
from ..tensor import Tensor
from . import forward_ad
from . import gradients as _gradients
from .function import Function
from .gradients import grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

# the fixed seed of torch's private gradcheck generator: fast mode is reproducible and never
# touches the user's random state
_SEED = 67280421310721

_NO_UNDEFINED = 'Please look at "Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"'


class GradcheckError(KittyRuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck` (a ``RuntimeError``).

    >>> issubclass(GradcheckError, RuntimeError)
    True
    """


def _tensor_type():
    return Tensor


def _seq(value) -> tuple:
    """A tuple of whatever ``func`` takes or returns: one value, a list, or a tuple."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _require(*rules: tuple[bool, str]) -> None:
    """torch rejects contradictory flags with an AssertionError: raise the first broken rule."""
    for holds, message in rules:
        if not holds:
            raise AssertionError(message)


def _validate(args: tuple) -> None:
    """torch's checks of the inputs, before ``func`` runs (warnings point at the caller's call)."""
    Tensor = _tensor_type()
    watched = [(k, a) for k, a in enumerate(args) if isinstance(a, Tensor) and a._requires_grad]
    if not watched:
        raise KittyValueError(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of them have requires_grad=True."
        )
    for k, a in watched:
        data = a._data
        if data.dtype != B.xp.float64:
            warnings.warn(
                f"Input #{k} requires gradient and is not a double precision floating point or complex. "
                "This check will likely fail if all the inputs are not of double precision floating point "
                "or complex. ",
                stacklevel=3,
            )
        # a stride-0 dimension aliases elements: nudging one would nudge them all (an empty
        # array has none to alias, whatever strides NumPy gave it)
        if data.size and any(step == 0 and n > 1 for step, n in zip(data.strides, data.shape)):
            raise KittyRuntimeError(
                f"The {k}th input has a dimension with stride 0. gradcheck only supports inputs that are "
                "non-overlapping to be able to compute the numerical gradients correctly. You should call "
                ".contiguous on the input before passing it to gradcheck."
            )


def _unit_vector(gen, like):
    """A random direction with ``like``'s size and dtype (flat, norm 1)."""
    vec = gen.random(like.size).astype(like.dtype)
    norm = B.xp.sqrt((vec * vec).sum())
    return vec / norm if norm > 0 else vec


def _float_values(values) -> list:
    """Copies of the float outputs (None for anything else): outputs may alias the inputs."""
    Tensor = _tensor_type()
    return [v._data.copy() if isinstance(v, Tensor) and v._data.dtype.kind == "f" else None for v in values]


class _Probe:
    """``func`` at ``args``: which inputs are differentiated (``wrt``), which outputs are
    checked (``outs``, at positions ``out_pos`` of everything ``func`` returns), and the float
    values of the first call (``base``), which every later call must match in shape and dtype."""

    def __init__(self, func: Callable[..., Any], args: tuple) -> None:
        Tensor = _tensor_type()
        self.func, self.args = func, args
        self.wrt_pos = [k for k, a in enumerate(args) if isinstance(a, Tensor) and a._requires_grad]
        self.wrt = [args[k] for k in self.wrt_pos]
        returned = _seq(func(*args))
        self.base = _float_values(returned)
        self.out_pos = [k for k, r in enumerate(returned) if isinstance(r, Tensor) and r.requires_grad]
        self.outs = [returned[k] for k in self.out_pos]

    # ---- numerical side

    def _values(self, eps: float) -> list:
        values = _float_values(_seq(self.func(*self.args)))
        for k, (now, then) in enumerate(zip(values, self.base)):
            if now is None or then is None:
                continue
            for what, a, b in (("shape", tuple(then.shape), tuple(now.shape)), ("dtype", then.dtype, now.dtype)):
                if a != b:  # an AssertionError in torch too
                    raise AssertionError(
                        f"Expected `func` to return outputs with the same {what} when inputs are perturbed "
                        f"on index {k} by {eps}, but got: {what}s {a} and {b}."
                    )
        return values

    def _memory(self, j: int):
        data = self.wrt[j]._data
        if not data.flags.writeable:
            raise KittyRuntimeError(
                "gradcheck perturbs its inputs in place, but an input's memory is read-only; pass a "
                "copy (x.clone().detach().requires_grad_())"
            )
        return data

    def _slope(self, data, where, step, eps: float) -> list:
        """Per output, ``(f(x + step) - f(x - step)) / 2 eps`` flattened, ``step`` added at
        ``data[where]``; the input is restored afterwards."""
        kept = data[where].copy()
        data[where] = kept - step
        below = self._values(eps)
        data[where] = kept + step
        above = self._values(eps)
        data[where] = kept
        return [None if lo is None else ((hi - lo) / (2 * eps)).reshape(-1) for lo, hi in zip(below, above)]

    def numerical(self, j: int, eps: float) -> list:
        """Per output (None for non-float ones), the Jacobian w.r.t. input ``j`` laid out
        (numel(input), numel(output)): one row per nudged element."""
        xp = B.xp
        data = self._memory(j)
        rows = [self._slope(data, pos, eps, eps) for pos in xp.ndindex(data.shape)]
        return [
            None if ref is None else xp.array([r[k] for r in rows], xp.float64).reshape(data.size, ref.size)
            for k, ref in enumerate(self.base)
        ]

    def directional(self, j: int, u, eps: float) -> list:
        """Per output, ``J u`` (flattened): input ``j`` nudged along the unit vector ``u`` at once."""
        data = self._memory(j)
        return self._slope(data, Ellipsis, (u * eps).reshape(data.shape).astype(data.dtype), eps)

    # ---- forward mode

    def output_tangents(self, j: int, tangent) -> tuple:
        """Per checked output, its tangent (zeros where it has none) when input ``j`` carries the
        Tensor ``tangent`` and the others none: ``J u`` by forward-mode AD (under vmap too)."""
        Tensor = _tensor_type()
        args = list(self.args)
        with forward_ad.dual_level():
            args[self.wrt_pos[j]] = forward_ad.make_dual(self.wrt[j], tangent)
            returned = _seq(self.func(*args))
            found = [forward_ad.unpack_dual(returned[k]).tangent for k in self.out_pos]
        return tuple(t if t is not None else Tensor._wrap(B.xp.zeros_like(o._data)) for t, o in zip(found, self.outs))

    def pushed_forward(self, j: int, tangent) -> list:
        """:meth:`output_tangents` for an array ``tangent``, each flat in float64."""
        found = self.output_tangents(j, _tensor_type()._wrap(tangent))
        return [t._data.astype(B.xp.float64).reshape(-1) for t in found]

    def forward_jacobian(self, j: int) -> list:
        """Per checked output, the Jacobian w.r.t. input ``j`` by forward mode, laid out as
        :meth:`numerical` (one row per input element: the tangent of its basis vector)."""
        xp = B.xp
        data = self.wrt[j]._data
        basis = xp.zeros(data.shape, data.dtype)
        flat = basis.reshape(-1)
        rows = []
        for e in range(data.size):
            flat[e - 1] = 0
            flat[e] = 1
            rows.append(self.pushed_forward(j, basis.copy()))
        return [xp.array([r[i] for r in rows], xp.float64).reshape(data.size, out._data.size)
                for i, out in enumerate(self.outs)]

    # ---- analytical side

    def _pulled_back(self, out, check_dtypes: bool, v=None) -> list:
        xp, Tensor = B.xp, _tensor_type()
        data = out._data
        n_cols = 1 if v is not None else data.size
        cols = [xp.zeros((x._data.size, n_cols), xp.float64) for x in self.wrt]
        seed = v.reshape(data.shape).astype(data.dtype) if v is not None else xp.zeros(data.shape, data.dtype)
        flat = seed.reshape(-1)
        for c in range(n_cols):
            if v is None:  # the basis vector e_c
                flat[c - 1] = 0
                flat[c] = 1
            grads = grad(out, self.wrt, Tensor._wrap(seed), retain_graph=True, allow_unused=True)
            for col, g, x in zip(cols, grads, self.wrt):
                if g is None:
                    continue
                if g._data.shape != x._data.shape:
                    raise GradcheckError("Analytical gradient has incorrect size")
                if check_dtypes and g._data.dtype != x._data.dtype:
                    raise GradcheckError("Gradient has dtype mismatch")
                col[:, c] = g._data.reshape(-1)  # copied before the seed changes (g may be the seed)
        return cols

    def analytical(self, out, nondet_tol: float, check_dtypes: bool, v=None) -> list:
        """Per input, ``J^T`` of ``out`` (numel(input), numel(out)), or ``J^T v`` (one column).

        Computed twice: a backward that gives different values for the same input and
        grad_output (one that modifies what its forward saved, say) is an error, as in torch.
        """
        once = self._pulled_back(out, check_dtypes, v)
        again = self._pulled_back(out, check_dtypes, v)
        for a, b in zip(once, again):
            if a.size and not B.xp.abs(a - b).max() <= nondet_tol:
                raise GradcheckError(
                    "Backward is not reentrant, i.e., running backward with same input and grad_output "
                    "multiple times gives different values, although analytical gradient matches numerical "
                    f"gradient.The tolerance for nondeterminism was {nondet_tol}."
                )
        return once


# ---- verdicts and messages ------------------------------------------------------------------------


def _close(a, n, rtol: float, atol: float) -> bool:
    return bool(B.xp.allclose(a, n, rtol=rtol, atol=atol))


def _show(arr) -> str:
    return repr(_tensor_type()._wrap(arr))


def _mismatch(analytical: str, numerical: str, i: int, j: int) -> str:
    return f"Jacobian mismatch for output {i:d} with respect to input {j:d},\nnumerical:{numerical}\nanalytical:{analytical}\n"


def _worst(a, n, rtol: float, atol: float, in_shape, out_shape) -> str:
    """Name the entry where analytical and numerical disagree the most (beyond tolerance)."""
    xp = B.xp
    excess = xp.abs(a - n) - (atol + rtol * xp.abs(n))
    excess = xp.where(xp.isnan(excess), xp.inf, excess)
    row, col = (int(k) for k in xp.unravel_index(int(xp.argmax(excess)), a.shape))
    in_pos = tuple(int(k) for k in xp.unravel_index(row, in_shape)) if in_shape else ()
    out_pos = tuple(int(k) for k in xp.unravel_index(col, out_shape)) if out_shape else ()
    return (
        f"The largest mismatch is at element {in_pos} of the input and element {out_pos} of "
        f"the output (Jacobian entry [{row}, {col}]): analytical {float(a[row, col])!r} vs "
        f"numerical {float(n[row, col])!r}.\n"
    )


def _full_jacobians(p: _Probe, eps, atol, rtol, nondet_tol, check_dtypes) -> None:
    numerical = [p.numerical(j, eps) for j in range(len(p.wrt))]
    for i, (k, out) in enumerate(zip(p.out_pos, p.outs)):
        for j, a in enumerate(p.analytical(out, nondet_tol, check_dtypes)):
            n = numerical[j][k]
            if not _close(a, n, rtol, atol):
                worst = _worst(a, n, rtol, atol, p.wrt[j]._data.shape, out._data.shape)
                raise GradcheckError(_mismatch(_show(a), _show(n), i, j) + worst)


def _projected_jacobians(p: _Probe, eps, atol, rtol, nondet_tol, check_dtypes) -> None:
    xp = B.xp
    gen = Generator().manual_seed(_SEED)
    us = [_unit_vector(gen, x._data) for x in p.wrt]
    vs = [_unit_vector(gen, out._data) for out in p.outs]
    ju = [p.directional(j, u, eps) for j, u in enumerate(us)]  # two calls of func per input
    for i, (k, out, v) in enumerate(zip(p.out_pos, p.outs, vs)):
        v64 = v.astype(xp.float64)
        for j, (jt_v, u) in enumerate(zip(p.analytical(out, nondet_tol, check_dtypes, v=v), us)):
            a = float(xp.dot(jt_v[:, 0], u.astype(xp.float64)))
            n = float(xp.dot(v64, ju[j][k]))
            # |v^T (A - N) u| may reach atol * sum(u) * sum(v) when every entry differs by atol
            if not _close(a, n, rtol, atol * float(u.sum()) * float(v.sum())):
                raise GradcheckError(_mismatch(repr(a), repr(n), i, j) + _slow_mode_details(p, i, j, eps, atol, rtol))


def _slow_mode_details(p: _Probe, i: int, j: int, eps, atol, rtol) -> str:
    out = p.outs[i]
    n = p.numerical(j, eps)[p.out_pos[i]]
    a = p.analytical(out, float("inf"), False)[j]
    largest = float(B.xp.abs(n - a).max()) if n.size else 0.0
    text = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        f"Numerical:\n {_show(n)}\nAnalytical:\n{_show(a)}\n\n"
        f"The max per-element difference (slow mode) is: {largest}.\n"
    )
    if not _close(a, n, rtol, atol):
        return text + _worst(a, n, rtol, atol, p.wrt[j]._data.shape, out._data.shape)
    return text + (
        "Fast gradcheck failed but element-wise differences are small. This means that the\n"
        "test might've passed in slow_mode! Call gradcheck/gradgradcheck with `fast_mode=False`.\n"
    )


def _forward_mismatch(a: str, n: str, i: int, j: int) -> str:
    return (f"Jacobian computed with forward mode mismatch for output {i:d} with respect to input {j:d},\n"
            f"numerical:{n}\nanalytical:{a}\n")


def _forward_jacobians(p: _Probe, eps, atol, rtol, fast_mode: bool) -> None:
    """Forward-mode AD against finite differences: every column of J, or ``J u`` in fast mode."""
    if fast_mode:
        gen = Generator().manual_seed(_SEED)
        for j, x in enumerate(p.wrt):
            u = _unit_vector(gen, x._data).reshape(x._data.shape)
            numerical = p.directional(j, u.reshape(-1), eps)
            for i, (k, a) in enumerate(zip(p.out_pos, p.pushed_forward(j, u))):
                if not _close(a, numerical[k], rtol, atol):
                    raise GradcheckError(_forward_mismatch(_show(a), _show(numerical[k]), i, j))
        return
    for j, x in enumerate(p.wrt):
        numerical = p.numerical(j, eps)
        for i, (k, a) in enumerate(zip(p.out_pos, p.forward_jacobian(j))):
            n = numerical[k]
            if not _close(a, n, rtol, atol):
                worst = _worst(a, n, rtol, atol, x._data.shape, p.outs[i]._data.shape)
                raise GradcheckError(_forward_mismatch(_show(a), _show(n), i, j) + worst)


def _batch_of(like, rows: int = 2):
    """``rows`` standard-normal arrays shaped like ``like``, stacked on a new first dimension:
    each is drawn from the global generator in the layout of ``like``, one after another, as
    torch's batched checks draw ``randn_like`` (an ``empty_like`` filled by ``normal_``)."""
    return B.xp.stack([_tensor_type()._wrap(B.xp.empty_like(like)).normal_()._data for _ in range(rows)])


def _batched_grads(p: _Probe, atol, rtol) -> None:
    """Backward under vmap (``is_grads_batched``) against one backward per grad_output row."""
    Tensor = _tensor_type()
    fresh = [r for r in _seq(p.func(*p.args)) if isinstance(r, Tensor) and r.requires_grad]  # (a graph of its own)
    for i, out in enumerate(fresh):
        batch = _batch_of(out._data)
        try:
            batched = grad(out, p.wrt, Tensor._wrap(batch), retain_graph=True, allow_unused=True,
                           is_grads_batched=True)
        except RuntimeError as e:
            raise GradcheckError(f"While computing batched gradients, got: {e}") from e
        for row in range(batch.shape[0]):
            single = grad(out, p.wrt, Tensor._wrap(batch[row]), retain_graph=True, allow_unused=True)
            for j, (b, s) in enumerate(zip(batched, single)):
                if (b is None) != (s is None) or (b is not None and not _close(b._data[row], s._data, rtol, atol)):
                    raise GradcheckError(
                        f"Batched grad check failed for output {i} with respect to input {j}, grad_output row "
                        f"{row}: vmapped backward gave\n{b!r}\nthe backward of that row alone gave\n{s!r}"
                    )


def _batched_forward_grads(p: _Probe, atol, rtol) -> None:
    """Forward mode under vmap (a batch of tangents) against one forward pass per tangent."""
    Tensor = _tensor_type()
    for j, x in enumerate(p.wrt):
        batch = _batch_of(x._data)
        try:
            batched = _gradients.vmap(lambda tangent, j=j: p.output_tangents(j, tangent))(Tensor._wrap(batch))
        except RuntimeError as e:
            raise GradcheckError(f"While computing batched forward gradients, got: {e}") from e
        for row in range(batch.shape[0]):
            for i, (b, s) in enumerate(zip(batched, p.pushed_forward(j, batch[row]))):
                if not _close(b._data[row].astype(B.xp.float64).reshape(-1), s, rtol, atol):
                    raise GradcheckError(
                        f"Batched forward grad check failed for output {i} with respect to input {j}, tangent "
                        f"row {row}: vmapped forward mode gave\n{_show(b._data[row])}\nthat tangent alone gave\n"
                        f"{_show(s)}"
                    )


def _constant_outputs(p: _Probe, eps, fast_mode: bool) -> None:
    """Without differentiable outputs, the numerical derivatives must vanish."""
    for j, x in enumerate(p.wrt):
        if fast_mode:
            slopes = p.directional(j, _unit_vector(Generator().manual_seed(_SEED), x._data), eps)
        else:
            slopes = p.numerical(j, eps)
        if any(s is not None and s.size and B.xp.abs(s).max() > 0 for s in slopes):
            raise GradcheckError("Numerical gradient for function expected to be zero")


def _zero_grad_outputs(p: _Probe) -> None:
    """Every backward is linear in its grad_output: zeros in, zeros of the right kind out."""
    Tensor = _tensor_type()
    zeros = [Tensor._wrap(B.xp.zeros_like(out._data)) for out in p.outs]
    for g, x in zip(grad(p.outs, p.wrt, zeros, allow_unused=True), p.wrt):
        if g is None:
            continue
        if not (g._data == 0).all():
            raise GradcheckError("backward not multiplied by grad_output")
        if g._data.dtype != x._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if g._data.shape != x._data.shape:
            raise GradcheckError("grad is incorrect size")


class _NoGradient(Function):
    """Identity whose backward sends no gradient: the outputs behind it get an undefined one."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return None


def _undefined_grad_outputs(p: _Probe) -> None:
    """Backward must accept undefined grad_outputs, all of them at once or one at a time."""
    Tensor = _tensor_type()

    def attempt(cut) -> None:
        fresh = [r for r in _seq(p.func(*p.args)) if isinstance(r, Tensor) and r.requires_grad]
        outs = [_NoGradient.apply(r) if cut(k) else r for k, r in enumerate(fresh)]
        try:
            grads = grad(outs, p.wrt, [Tensor._wrap(B.xp.zeros_like(o._data)) for o in outs], allow_unused=True)
        except RuntimeError as e:
            raise GradcheckError(f"Expected backward function to handle undefined output grads. {_NO_UNDEFINED}") from e
        if any(g is not None and not (g._data == 0).all() for g in grads):
            raise GradcheckError(
                "Expected all input grads to be undefined or zero when all output grads are undefined or "
                f"zero. {_NO_UNDEFINED}"
            )

    attempt(lambda k: True)
    if len(p.outs) > 1:
        for only in range(len(p.outs)):
            attempt(lambda k, only=only: k == only)


def _run(func, args, eps, atol, rtol, nondet_tol, check_undefined_grad, check_dtypes, fast_mode,
         checks: dict) -> None:
    p = _Probe(func, args)
    if not p.outs:  # nothing to differentiate: no backward to test either
        _constant_outputs(p, eps, fast_mode)
        return
    # torch's order: the batched checks draw their vectors from the global generator, forward
    # mode's first, so a program that draws random numbers afterwards gets torch's
    if checks["backward"]:
        compare = _projected_jacobians if fast_mode else _full_jacobians
        compare(p, eps, atol, rtol, nondet_tol, check_dtypes)
    if checks["forward"]:
        _forward_jacobians(p, eps, atol, rtol, fast_mode)
        if checks["batched_forward"]:
            _batched_forward_grads(p, atol, rtol)
    if checks["backward"]:
        if checks["batched_grad"]:
            _batched_grads(p, atol, rtol)
        _zero_grad_outputs(p)
        if check_undefined_grad:
            _undefined_grad_outputs(p)


# torch's keyword-only parameters, one group per line: precision, then which checks run
def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
    check_undefined_grad: bool = True, check_grad_dtypes: bool = False, check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False, check_forward_ad: bool = False, check_backward_ad: bool = True,
    fast_mode: bool = False, masked: bool | None = None,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences (torch's gradcheck).

    Inputs that require grad should be float64. Returns True; on a mismatch raises
    :class:`GradcheckError` (naming output, input and element, with both values), or returns
    False when ``raise_exception=False``.

    >>> import kittygrad as kitty
    >>> x = kitty.randn(3, dtype=kitty.float64, requires_grad=True)
    >>> kitty.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    _require(
        (check_forward_ad or check_backward_ad,
         "Expected at least one of check_forward_ad or check_backward_ad to be True"),
        (check_backward_ad or not check_batched_grad,
         "Setting check_batched_grad=True requires check_backward_ad to be True"),
        (check_forward_ad or not check_batched_forward_grad,
         "Setting check_batched_forward_grad=True requires check_forward_ad to be True"),
    )
    checks = {"backward": check_backward_ad, "forward": check_forward_ad, "batched_grad": check_batched_grad,
              "batched_forward": check_batched_forward_grad}
    args = _seq(inputs)
    _validate(args)
    try:
        _run(func, args, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes, fast_mode, checks)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _random_grad_output(out, strided: bool):
    """A float tensor in [-1, 1) shaped like ``out``; ``strided`` makes it a non-contiguous view.

    Drawn from the global generator, as torch's (its ``testing.make_tensor``): a program that
    calls gradgradcheck then draws random numbers gets torch's numbers."""
    data = out._data
    dtype = data.dtype if data.dtype.kind == "f" else B.xp.float64
    strided = strided and data.size > 1
    # non-contiguous: every other element (from the second) of a last dim drawn twice as long
    shape = data.shape[:-1] + (2 * data.shape[-1],) if strided else data.shape
    values = _tensor_type()._wrap(B.xp.empty(shape, dtype)).uniform_(-1.0, 1.0)._data
    return _tensor_type()._wrap(values[..., 1::2] if strided else values).requires_grad_(True)


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any | Sequence[Any] | None = None,
    *,
    eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True, nondet_tol: float = 0.0,
    check_undefined_grad: bool = True, check_grad_dtypes: bool = False, check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True, fast_mode: bool = False, masked: bool = False,
) -> bool:
    """Check second derivatives: gradcheck the map (inputs, grad_outputs) -> grad_inputs.

    The first gradient is built with ``create_graph=True``; ``grad_outputs`` default to random
    tensors in [-1, 1) of the outputs' dtypes (from the global generator, as torch's).

    >>> import kittygrad as kitty
    >>> x = kitty.randn(3, dtype=kitty.float64, requires_grad=True)
    >>> kitty.autograd.gradgradcheck(lambda t: (t ** 3).sum(), (x,))
    True
    """
    _require(
        (check_fwd_over_rev or check_rev_over_rev,
         "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True"),
        (check_rev_over_rev or not check_undefined_grad,
         "Setting check_undefined_grad=True requires check_rev_over_rev to be True"),
        (check_rev_over_rev or not check_batched_grad,
         "Setting check_batched_grad=True requires check_rev_over_rev to be True"),
    )

    Tensor = _tensor_type()
    args = _seq(inputs)
    if grad_outputs is None:
        returned = _seq(func(*args))
        seeds = tuple(
            _random_grad_output(r, gen_non_contig_grad_outputs)
            for r in returned if isinstance(r, Tensor) and r.requires_grad
        )
    else:
        seeds = _seq(grad_outputs)
    n_args = len(args)
    wrt_pos = [k for k, a in enumerate(args) if isinstance(a, Tensor) and a._requires_grad]

    def first_derivatives(*both):
        # gradcheck nudges ``both`` in place, so these are the very tensors it was given
        returned = _seq(func(*both[:n_args]))
        outs = [r for r in returned if isinstance(r, Tensor) and r.requires_grad]
        grads = grad(outs, [both[k] for k in wrt_pos], both[n_args:], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivatives, args + seeds, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception,
        nondet_tol=nondet_tol, check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad, fast_mode=fast_mode, check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev, masked=masked,
    )
