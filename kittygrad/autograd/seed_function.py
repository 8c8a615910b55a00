"""The seed's custom-function style: ``kittygrad.Function``, beside torch's ``autograd.Function``.

The seed's kittygrad wrote a custom function as a class with *instance* methods::

    class Cube(kitty.Function):
        def forward(self, x):
            self.ctx.saved_tensors.append(x)
            return x ** 3

        def backward(self, grad):
            (x,) = self.ctx.saved_tensors
            return 3 * x ** 2 * grad

    f = Cube()
    y = f(x)          # grad_fn=<CubeBackward>

It runs on torch's machinery: each seed class gets a hidden torch-style twin (an
``autograd.Function`` subclass of the same name), and ``f(x)`` is ``twin.apply(x)``. So the node,
its locks, the version checks of what forward saved (``ctx.saved_tensors`` goes through
``save_for_backward``), double backward and CompGraph's picture are exactly those of a torch-style
Function. What is the seed's own:

- ``self.ctx`` is a fresh :class:`SeedContext` per call: ``saved_tensors`` a list to append to,
  ``out`` the output; other attributes set on it in forward are there again in backward (each
  call's own, so one instance may be called several times before backward);
- ``output_version_check=True`` as a class keyword: an in-place change of the output before
  backward is an error at backward (the output is version-checked like a saved tensor);
- a subclass without ``forward`` or ``backward`` cannot be instantiated (TypeError);
- ``@no_grad`` on ``forward`` is refused when the class is made (forward already runs under
  no_grad), on ``backward`` it warns (backward already runs under no_grad at first order, and
  the decorator would cut the graph that ``create_graph=True`` needs).

A class written in torch's style (static ``forward(ctx, ...)``) through ``kittygrad.Function`` is
made an ``autograd.Function`` instead (used with ``.apply``), and still counts as a subclass.
"""
from __future__ import annotations

import threading
import warnings
import weakref

from ..errors import KittyRuntimeError, KittyTypeError
from . import function as _function
from .function import Function as TorchFunction
from .grad_mode import _GradModeContext, _state, inference_mode, no_grad, set_grad_enabled

__all__ = ["Function", "SeedContext"]

_pending = threading.local()  # the (instance, ctx) of calls whose twin forward has not started
_torch_style_classes: weakref.WeakSet = weakref.WeakSet()


class SeedContext:
    """``self.ctx`` of a seed-style Function: ``saved_tensors`` (a list forward appends to, version
    checked at backward) and ``out`` (the output); any other attribute forward sets is kept for
    backward.

    >>> import kittygrad as kitty
    >>> ctx = SeedContext()
    >>> ctx.saved_tensors, ctx.out
    ([], None)
    """

    def __init__(self) -> None:
        self.saved_tensors: list = []
        self.out = None

    def __repr__(self) -> str:
        extra = sorted(k for k in self.__dict__ if k not in ("saved_tensors", "out"))
        return f"SeedContext(saved_tensors={len(self.saved_tensors)} tensors, extra={extra})"


def _disables_grad(fn) -> bool:
    """Whether ``fn`` is wrapped by ``@no_grad`` (or ``inference_mode``/``set_grad_enabled(False)``)."""
    seen = 0
    while fn is not None and seen < 16:
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if isinstance(value, _GradModeContext) and (
                isinstance(value, no_grad)
                or (isinstance(value, set_grad_enabled) and not value._enabled)
                or (isinstance(value, inference_mode) and value._mode)
            ):
                return True
        fn = getattr(fn, "__wrapped__", None)
        seen += 1
    return False


def _is_torch_style(attrs: dict) -> bool:
    return any(isinstance(attrs.get(name), (staticmethod, classmethod)) for name in ("forward", "backward")) or (
        "setup_context" in attrs
    )


