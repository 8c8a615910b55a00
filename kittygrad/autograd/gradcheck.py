"""``gradcheck`` and ``gradgradcheck``: compare autograd's gradients with finite differences.

As in ``torch.autograd.gradcheck``: the analytical Jacobian (one backward per output element,
run twice to catch non-reentrant backward formulas) is compared with a central-difference
numerical Jacobian (the input's memory is perturbed in place, so ``func`` sees the very tensor it
was given). ``fast_mode=True`` compares only ``v^T J u`` for random unit vectors ``u`` and ``v``:
one backward per output and two forward calls per input, whatever their sizes.

kittygrad has neither complex dtypes, sparse layouts, forward-mode AD nor ``vmap``, so
``masked`` is accepted and ignored, and ``check_forward_ad`` / ``check_batched_grad`` /
``check_batched_forward_grad`` raise ``NotImplementedError`` when set.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .. import backend as B
from ..errors import KittyNotImplementedError, KittyRuntimeError, KittyValueError
from .function import Function

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

# torch's fixed default seed for its private gradcheck generator: fast mode is reproducible and
# never touches the user's random state
_SEED = 67280421310721


class GradcheckError(KittyRuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck` (a ``RuntimeError``)."""


def _tensor_cls():
    from ..tensor import Tensor

    return Tensor


def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x) -> tuple:
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _check_inputs(tupled_inputs) -> None:
    Tensor = _tensor_cls()
    any_requires = False
    for idx, inp in enumerate(tupled_inputs):
        if isinstance(inp, Tensor) and inp._requires_grad:
            if inp._data.dtype != B.xp.float64:
                warnings.warn(
                    f"Input #{idx} requires gradient and "
                    "is not a double precision floating point or complex. "
                    "This check will likely fail if all the inputs are "
                    "not of double precision floating point or complex. ",
                    stacklevel=3,
                )
            data = inp._data
            if not all(st > 0 or sz <= 1 for st, sz in zip(data.strides, data.shape)):
                raise KittyRuntimeError(
                    f"The {idx}th input has a dimension with stride 0. gradcheck only "
                    "supports inputs that are non-overlapping to be able to "
                    "compute the numerical gradients correctly. You should call "
                    ".contiguous on the input before passing it to gradcheck."
                )
            any_requires = True
    if not any_requires:
        raise KittyValueError(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of them have requires_grad=True."
        )


def _diff_inputs(tupled_inputs) -> tuple[list[int], list]:
    Tensor = _tensor_cls()
    idx = [i for i, t in enumerate(tupled_inputs) if isinstance(t, Tensor) and t._requires_grad]
    return idx, [tupled_inputs[i] for i in idx]


# ---- numerical side --------------------------------------------------------------------------


def _float_outputs(func, inputs, eps, reference) -> list:
    """Call ``func`` and copy the values of its float outputs (outputs may alias the inputs)."""
    outs = _as_tuple(func(*inputs))
    arrays = []
    for k, o in enumerate(outs):
        if not isinstance(o, _tensor_cls()) or o._data.dtype.kind != "f":
            arrays.append(None)
            continue
        arr = o._data.copy()
        ref = reference[k]
        if ref is not None and arr.shape != ref.shape:  # torch raises AssertionError too
            raise AssertionError(
                "Expected `func` to return outputs with the same shape when inputs are perturbed "
                f"on index {k} by {eps}, but got: shapes {tuple(ref.shape)} and {tuple(arr.shape)}."
            )
        if ref is not None and arr.dtype != ref.dtype:
            raise AssertionError(
                "Expected `func` to return outputs with the same dtype when inputs are perturbed "
                f"on index {k} by {eps}, but got: dtypes {ref.dtype} and {arr.dtype}."
            )
        arrays.append(arr)
    return arrays


