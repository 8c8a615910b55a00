"""Module full backward hooks (``register_full_backward_hook`` / ``..._pre_hook``) on kittygrad's engine.

A call of a module that has such hooks routes the tensors it receives, and the tensors it returns,
through an identity :class:`BackwardHookFunction` (torch's node name, ``BackwardHookFunctionBackward``,
is what users see in ``grad_fn``). The work is done by two engine *node pre-hooks* on those identity
nodes, so the engine itself converts between arrays, Tensors and (under ``create_graph``) graph
gradients:

* at the output node, the gradients with respect to the module's outputs arrive first: the full
  backward pre-hooks may replace them, and they are kept for the input side;
* at the input node, the gradients with respect to the module's inputs arrive: the full backward
  hooks see both and may replace the input gradients.

One :class:`GradRelay` per call carries the output gradients from the first node to the second.
"""
from __future__ import annotations

import warnings

from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled, set_grad_enabled
from ...creation import zeros_like
from ...errors import KittyRuntimeError, user_stacklevel
from ...tensor import Tensor

__all__ = ["BackwardHookFunction", "GradRelay", "LegacyBackwardHook"]

_NO_INPUT_GRAD_WARNING = (
    "Full backward hook is firing when gradients are computed with respect to module outputs since no "
    "inputs require gradients. See "
    "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook "
    "for more details."
)


class BackwardHookFunction(Function):
    """Identity on its tensor arguments: a node in the graph where a module's hooks can attach.

    >>> import kittygrad as kitty
    >>> x = kitty.ones(2, requires_grad=True)
    >>> (y,) = BackwardHookFunction.apply(x); y.grad_fn.name()
    'BackwardHookFunctionBackward'
    """

    @staticmethod
    def forward(ctx, *tensors):
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return grads

    @staticmethod
    def jvp(ctx, *tangents):
        return tangents


def _spread(slots, values, size: int) -> tuple:
    """A tuple of ``size`` entries holding ``values`` at positions ``slots`` and None elsewhere."""
    full = [None] * size
    for slot, value in zip(slots, values):
        full[slot] = value
    return tuple(full)


def _replacement(result, expected: int, who: str, what: str) -> tuple:
    """A hook's returned gradients as a tuple (a single value or a list is accepted), checked for length."""
    grads = tuple(result) if isinstance(result, list) else result if isinstance(result, tuple) else (result,)
    if len(grads) != expected:
        raise KittyRuntimeError(
            f"Backward {who} returned an invalid number of {what}, got {len(grads)}, but expected {expected}"
        )
    return grads


def _grad_mode_for(grads) -> set_grad_enabled:
    # Hooks see plain gradients in no-grad mode, as in torch; gradients that are themselves part of
    # a graph (backward with create_graph=True) keep recording.
    return set_grad_enabled(any(g is not None and g.requires_grad for g in grads))