class _SeedFunctionMeta(type):
    """Makes each seed-style class's torch-style twin; turns a torch-style body into an
    ``autograd.Function``; lets those still be subclasses of ``kittygrad.Function``."""

    def __new__(mcls, name, bases, attrs, **kwargs):
        if any(isinstance(b, _SeedFunctionMeta) for b in bases) and _is_torch_style(attrs):
            if kwargs:
                raise KittyTypeError(
                    f"{name}: class keywords {sorted(kwargs)} are for the seed style (instance methods "
                    "forward(self, ...) and backward(self, grad)); a static forward(ctx, ...) is torch's "
                    "style, which takes none"
                )
            if any(isinstance(b, _SeedFunctionMeta) and b is not Function for b in bases):
                raise KittyTypeError(
                    f"{name}: a torch-style Function (static forward(ctx, ...)) cannot derive from the "
                    "seed-style class " + ", ".join(b.__name__ for b in bases if b is not Function)
                )
            torch_bases = tuple(TorchFunction if b is Function else b for b in bases)
            cls = type(TorchFunction)(name, torch_bases, dict(attrs))
            _torch_style_classes.add(cls)
            return cls
        return super().__new__(mcls, name, bases, attrs, **kwargs)

    def __subclasscheck__(cls, sub) -> bool:
        if type.__subclasscheck__(cls, sub):
            return True
        return cls is Function and isinstance(sub, type) and any(c in _torch_style_classes for c in sub.__mro__)

    def __instancecheck__(cls, obj) -> bool:
        return cls.__subclasscheck__(type(obj))