def _writable_data(x):
    data = x._data
    if not data.flags.writeable:
        raise KittyRuntimeError(
            "gradcheck perturbs its inputs in place, but an input's memory is read-only; pass a "
            "copy (x.clone().detach().requires_grad_())"
        )
    return data


def _numerical_jacobians(func, inputs, input_idx, reference, eps) -> list:
    """``[J_k]`` per output k (None for non-float outputs), ``J_k`` of shape (numel(in), numel(out))."""
    xp = B.xp
    data = _writable_data(inputs[input_idx])
    n_in = data.size
    jac = [None if r is None else xp.zeros((n_in, r.size), xp.float64) for r in reference]
    for col, pos in enumerate(xp.ndindex(data.shape)):
        orig = data[pos].copy()
        data[pos] = orig - eps
        outa = _float_outputs(func, inputs, eps, reference)
        data[pos] = orig + eps
        outb = _float_outputs(func, inputs, eps, reference)
        data[pos] = orig
        for k, (a, b) in enumerate(zip(outa, outb)):
            if jac[k] is not None:
                jac[k][col] = ((b - a) / (2 * eps)).reshape(-1)
    return jac


def _numerical_ju(func, inputs, input_idx, u, reference, eps) -> list:
    """Directional derivative ``J u`` per output (flattened), by central differences."""
    data = _writable_data(inputs[input_idx])
    orig = data.copy()
    step = (u * eps).reshape(data.shape).astype(data.dtype)
    data[...] = orig - step
    outa = _float_outputs(func, inputs, eps, reference)
    data[...] = orig + step
    outb = _float_outputs(func, inputs, eps, reference)
    data[...] = orig
    return [None if a is None else ((b - a) / (2 * eps)).reshape(-1) for a, b in zip(outa, outb)]


# ---- analytical side -------------------------------------------------------------------------


def _vjp(output, diff_inputs, grad_array):
    from . import grad

    Tensor = _tensor_cls()
    return grad(output, diff_inputs, Tensor._wrap(grad_array), retain_graph=True, allow_unused=True)


def _stack_rows(rows_per_input, diff_inputs, n_rows, check_grad_dtypes) -> list:
    """Jacobians (numel(in), n_rows) from per-row gradients; checks sizes and dtypes as torch."""
    xp = B.xp
    jacs = []
    for inp, rows in zip(diff_inputs, rows_per_input):
        jac = xp.zeros((inp._data.size, n_rows), xp.float64)
        for j, g in enumerate(rows):
            if g is None:
                continue
            if g._data.shape != inp._data.shape:
                raise GradcheckError("Analytical gradient has incorrect size")
            if check_grad_dtypes and g._data.dtype != inp._data.dtype:
                raise GradcheckError("Gradient has dtype mismatch")
            jac[:, j] = g._data.reshape(-1)
        jacs.append(jac)
    return jacs


def _analytical_jacobians(output, diff_inputs, nondet_tol, check_grad_dtypes, v=None) -> list:
    """Per input, ``J^T`` (numel(in), numel(out)) -- or ``J^T v`` (numel(in), 1) given ``v``.

    Computed twice: a backward that gives different values for the same input and grad_output
    (e.g. one that modifies what its forward saved) is an error, as in torch.
    """
    xp = B.xp
    out_data = output._data
    n_rows = 1 if v is not None else out_data.size

    def rows():
        per_input = [[] for _ in diff_inputs]
        if v is not None:
            grads = _vjp(output, diff_inputs, v.reshape(out_data.shape).astype(out_data.dtype))
            for lst, g in zip(per_input, grads):
                lst.append(g)
            return per_input
        basis = xp.zeros(out_data.shape, out_data.dtype)
        flat = basis.reshape(-1)
        for j in range(out_data.size):
            flat[j] = 1
            grads = _vjp(output, diff_inputs, basis)
            # copy before the basis is reset: a gradient may be the grad_output array itself
            for lst, g in zip(per_input, grads):
                lst.append(None if g is None else _tensor_cls()._wrap(g._data.copy()))
            flat[j] = 0
        return per_input

    jac1 = _stack_rows(rows(), diff_inputs, n_rows, check_grad_dtypes)
    jac2 = _stack_rows(rows(), diff_inputs, n_rows, check_grad_dtypes)
    for a, b in zip(jac1, jac2):
        if a.size and not xp.abs(a - b).max() <= nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with "
                "same input and grad_output multiple times gives different values, "
                "although analytical gradient matches numerical gradient."
                f"The tolerance for nondeterminism was {nondet_tol}."
            )
    return jac1