class GradRelay:
    """One hooked call of a module: routes its tensors through identity nodes and runs its hooks.

    >>> import kittygrad as kitty
    >>> lin = kitty.nn.Linear(2, 1)
    >>> relay = GradRelay(lin)
    >>> (x,) = relay.route_inputs((kitty.ones(1, 2, requires_grad=True),))
    >>> relay.route_outputs(lin(x)).grad_fn.name()
    'BackwardHookFunctionBackward'
    """

    __slots__ = ("module", "n_args", "arg_slots", "frozen_args", "n_results", "result_slots", "grad_outputs")

    def __init__(self, module) -> None:
        self.module = module
        self.n_args = 0
        self.arg_slots = None  # positions of the routed arguments; None when none needs a gradient
        self.frozen_args = ()  # (position, tensor) of tensor arguments that need no gradient
        self.n_results = 0
        self.result_slots = None
        self.grad_outputs = None  # set at the output node, consumed at the input node

    @staticmethod
    def _route(values: tuple, on_grads):
        """Send the tensors of ``values`` that require grad through one identity node whose pre-hook is
        ``on_grads``; return the new values and the routed positions (None when nothing was routed)."""
        slots = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
        if not slots or not is_grad_enabled():
            return values, None
        routed = BackwardHookFunction.apply(*[values[i] for i in slots])
        routed[0].grad_fn.register_prehook(on_grads)
        out = list(values)
        for i, tensor in zip(slots, routed):
            out[i] = tensor
        return tuple(out), slots

    def route_inputs(self, args: tuple) -> tuple:
        """The module's positional arguments, with the tensors that require grad routed."""
        self.n_args = len(args)
        # torch reports zeros for tensor arguments that need no gradient
        self.frozen_args = tuple((i, a) for i, a in enumerate(args) if isinstance(a, Tensor) and not a.requires_grad)
        args, self.arg_slots = self._route(args, self._at_inputs)
        return args

    def route_outputs(self, result):
        """The module's result (one value or a tuple), with the tensors that require grad routed."""
        single = not isinstance(result, tuple)
        values = (result,) if single else result
        self.n_results = len(values)
        values, self.result_slots = self._route(values, self._at_outputs)
        return values[0] if single else values

    def _at_outputs(self, grads: tuple):
        module = self.module
        grad_outputs = _spread(self.result_slots, grads, self.n_results)
        with _grad_mode_for(grads):
            for pre_hook in list(module._backward_pre_hooks.values()):
                new = pre_hook(module, grad_outputs)
                if new is not None:
                    grad_outputs = _replacement(new, self.n_results, "pre hook", "grad_output")
            if self.arg_slots is None:
                # No input needs a gradient, so the input node does not exist: the hooks fire now,
                # with every grad_input None, and may not replace anything (as torch).
                warnings.warn(_NO_INPUT_GRAD_WARNING, stacklevel=user_stacklevel())  # the line that ran backward
                nothing = (None,) * self.n_args
                for hook in list(module._backward_hooks.values()):
                    new = hook(module, nothing, grad_outputs)
                    if new is not None and (not isinstance(new, tuple) or any(g is not None for g in new)):
                        raise KittyRuntimeError(
                            "Backward hook for Modules where no input requires gradient should always return None "
                            "or None for all gradients."
                        )
            else:
                self.grad_outputs = grad_outputs
        return tuple(grad_outputs[i] for i in self.result_slots)

    def _at_inputs(self, grads: tuple):
        grad_outputs, self.grad_outputs = self.grad_outputs, None
        if grad_outputs is None:
            # the gradient reached the inputs without passing the outputs (say, a backward through
            # the inputs only): there is nothing to report, as in torch
            return None
        module = self.module
        grad_inputs = list(_spread(self.arg_slots, grads, self.n_args))
        for i, tensor in self.frozen_args:
            grad_inputs[i] = zeros_like(tensor)
        grad_inputs = tuple(grad_inputs)
        with _grad_mode_for(grads):
            for hook in list(module._backward_hooks.values()):
                new = hook(module, grad_inputs, grad_outputs)
                if new is not None:
                    grad_inputs = _replacement(new, self.n_args, "hook", "grad_input")
        return tuple(grad_inputs[i] for i in self.arg_slots)


def _first_tensor(value):
    """The tensor a legacy backward hook attaches to: the output, or its first tensor entry."""
    while not isinstance(value, Tensor):
        if isinstance(value, dict):
            value = list(value.values())
        if not isinstance(value, (list, tuple)) or not value:
            return None
        value = value[0]
    return value


class LegacyBackwardHook:
    """``Module.register_backward_hook``'s hook, run as a forward hook: each call attaches
    ``hook(module, grad_input, grad_output)`` to the node that produced the module's (first)
    output, so grad_input holds the gradients of that node's inputs only, in that node's order
    (for a module of one op, its inputs; torch's deprecated semantics). A non-None result
    replaces grad_input. Warns, as torch, when the forward ran more than that one node."""

    def __init__(self, hook) -> None:
        self.hook = hook

    def __call__(self, module, inputs: tuple, output):
        tensor = _first_tensor(output)
        node = tensor.grad_fn if tensor is not None else None
        if node is None:
            return None
        fed = {t.grad_fn for t in inputs if isinstance(t, Tensor) and t.grad_fn is not None}
        if fed != {edge[0] for edge in node.next_functions}:
            warnings.warn(
                "register_backward_hook: the module's forward ran more than one autograd node, so the "
                "hook sees only the last node's gradients (grad_input may miss some inputs); "
                "register_full_backward_hook gives the gradients of the module's inputs.",
                FutureWarning,
                stacklevel=2,
            )
        node.register_hook(_ModuleHookOnNode(self.hook, module))
        return None


class _ModuleHookOnNode:
    """``hook(module, grad_input, grad_output)`` as a node hook (named as the user's hook, which
    the engine's errors about its result name)."""

    def __init__(self, hook, module) -> None:
        self.hook, self.module = hook, module
        self.__name__ = getattr(hook, "__name__", type(hook).__name__)

    def __call__(self, grad_input: tuple, grad_output: tuple):
        return self.hook(self.module, grad_input, grad_output)