class Function(metaclass=_SeedFunctionMeta):
    """The seed's custom function: subclass it with instance methods ``forward(self, *args)`` and
    ``backward(self, grad)``, then call an instance.

    ``forward`` runs under no_grad on the inputs as given (Tensors stay Tensors) and returns a
    Tensor (or a tuple of them); ``backward`` gets the output's gradient (one per output) and
    returns one gradient per input (a tuple for several; None for an input without one; the
    non-Tensor arguments may be left out, as the seed allowed). State
    lives on ``self.ctx`` (:class:`SeedContext`): append what backward needs to
    ``self.ctx.saved_tensors`` (version-checked as torch's ``save_for_backward``); ``self.ctx.out``
    is the output. Class keyword ``output_version_check=True``: an in-place change of the output
    before backward is an error there. Calling ``f.forward(x)`` directly just runs its ops with
    ordinary autograd. (For torch's style, subclass ``kittygrad.autograd.Function``.)

    >>> import kittygrad as kitty
    >>> class Cube(kitty.Function):
    ...     def forward(self, x):
    ...         self.ctx.saved_tensors.append(x)
    ...         return x ** 3
    ...     def backward(self, grad):
    ...         (x,) = self.ctx.saved_tensors
    ...         return 3 * x ** 2 * grad
    >>> x = kitty.tensor([1., 2.], requires_grad=True)
    >>> y = Cube()(x); y
    tensor([1., 8.], grad_fn=<CubeBackward>)
    >>> y.sum().backward(); x.grad
    tensor([ 3., 12.])
    """

    output_version_check: bool = False
    _twin: type | None = None  # the torch-style Function that runs each call
    _missing: tuple = ("forward", "backward")

    def __init_subclass__(cls, output_version_check: bool | None = None, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if output_version_check is not None:
            if not isinstance(output_version_check, bool):
                raise KittyTypeError(
                    f"{cls.__name__}: output_version_check must be True or False, but got "
                    f"{type(output_version_check).__name__}"
                )
            cls.output_version_check = output_version_check
        if _disables_grad(cls.__dict__.get("forward")):
            raise KittyRuntimeError(
                f"{cls.__name__}.forward is decorated with no_grad: a Function's forward already runs "
                "under no_grad (its output is linked into the graph by the Function itself); remove "
                "the decorator"
            )
        if _disables_grad(cls.__dict__.get("backward")):
            warnings.warn(
                f"{cls.__name__}.backward is decorated with no_grad: it already runs under no_grad "
                "for an ordinary backward, and the decorator stops create_graph=True from recording "
                "the gradient's graph (double backward)",
                UserWarning,
                stacklevel=3,
            )
        cls._missing = tuple(m for m in ("forward", "backward") if getattr(cls, m) is getattr(Function, m))
        cls._twin = _make_twin(cls)

    def __new__(cls, *args, **kwargs):
        if cls._missing:
            what = " and ".join(f"{m}(self, {'*args' if m == 'forward' else 'grad'})" for m in cls._missing)
            raise KittyTypeError(
                f"Can't instantiate {cls.__name__}: a kittygrad.Function subclass must define {what}"
            )
        self = super().__new__(cls)
        self.ctx = SeedContext()
        return self

    def forward(self, *args, **kwargs):
        """The computation (under no_grad when the instance is called); set by the subclass."""
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def backward(self, *grads):
        """One gradient per input from the output's gradient; set by the subclass."""
        raise NotImplementedError(f"{type(self).__name__} defines no backward")

    def __call__(self, *args, **kwargs):
        ctx = SeedContext()
        self.ctx = ctx
        stack = _pending.__dict__.setdefault("stack", [])
        entry = (self, ctx)
        stack.append(entry)
        try:
            out = type(self)._twin.apply(*args, **kwargs)
        finally:
            if stack and stack[-1] is entry:  # forward never started (apply failed before it)
                stack.pop()
        ctx.out = out
        return out


class _SeedCall:
    """What one call keeps for its backward (freed with the node's saved values)."""

    __slots__ = ("instance", "attrs", "n_saved", "outs", "single", "tensor_args", "n_args")

    def __init__(self, instance, attrs, n_saved, outs, single, tensor_args, n_args) -> None:
        self.instance = instance
        self.attrs = attrs
        self.n_saved = n_saved
        self.outs = outs  # (array, version counter) per output, None for a non-Tensor output
        self.single = single
        self.tensor_args = tensor_args  # positions of the Tensor arguments
        self.n_args = n_args


def _twin_forward(ctx, *args, **kwargs):
    instance, sctx = _pending.stack.pop()
    instance.ctx = sctx
    result = instance.forward(*args, **kwargs)
    Tensor = _function.Tensor
    saved = list(sctx.saved_tensors)
    for i, t in enumerate(saved):
        if t is not None and not isinstance(t, Tensor):
            raise KittyTypeError(
                f"{type(instance).__name__}: ctx.saved_tensors may hold only Tensors (or None), but "
                f"item {i} is a {type(t).__name__}"
            )
    single = not isinstance(result, tuple)
    outputs = (result,) if single else result
    outs = tuple((o._data, o._vc) if isinstance(o, Tensor) else None for o in outputs)
    to_save = saved
    if type(instance).output_version_check:
        for o in outs:
            if o is not None:  # an alias sharing the output's version counter (no graph, no cycle)
                alias = Tensor._wrap(o[0])
                alias._vc = o[1]
                to_save = to_save + [alias]
    ctx.save_for_backward(*to_save)
    attrs = {k: v for k, v in sctx.__dict__.items() if k not in ("saved_tensors", "out")}
    tensor_args = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
    ctx._seed = _SeedCall(instance, attrs, len(saved), outs, single, tensor_args, len(args))
    return result


def _twin_backward(ctx, *grads):
    saved = ctx.saved_tensors  # (raises if a backward without retain_graph freed them)
    call = ctx._seed
    bctx = SeedContext()
    bctx.__dict__.update(call.attrs)
    bctx.saved_tensors = list(saved[: call.n_saved])
    bctx.out = _outputs(ctx, call)
    instance = call.instance
    previous = instance.__dict__.get("ctx")
    instance.ctx = bctx
    try:
        result = instance.backward(*grads)
    finally:
        instance.ctx = previous
    # one gradient per argument (torch's rule), or one per Tensor argument (the seed's)
    n_tensors = len(call.tensor_args)
    if n_tensors < call.n_args:
        got = result if isinstance(result, tuple) else (result,)
        if len(got) == n_tensors:
            full = [None] * call.n_args
            for i, g in zip(call.tensor_args, got):
                full[i] = g
            result = tuple(full)
    return result


def _outputs(node, call):
    """The output(s) as ``ctx.out`` for backward: the same memory and version counter; under
    create_graph=True also attached to the node, as torch's saved outputs are."""
    Tensor = _function.Tensor
    graph = _state.enabled  # backward runs under no_grad unless it records a graph
    outs = []
    for nr, o in enumerate(call.outs):
        if o is None:
            outs.append(None)
            continue
        t = Tensor._wrap(o[0])
        t._vc = o[1]
        if graph and o[0].dtype.kind == "f":
            t._grad_fn, t._output_nr, t._requires_grad = node, nr, True
        outs.append(t)
    return outs[0] if call.single else tuple(outs)


def _make_twin(cls) -> type:
    """The torch-style Function (same name, so the node is ``<Name>Backward``) behind ``cls``."""
    twin = type(TorchFunction)(
        cls.__name__,
        (TorchFunction,),
        {
            "forward": staticmethod(_twin_forward),
            "backward": staticmethod(_twin_backward),
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": f"The torch-style Function that runs each call of {cls.__qualname__}.",
        },
    )
    node_cls = twin._backward_cls
    # a subclass of the node class torch's machinery made, declaring what each call keeps, so a
    # backward without retain_graph frees it with the rest of the saved values
    twin._backward_cls = type(node_cls.__name__, (node_cls,), {"saved_fields": ("_seed",), "_name": node_cls._name})
    return twin