# ---- comparison and messages ------------------------------------------------------------------


def _allclose(a, n, rtol, atol) -> bool:
    return bool(B.xp.allclose(a, n, rtol=rtol, atol=atol))


def _fmt(arr) -> str:
    return repr(_tensor_cls()._wrap(arr))


def _worst_element(a, n, rtol, atol, in_shape, out_shape) -> str:
    """Name the element where analytical and numerical disagree the most (beyond tolerance)."""
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


def _notallclose_msg(analytical, numerical, output_idx: int, input_idx: int) -> str:
    return (
        f"Jacobian mismatch for output {output_idx:d} with respect to input {input_idx:d},\n"
        f"numerical:{numerical}\nanalytical:{analytical}\n"
    )


# ---- the checks -------------------------------------------------------------------------------


def _check_no_differentiable_outputs(func, inputs, reference, eps, fast_mode) -> None:
    idx, diff = _diff_inputs(inputs)
    for i in idx:
        if fast_mode:
            u = _random_unit(B.Generator().manual_seed(_SEED), inputs[i]._data.size, inputs[i]._data.dtype)
            jacs = _numerical_ju(func, inputs, i, u, reference, eps)
        else:
            jacs = _numerical_jacobians(func, inputs, i, reference, eps)
        for jac in jacs:
            if jac is not None and jac.size and B.xp.abs(jac).max() > 0:
                raise GradcheckError("Numerical gradient for function expected to be zero")


def _slow_gradcheck(func, inputs, func_out, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol) -> None:
    outs = _as_tuple(func_out)
    reference = [o._data.copy() if isinstance(o, _tensor_cls()) and o._data.dtype.kind == "f" else None for o in outs]
    diff_pos = [k for k, o in enumerate(outs) if isinstance(o, _tensor_cls()) and o.requires_grad]
    idx, diff = _diff_inputs(inputs)
    numerical = [_numerical_jacobians(func, inputs, i, reference, eps) for i in idx]
    for out_i, (k, o) in enumerate(zip(diff_pos, outputs)):
        analytical = _analytical_jacobians(o, diff, nondet_tol, check_grad_dtypes)
        for in_j, a in enumerate(analytical):
            n = numerical[in_j][k]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(
                    _notallclose_msg(_fmt(a), _fmt(n), out_i, in_j)
                    + _worst_element(a, n, rtol, atol, diff[in_j]._data.shape, o._data.shape)
                )


def _random_unit(gen, size: int, dtype):
    vec = gen.random(size).astype(dtype)
    norm = B.xp.sqrt((vec * vec).sum())
    return vec / norm if norm > 0 else vec


