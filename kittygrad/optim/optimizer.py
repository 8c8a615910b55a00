"""The optimizer base class: parameter groups, per-parameter state, hooks, state dicts.

Updates are written straight into the parameters' arrays (``p._data``) with in-place NumPy
operations, so they never build a graph, parameters keep their identity, and each update
bumps the parameter's version counter like an in-place op would.
"""
from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from .. import _display
from .. import backend as B
from .. import dtypes as D
from ..autograd.grad_mode import _state as _grad_state
from ..autograd.grad_mode import enable_grad
from ..autograd.hooks import RemovableHandle
from ..errors import KittyRuntimeError, KittyTypeError, KittyValueError
from ..tensor import Tensor

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook", "required"]


class _Required:
    """Type of :data:`required`, the default of a hyper-parameter every group must set."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()

# the kinds of hooks an optimizer keeps, each an OrderedDict {handle id: hook}
_HOOK_KINDS = ("step_pre", "step_post", "state_dict_pre", "state_dict_post", "load_pre", "load_post")
# step hooks that run around the step of every optimizer
_EVERY_OPTIMIZER: dict[str, OrderedDict] = {"step_pre": OrderedDict(), "step_post": OrderedDict()}


def _add_hook(table: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
    handle = RemovableHandle(table)
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``.

    >>> h = register_optimizer_step_pre_hook(lambda opt, args, kwargs: None); h.remove()
    """
    return _add_hook(_EVERY_OPTIMIZER["step_pre"], hook)


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``.

    >>> h = register_optimizer_step_post_hook(lambda opt, args, kwargs: None); h.remove()
    """
    return _add_hook(_EVERY_OPTIMIZER["step_post"], hook)


def _type_label(obj) -> str:
    """How torch's error messages name a type (``torch.typename``), in kittygrad's words."""
    if isinstance(obj, Tensor):
        return f"{_display.name}." + {"float32": "FloatTensor", "float64": "DoubleTensor"}.get(obj.dtype.name, "Tensor")
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _run_step(step: Callable) -> Callable:
    """Wrap a subclass's ``step``: hooks around it, grad recording off, the optimizer marked as
    stepped (the schedulers' "scheduler before optimizer" warning reads that mark)."""

    @functools.wraps(step)
    def stepped(self, *args, **kwargs):
        own = self.__dict__
        if own.get("_in_step"):  # a subclass's step calling super().step(): hooks ran already
            return step(self, *args, **kwargs)
        tables = own.get("_hook_tables")
        if tables is None:
            # a wrapper that never called Optimizer.__init__ (Lookahead-style, sharing an inner
            # optimizer's groups): torch wraps step in __init__, so such a step runs bare there
            return step(self, *args, **kwargs)
        self._has_stepped = True
        args = (self, *args)  # torch's hooks see step's arguments with the optimizer first
        if _EVERY_OPTIMIZER["step_pre"] or tables["step_pre"]:
            for hook in (*_EVERY_OPTIMIZER["step_pre"].values(), *tables["step_pre"].values()):
                out = hook(self, args, kwargs)
                if out is None:
                    continue
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise KittyRuntimeError(f"{hook} must return None or a tuple of (new_args, new_kwargs), but got {out}.")
                args, kwargs = out
        self._in_step = True
        # no_grad's switch, without its context object (a fifth of a plain SGD step's Python)
        modes, _grad_state.enabled = (_grad_state.enabled, _grad_state.inference), False
        try:
            result = step(*args, **kwargs)
        finally:
            _grad_state.enabled, _grad_state.inference = modes
            self._in_step = False
        if tables["step_post"] or _EVERY_OPTIMIZER["step_post"]:
            for hook in (*tables["step_post"].values(), *_EVERY_OPTIMIZER["step_post"].values()):
                hook(self, args, kwargs)
        return result

    stepped._kitty_step = True  # type: ignore[attr-defined]
    return stepped


class Optimizer:
    """Base class of all optimizers, as ``torch.optim.Optimizer``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts that each
    define a parameter group (a ``"params"`` entry plus hyper-parameters overriding
    ``defaults``). Subclasses implement :meth:`step`.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = kitty.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8000, 1.6000], requires_grad=True)
    """

    param_groups: list[dict[str, Any]]
    state: defaultdict

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own_step = cls.__dict__.get("step")
        if own_step is not None and not getattr(own_step, "_kitty_step", False):
            cls.step = _run_step(own_step)

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._hook_tables: dict[str, OrderedDict] = {kind: OrderedDict() for kind in _HOOK_KINDS}
        if isinstance(params, Tensor):
            raise KittyTypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got " + _type_label(params)
            )
        if defaults.get("differentiable"):
            raise KittyRuntimeError(
                "differentiable=True is not supported by kittygrad's optimizers: the update is applied "
                "in place outside the graph"
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        entries = list(params)
        if not entries:
            raise KittyValueError("optimizer got an empty parameter list")
        groups = entries if isinstance(entries[0], dict) else [{"params": entries}]
        for group in groups:
            self.add_param_group(group)

    # ---- pickling and printing -----------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        if "_hook_tables" not in vars(self):  # hooks are not pickled: an unpickled copy has none
            self._hook_tables = {kind: OrderedDict() for kind in _HOOK_KINDS}
        if "differentiable" not in self.defaults:  # as torch, which fills it in for older pickles
            self.defaults["differentiable"] = False

    def __repr__(self) -> str:
        blocks = []
        for i, group in enumerate(self.param_groups):
            rows = [f"Parameter Group {i}"] + [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
            blocks.append("\n".join(rows) + "\n")
        return f"{type(self).__name__} (" + "".join("\n" + b for b in blocks) + ")"

    # ---- groups ---------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own hyper-parameters) to optimize.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1)
        >>> opt.add_param_group({"params": [kitty.zeros(2, requires_grad=True)], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise KittyTypeError(f"param_group must be a dict, but got {type(param_group)}")
        given = param_group["params"]
        if isinstance(given, set):
            raise KittyTypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering "
                "of tensors in sets will change between runs. Please use a list instead."
            )
        entries = [given] if isinstance(given, Tensor) else list(given)
        names = [e[0] for e in entries if isinstance(e, tuple)]
        tensors = [e[1] if isinstance(e, tuple) else e for e in entries]
        param_group["params"] = tensors
        if names:
            if len(names) != len(entries):
                raise KittyValueError(
                    "all optimizer params should be with/without names. Some param names are missing"
                )
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise KittyTypeError("optimizer can only optimize Tensors, but one of the params is " + _type_label(p))
            if not (p.is_leaf or p.retains_grad):
                raise KittyValueError("can't optimize a non-leaf Tensor")
        unset = [key for key, value in self.defaults.items() if value is required and key not in param_group]
        if unset:
            raise KittyValueError(
                f"parameter group didn't specify a value of required optimization parameter {unset[0]}"
            )
        for key, value in self.defaults.items():
            param_group.setdefault(key, value)
        if len({id(p) for p in tensors}) < len(tensors):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will "
                "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )
        named = "param_names" in param_group
        if any(("param_names" in g) != named for g in self.param_groups):
            raise KittyValueError(
                "all optimizer param groups should be with/without names. "
                f"cannot add param group {'with names' if named else 'without names'} to the optimizer"
            )
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in tensors):
            raise KittyValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients ------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors (to ``None`` by default, else to zeros).

        >>> import kittygrad as kitty
        >>> w = kitty.ones(2, requires_grad=True); opt = kitty.optim.SGD([w], lr=0.1)
        >>> w.sum().backward(); opt.zero_grad(); print(w.grad)
        None
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                    continue
                if g._grad_fn is not None:
                    g.detach_()
                else:
                    g._requires_grad = False
                if g._data.flags.writeable:
                    g._data[...] = 0
                else:  # a read-only array the user assigned: replace it
                    g._data = B.xp.zeros_like(g._data)
                g._vc[0] += 1

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    def _closure_loss(self, closure):
        # the step runs under no_grad, but the closure must record a graph to backpropagate
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ---- hooks ----------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each ``step``; it may return new args."""
        return _add_hook(self._hook_tables["step_pre"], hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each ``step``."""
        return _add_hook(self._hook_tables["step_post"], hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer)`` before :meth:`state_dict` builds the state."""
        return _add_hook(self._hook_tables["state_dict_pre"], hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` on the built state; a returned dict replaces it."""
        return _add_hook(self._hook_tables["state_dict_post"], hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` before loading; a returned dict is loaded instead."""
        return _add_hook(self._hook_tables["load_pre"], hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer)`` once :meth:`load_state_dict` is done."""
        return _add_hook(self._hook_tables["load_post"], hook, prepend)

    # ---- state dicts ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in torch's format.

        ``"state"`` maps each parameter's index (counted across groups, in order) to its state;
        ``"param_groups"`` lists the groups with ``"params"`` as lists of those indices. The
        tensors are the optimizer's own (not copies), as in torch.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1)
        >>> opt.state_dict()["param_groups"][0]["params"]
        [0]
        """
        for hook in self._hook_tables["state_dict_pre"].values():
            hook(self)
        # a parameter's index is its first position in the groups laid end to end
        slot: dict[int, int] = {}
        for position, p in enumerate(p for g in self.param_groups for p in g["params"]):
            slot.setdefault(id(p), position)
        groups = []
        for group in self.param_groups:
            saved = dict(group)
            del saved["params"]
            saved["params"] = [slot[id(p)] for p in group["params"]]
            groups.append(saved)
        state = {(slot[id(p)] if isinstance(p, Tensor) else p): v for p, v in self.state.items()}
        out = {"state": state, "param_groups": groups}
        for hook in self._hook_tables["state_dict_post"].values():
            replaced = hook(self, out)
            if replaced is not None:
                out = replaced
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state produced by :meth:`state_dict` (tensors are copied, cast to the parameters' dtype).

        >>> import kittygrad as kitty
        >>> w = kitty.zeros(1, requires_grad=True)
        >>> a = kitty.optim.SGD([w], lr=0.1); b = kitty.optim.SGD([w], lr=0.5)
        >>> b.load_state_dict(a.state_dict()); b.param_groups[0]["lr"]
        0.1
        """
        state_dict = dict(state_dict)
        for hook in self._hook_tables["load_pre"].values():
            replaced = hook(self, state_dict)
            if replaced is not None:
                state_dict = replaced
        loaded = copy.deepcopy(state_dict["param_groups"])
        if len(loaded) != len(self.param_groups):
            raise KittyValueError("loaded state dict has a different number of parameter groups")
        pairs = list(zip(self.param_groups, loaded))
        if any(len(mine["params"]) != len(theirs["params"]) for mine, theirs in pairs):
            raise KittyValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        param_at = {i: p for mine, theirs in pairs for i, p in zip(theirs["params"], mine["params"])}
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in param_at:
                state[param_at[key]] = _state_copy(param_at[key], value)
            else:  # not a parameter's index: kept as saved
                state[key] = value
        for mine, theirs in pairs:
            theirs["params"] = mine["params"]
            if "param_names" in mine:
                theirs.setdefault("param_names", mine["param_names"])
        self.__setstate__({"state": state, "param_groups": loaded})
        for hook in self._hook_tables["load_post"].values():
            hook(self)


def step_counter(value: float = 0.0) -> Tensor:
    """A parameter's step count as torch keeps it: a 0-d float tensor (float64 only under a
    float64 default dtype), which optimizers read back as a Python float."""
    dt = D.float64 if D.get_default_dtype() is D.float64 else D.float32
    return Tensor._wrap(B.xp.full((), value, dtype=dt.np))


def _state_copy(param: Tensor, value, key=None):
    """A loaded state value, copied; tensors other than ``step`` take the parameter's float dtype."""
    if isinstance(value, Tensor):
        cast = key != "step" and B.is_float(param._data.dtype)
        return Tensor._wrap(value._data.astype(param._data.dtype) if cast else value._data.copy())
    if isinstance(value, dict):
        out = {k: _state_copy(param, v, k) for k, v in value.items()}
        if key is None and "step" in out and not isinstance(out["step"], Tensor):
            out["step"] = step_counter(float(out["step"]))  # a checkpoint that saved a plain number
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_state_copy(param, v) for v in value)
    return value
