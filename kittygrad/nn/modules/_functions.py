"""The machinery behind ``Module.register_full_backward_hook`` / ``..._pre_hook`` (as torch's).

A module with such hooks runs its tensor inputs and outputs through an identity
:class:`BackwardHookFunction`. In backward, the output-side identity receives the gradients with
respect to the module's outputs (the pre-hooks see and may replace them); the input-side
identity receives the gradients with respect to the module's inputs, and calls the hooks with
both (they may replace the input gradients).
"""
from __future__ import annotations

import warnings

from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...creation import zeros_like
from ...errors import KittyRuntimeError
from ...tensor import Tensor


class BackwardHookFunction(Function):
    """Identity on its tensor arguments; its backward runs the hook the module attached."""

    @staticmethod
    def forward(ctx, *args):
        return args

    @staticmethod
    def backward(ctx, *grads):
        hook = ctx.__dict__.get("_bw_hook")
        if hook is not None:
            grads = hook(grads)
        return grads


class BackwardHook:
    """Links the gradients captured at a module's outputs with those at its inputs for one call."""

    def __init__(self, module, user_hooks, user_pre_hooks) -> None:
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.module = module
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size) -> tuple:
        res = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    @staticmethod
    def _unpack_none(indices, values) -> tuple:
        return tuple(values[idx] for idx in indices)

    def _apply_on_tensors(self, attach, args):
        # Only the tensors that require grad go through the identity (torch marks the others
        # non-differentiable); ``tensors_idx`` are their positions among ``args``.
        tensors_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not (tensors_idx and is_grad_enabled()):
            return args, None
        new_tensors = BackwardHookFunction.apply(*[args[i] for i in tensors_idx])
        attach(new_tensors[0].grad_fn)
        arg_list = list(args)
        for idx, val in zip(tensors_idx, new_tensors):
            arg_list[idx] = val
        return tuple(arg_list), tensors_idx

    def setup_input_hook(self, args):
        def attach(node) -> None:
            node._bw_hook = self._input_hook

        res, input_idx = self._apply_on_tensors(attach, args)
        self.n_inputs = len(args)
        self.input_tensors_index = input_idx
        # torch reports zeros for tensor arguments that do not require grad
        self._no_grad_inputs = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor) and not a.requires_grad]
        return res

    def _input_hook(self, grad_input):
        if self.grad_outputs is None:
            # the gradient reached the inputs without passing through the outputs (e.g. a
            # second backward through the inputs only): nothing to report, as torch
            return grad_input
        res = list(self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs))
        for i, a in self._no_grad_inputs:
            res[i] = zeros_like(a)
        res = tuple(res)
        for hook in list(self.user_hooks.values()):
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if not isinstance(out, tuple):
                out = tuple(out) if isinstance(out, list) else (out,)
            if len(out) != len(res):
                raise KittyRuntimeError(
                    "Backward hook returned an invalid number of grad_input, "
                    f"got {len(out)}, but expected {len(res)}"
                )
            res = out
        self.grad_outputs = None
        return self._unpack_none(self.input_tensors_index, res)

    def setup_output_hook(self, args):
        is_tuple = isinstance(args, tuple)
        if not is_tuple:
            args = (args,)

        def attach(node) -> None:
            node._bw_hook = self._output_hook

        res, output_idx = self._apply_on_tensors(attach, args)
        self.n_outputs = len(args)
        self.output_tensors_index = output_idx
        return res if is_tuple else res[0]

    def _output_hook(self, grad_output):
        self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output, self.n_outputs)
        if self.user_pre_hooks:
            expected_len = len(self.grad_outputs)
            for pre_hook in list(self.user_pre_hooks.values()):
                new = pre_hook(self.module, self.grad_outputs)
                if new is None:
                    continue
                if not isinstance(new, tuple):
                    new = tuple(new) if isinstance(new, list) else (new,)
                if len(new) != expected_len:
                    raise KittyRuntimeError(
                        "Backward pre hook returned an invalid number of grad_output, "
                        f"got {len(new)}, but expected {expected_len}"
                    )
                self.grad_outputs = new
        local_grad_outputs = self.grad_outputs
        if self.input_tensors_index is None:
            # no input requires grad: the hooks fire now, with grad_input all None (torch does too)
            warnings.warn(
                "Full backward hook is firing when gradients are computed "
                "with respect to module outputs since no inputs require gradients. See "
                "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook "
                "for more details.",
                stacklevel=5,
            )
            grad_inputs = self._pack_with_none([], [], self.n_inputs)
            for hook in list(self.user_hooks.values()):
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(el is None for el in res)):
                    raise KittyRuntimeError(
                        "Backward hook for Modules where no input requires "
                        "gradient should always return None or None for all gradients."
                    )
            self.grad_outputs = None
        return tuple(local_grad_outputs[i] for i in self.output_tensors_index)