def _fast_gradcheck(func, inputs, func_out, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol) -> None:
    xp = B.xp
    outs = _as_tuple(func_out)
    reference = [o._data.copy() if isinstance(o, _tensor_cls()) and o._data.dtype.kind == "f" else None for o in outs]
    diff_pos = [k for k, o in enumerate(outs) if isinstance(o, _tensor_cls()) and o.requires_grad]
    idx, diff = _diff_inputs(inputs)
    gen = B.Generator().manual_seed(_SEED)
    all_u = [_random_unit(gen, t._data.size, t._data.dtype) for t in diff]
    all_v = [_random_unit(gen, o._data.size, o._data.dtype) for o in outputs]
    # numerical v^T (J u): two forward calls per input
    numerical = []
    for i, u in zip(idx, all_u):
        ju = _numerical_ju(func, inputs, i, u, reference, eps)
        numerical.append([float(xp.dot(v.astype(xp.float64), ju[k])) for k, v in zip(diff_pos, all_v)])
    # analytical (v^T J) u: one backward per output
    for out_j, (o, v) in enumerate(zip(outputs, all_v)):
        vj = _analytical_jacobians(o, diff, nondet_tol, check_grad_dtypes, v=v)
        for in_i, (col, u) in enumerate(zip(vj, all_u)):
            a = float(xp.dot(col[:, 0], u.astype(xp.float64)))
            n = numerical[in_i][out_j]
            # |v^T (A - N) u| may reach atol * sum(u) * sum(v) when every entry differs by atol
            tol = atol * float(u.sum()) * float(v.sum())
            if not _allclose(a, n, rtol, tol):
                raise GradcheckError(
                    _notallclose_msg(repr(a), repr(n), out_j, in_i)
                    + _slow_mode_report(func, inputs, outs, diff_pos[out_j], o, diff, idx[in_i], in_i, rtol, atol, eps)
                )


def _slow_mode_report(func, inputs, outs, k, output, diff, input_pos, in_i, rtol, atol, eps) -> str:
    reference = [o._data.copy() if isinstance(o, _tensor_cls()) and o._data.dtype.kind == "f" else None for o in outs]
    n = _numerical_jacobians(func, inputs, input_pos, reference, eps)[k]
    a = _analytical_jacobians(output, diff, float("inf"), False)[in_i]
    msg = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        f"Numerical:\n {_fmt(n)}\n"
        f"Analytical:\n{_fmt(a)}\n\n"
        f"The max per-element difference (slow mode) is: {float(B.xp.abs(n - a).max()) if n.size else 0.0}.\n"
    )
    if _allclose(a, n, rtol, atol):
        msg += (
            "Fast gradcheck failed but element-wise differences are small. This means that the\n"
            "test might've passed in slow_mode! Call gradcheck/gradgradcheck with "
            "`fast_mode=False`.\n"
        )
    else:
        msg += _worst_element(a, n, rtol, atol, diff[in_i]._data.shape, output._data.shape)
    return msg


def _test_backward_mul_by_grad_output(outputs, inputs) -> None:
    from . import grad

    Tensor = _tensor_cls()
    _, diff = _diff_inputs(inputs)
    grads = grad(
        outputs, diff, [Tensor._wrap(B.xp.zeros_like(o._data)) for o in outputs], allow_unused=True
    )
    for gi, di in zip(grads, diff):
        if gi is None:
            continue
        if not (gi._data == 0).all():
            raise GradcheckError("backward not multiplied by grad_output")
        if gi._data.dtype != di._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi._data.shape != di._data.shape:
            raise GradcheckError("grad is incorrect size")


class _UndefinedGrad(Function):
    """Identity whose backward sends no gradient (torch's ``UndefinedGrad``)."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return None


def _test_undefined_backward_mode(func, outputs, inputs) -> None:
    from . import grad

    Tensor = _tensor_cls()
    _, diff = _diff_inputs(inputs)

    def check(outs) -> None:
        zeros = [Tensor._wrap(B.xp.zeros_like(o._data)) for o in outs]
        try:
            grads = grad(outs, diff, zeros, allow_unused=True)
        except RuntimeError as e:
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. "
                'Please look at "Notes about undefined output gradients" in '
                '"tools/autograd/derivatives.yaml"'
            ) from e
        for gi in grads:
            if gi is not None and not (gi._data == 0).all():
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads are "
                    'undefined or zero. Please look at "Notes about undefined output gradients" in '
                    '"tools/autograd/derivatives.yaml"'
                )

    check([_UndefinedGrad.apply(o) for o in _differentiable_outputs(func(*inputs))])
    if len(outputs) > 1:  # one undefined output gradient at a time must work too
        for undef in range(len(outputs)):
            outs = _differentiable_outputs(func(*inputs))
            check([_UndefinedGrad.apply(o) if i == undef else o for i, o in enumerate(outs)])


def _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes, fast_mode) -> bool:
    tupled_inputs = _as_tuple(inputs)
    _check_inputs(tupled_inputs)
    func_out = func(*tupled_inputs)
    outputs = _differentiable_outputs(func_out)
    if not outputs:
        reference = [
            o._data.copy() if isinstance(o, _tensor_cls()) and o._data.dtype.kind == "f" else None
            for o in _as_tuple(func_out)
        ]
        _check_no_differentiable_outputs(func, tupled_inputs, reference, eps, fast_mode)
    else:
        check = _fast_gradcheck if fast_mode else _slow_gradcheck
        check(func, tupled_inputs, func_out, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol)
    if outputs:  # without differentiable outputs there is no backward to test
        _test_backward_mul_by_grad_output(outputs, tupled_inputs)
        if check_undefined_grad:
            _test_undefined_backward_mode(func, outputs, tupled_inputs)
    return True


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
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
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    if check_forward_ad or check_batched_forward_grad:
        raise KittyNotImplementedError("kittygrad has no forward-mode AD: use check_forward_ad=False")
    if check_batched_grad:
        raise KittyNotImplementedError("kittygrad has no vmap to batch gradients: use check_batched_grad=False")
    try:
        return _gradcheck_helper(
            func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes, fast_mode
        )
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any | Sequence[Any] | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: gradcheck the map (inputs, grad_outputs) -> grad_inputs.

    The first gradient is built with ``create_graph=True``; ``grad_outputs`` default to random
    float64 tensors in [-1, 1) (from a private, fixed-seed generator).

    >>> import kittygrad as kitty
    >>> x = kitty.randn(3, dtype=kitty.float64, requires_grad=True)
    >>> kitty.autograd.gradgradcheck(lambda t: (t ** 3).sum(), (x,))
    True
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    from . import grad

    Tensor = _tensor_cls()
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable_outputs(func(*tupled_inputs))
        gen = B.Generator().manual_seed(_SEED)
        made = []
        for o in outputs:
            dtype = o._data.dtype if o._data.dtype.kind == "f" else B.xp.float64
            shape = o._data.shape
            if gen_non_contig_grad_outputs and o._data.size > 1:
                arr = gen.uniform(-1.0, 1.0, shape + (2,), dtype)[..., 0]  # a strided view
            else:
                arr = gen.uniform(-1.0, 1.0, shape, dtype)
            t = Tensor._wrap(arr)
            t.requires_grad_(True)
            made.append(t)
        tupled_grad_outputs = tuple(made)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grad_outputs)
    # gradcheck's perturbation keeps requires_grad, but remember it as torch does
    diff_input_args_indices = {
        i for i, x in enumerate(tupled_inputs) if isinstance(x, Tensor) and x._requires_grad
    }
    diff_grad_output_indices = {i for i, x in enumerate(tupled_grad_outputs) if x._requires_grad}

    def new_func(*args):
        input_args = tuple(
            x.requires_grad_() if i in diff_input_args_indices else x
            for i, x in enumerate(args[:-num_outputs] if num_outputs else args)
        )
        outputs = _differentiable_outputs(func(*input_args))
        grad_outs = tuple(
            x.requires_grad_() if i in diff_grad_output_indices else x
            for i, x in enumerate(args[-num_outputs:] if num_outputs else ())
        )
        diff_input_args = tuple(x for i, x in enumerate(input_args) if i in diff_input_args_indices)
        grad_inputs = grad(outputs, diff_input_args, grad_outs, create_graph=True, allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(
        new_func,
        tupled_inputs + tupled_grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        masked=masked,
    )
