"""``Module``: the base class of every layer, with torch.nn.Module's behaviour.

A module keeps three registries — ``_parameters``, ``_buffers`` and ``_modules`` (torch's names,
which user code and checkpoints rely on). Assigning a ``Parameter``, a ``Module`` or a ``Buffer``
as an attribute files it in the matching registry; attribute lookup falls back to them. Everything
else — ``parameters()``, ``state_dict()``, ``to()``, ``train()``, the printed tree — walks them.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, Callable, NamedTuple

from ... import creation as C
from ... import dtypes as D
from ...autograd.grad_mode import no_grad
from ...compiler import compile as compile_model
from ...device import asks_for_meta, check_device, parse_to
from ...autograd.hooks import RemovableHandle
from ...errors import KittyRuntimeError
from ...tensor import Tensor
from ..parameter import Buffer, Parameter
from ._functions import GradRelay, LegacyBackwardHook
from ._global_hooks import global_forward_hooks, global_forward_pre_hooks, global_hook_options
from ._global_hooks import register_module_forward_hook, register_module_forward_pre_hook
from ._module_casts import ModuleCasts

__all__ = ["Module", "register_module_forward_hook", "register_module_forward_pre_hook"]

#: the registries, in the order attribute lookup searches them
_REGISTRIES = ("_parameters", "_buffers", "_modules")
#: the hook tables, under torch's attribute names (code that inspects them keeps working)
_HOOK_TABLES = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks", "_state_dict_pre_hooks",
                "_state_dict_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks")
_EXTRA_STATE = "_extra_state"
#: how error messages name an entry of each registry, and what it accepts
_ROLE = {"_parameters": "parameter", "_modules": "child module", "_buffers": "buffer"}
_EXPECTED = {
    "_parameters": "torch.nn.Parameter or None",
    "_modules": "torch.nn.Module or None",
    "_buffers": "torch.nn.Buffer, torch.Tensor or None",
}
#: options of a hook registered with none: (with_kwargs, always_call)
_PLAIN_HOOK = (False, False)
_ABSENT = object()
#: torch's texts: a load that matched every key; the base get/set_extra_state reached (they are for overriding)
_ALL_KEYS_MATCHED = "<All keys matched successfully>"
_UNREACHABLE = "Reached a code path in Module.{}() that should never be called. Please file an issue"


def _fresh_internals() -> dict:
    """The bookkeeping a new module starts with (also the defaults an old pickle may lack)."""
    state = {"training": True, "_parameters": {}, "_buffers": {}, "_non_persistent_buffers_set": set(),
             "_modules": {}, "_hook_options": {}}
    state.update((table, OrderedDict()) for table in _HOOK_TABLES)
    return state


class _IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` could not match, as ``(missing_keys, unexpected_keys)``.

    >>> _IncompatibleKeys([], [])
    <All keys matched successfully>
    >>> _IncompatibleKeys(["w"], [])
    _IncompatibleKeys(missing_keys=['w'], unexpected_keys=[])
    """

    missing_keys: list
    unexpected_keys: list

    def __repr__(self) -> str:
        if self.missing_keys or self.unexpected_keys:
            return f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"
        return _ALL_KEYS_MATCHED

    __str__ = __repr__


def _type_label(obj) -> str:
    """How error messages name the type of ``obj`` (a tensor says its tensor type, as torch)."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ in ("builtins", None) else f"{cls.__module__}.{cls.__qualname__}"


def _indent_tail(text: str, spaces: int) -> str:
    """``text`` with every line but the first indented by ``spaces`` (a child inside its parent's repr)."""
    return text.replace("\n", "\n" + " " * spaces)


def _key_list_line(kind: str, keys: list) -> str:
    quoted = ", ".join(f'"{key}"' for key in keys)
    return f"{kind} key(s) in state_dict: {quoted}. "


def _missing_forward(self, *input: Any) -> None:
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module(ModuleCasts):
    """Base class for all neural-network modules; subclasses define ``forward``.

    >>> import kittygrad as kitty
    >>> class Net(kitty.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()  # first: it creates the registries
    ...         self.fc = kitty.nn.Linear(3, 2)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['fc.weight', 'fc.bias']
    >>> net(kitty.zeros(4, 3)).shape
    kittygrad.Size([4, 2])
    """

    training: bool
    _version: int = 1
    call_super_init: bool = False
    dump_patches: bool = False

    forward: Callable[..., Any] = _missing_forward

    def __init__(self, *args, **kwargs) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were given")
        # straight into __dict__: __setattr__ reads these very registries
        self.__dict__.update(_fresh_internals())

    # ---- attribute registration ---------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        # only reached when ordinary lookup fails: parameters, buffers and children live in the registries
        d = self.__dict__
        for registry in _REGISTRIES:
            table = d.get(registry)
            if table is not None and name in table:
                return table[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _claim(self, name: str, keep: str, what: str) -> None:
        """Make ``name`` free for the registry ``keep``: drop it from the plain attributes and the other
        registries (assigning a module where a parameter was replaces the parameter, as torch)."""
        d = self.__dict__
        if keep not in d:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")
        d.pop(name, None)
        for registry in _REGISTRIES:
            if registry != keep:
                d[registry].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        # torch's precedence: for parameters, then children, then buffers, a value of that kind is
        # filed there, and a name already registered there only takes a value of its kind (or None)
        d = self.__dict__
        for registry, kind in _KINDS:
            if isinstance(value, kind):
                break
            if name in d.get(registry, ()):
                if value is None or (kind is Buffer and isinstance(value, Tensor)):
                    break
                raise TypeError(f"cannot assign '{_type_label(value)}' as {_ROLE[registry]} '{name}' ({_EXPECTED[registry]} expected)")
        else:
            object.__setattr__(self, name, value)
            return
        if registry == "_buffers":
            keep = value.persistent if isinstance(value, Buffer) else name not in d["_non_persistent_buffers_set"]
            self.register_buffer(name, value, keep)
            return
        if value is not None:
            self._claim(name, registry, "parameters" if registry == "_parameters" else "module")
        if registry == "_modules":
            d["_modules"][name] = value
        else:  # register_parameter checks the value (a leaf Parameter, or None)
            self.register_parameter(name, param=value)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for registry in _REGISTRIES:
            table = d.get(registry)
            if table is not None and name in table:
                del table[name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        names = set(object.__dir__(self))
        for registry in _REGISTRIES:
            names.update(self.__dict__[registry])
        return sorted(n for n in names if not n[0].isdigit())

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for key, default in _fresh_internals().items():
            self.__dict__.setdefault(key, default)

    def _check_new_name(self, name: Any, registry: str, what: str) -> dict:
        """The rules every registered name follows (torch's messages, for parameters and buffers);
        returns the registry."""
        d = self.__dict__
        if registry not in d:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string. Got {_type_label(name)}")
        if "." in name:
            raise KeyError(f'{what} name can\'t contain "."')
        if not name:
            raise KeyError(f'{what} name can\'t be empty string ""')
        if name not in d[registry] and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")
        return d[registry]

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state that is not a parameter (e.g. running statistics).

        Persistent buffers are part of ``state_dict``.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Module(); m.register_buffer("steps", kitty.zeros(1))
        >>> list(m.state_dict())
        ['steps']
        """
        table = self._check_new_name(name, "_buffers", "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_type_label(tensor)}' object to buffer '{name}' (torch Tensor or None required)")
        table[name] = tensor
        skipped = self._non_persistent_buffers_set
        (skipped.discard if persistent else skipped.add)(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None) under ``name``.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Module(); m.register_parameter("w", kitty.nn.Parameter(kitty.zeros(2)))
        >>> [n for n, _ in m.named_parameters()]
        ['w']
        """
        table = self._check_new_name(name, "_parameters", "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_type_label(param)}' object to parameter '{name}' (torch.nn.Parameter or None required)"
            )
        if param is not None and param._grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created explicitly. "
                f"To express '{name}' as a function of another Tensor, compute the value in the forward() method."
            )
        table[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (the same as assigning the attribute).

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Module(); m.add_module("act", kitty.nn.ReLU())
        >>> m
        Module(
          (act): ReLU()
        )
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_type_label(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_type_label(name)}")
        if name not in self._modules and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if not name:
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` (``''`` is the module itself).

        >>> import kittygrad as kitty
        >>> kitty.nn.Sequential(kitty.nn.Tanh()).get_submodule("0")
        Tanh()
        """
        here: Module = self
        for step in target.split(".") if target else ():
            child = getattr(here, step, _ABSENT)
            if child is _ABSENT:
                raise AttributeError(f"{here._get_name()} has no attribute `{step}`")
            if not isinstance(child, Module):
                raise AttributeError(f"`{step}` is not an nn.Module")
            here = child
        return here

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at dotted path ``target``: the parent must exist; without ``strict`` a new
        child may be created, with it only an existing one is replaced.

        >>> import kittygrad as kitty
        >>> net = kitty.nn.Sequential(kitty.nn.Linear(2, 2))
        >>> net.set_submodule("0", kitty.nn.Tanh()); net
        Sequential(
          (0): Tanh()
        )
        """
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        present = hasattr(parent, name)
        if strict and not present:
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if present and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def _owner_and_value(self, target: str) -> tuple[Module, str, Any]:
        """For dotted ``target``: the module that holds the last name, that name, and its value."""
        path, _, name = target.rpartition(".")
        owner = self.get_submodule(path)
        if not hasattr(owner, name):
            raise AttributeError(f"{owner._get_name()} has no attribute `{name}`")
        return owner, name, getattr(owner, name)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target``.

        >>> import kittygrad as kitty
        >>> kitty.nn.Sequential(kitty.nn.Linear(2, 3)).get_parameter("0.bias").shape
        kittygrad.Size([3])
        """
        _, name, value = self._owner_and_value(target)
        if not isinstance(value, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return value

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target``.

        >>> import kittygrad as kitty
        >>> kitty.nn.BatchNorm1d(2).get_buffer("running_mean")
        tensor([0., 0.])
        """
        owner, name, value = self._owner_and_value(target)
        if name not in owner._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return value

    def get_extra_state(self) -> Any:
        """Override (with ``set_extra_state``) to put extra, non-tensor state in ``state_dict``."""
        raise RuntimeError(_UNREACHABLE.format("get_extra_state"))

    def set_extra_state(self, state: Any) -> None:
        """Override (with ``get_extra_state``) to restore what ``get_extra_state`` saved."""
        raise RuntimeError(_UNREACHABLE.format("set_extra_state"))

    # ---- iteration ----------------------------------------------------------------------------
    # Each public walk is a generator function of its own, as in torch: a tutorial that prints
    # `model.parameters()` shows `<generator object Module.parameters at ...>`.
    def _registry_walk(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        """(dotted name, value) for the set entries of one registry, here or in the whole tree."""
        owners = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else ((prefix, self),)
        seen = set()
        for owner_name, owner in owners:
            lead = owner_name + "." if owner_name else ""
            for name, value in owner.__dict__[registry].items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield lead + name, value

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The module's parameters (each once), children's included when ``recurse``.

        >>> import kittygrad as kitty
        >>> [tuple(p.shape) for p in kitty.nn.Linear(3, 2).parameters()]
        [(2, 3), (2,)]
        """
        for _, p in self._registry_walk("_parameters", "", recurse, True):
            yield p

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs.

        >>> import kittygrad as kitty
        >>> [n for n, _ in kitty.nn.Sequential(kitty.nn.Linear(3, 2)).named_parameters()]
        ['0.weight', '0.bias']
        """
        yield from self._registry_walk("_parameters", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The module's buffers (running statistics and the like).

        >>> import kittygrad as kitty
        >>> len(list(kitty.nn.BatchNorm1d(3).buffers()))
        3
        """
        for _, b in self._registry_walk("_buffers", "", recurse, True):
            yield b

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, buffer)`` pairs.

        >>> import kittygrad as kitty
        >>> [n for n, _ in kitty.nn.BatchNorm1d(3).named_buffers()]
        ['running_mean', 'running_var', 'num_batches_tracked']
        """
        yield from self._registry_walk("_buffers", prefix, recurse, remove_duplicate)

    def children(self) -> Iterator[Module]:
        """The direct submodules (each once).

        >>> import kittygrad as kitty
        >>> [type(m).__name__ for m in kitty.nn.Sequential(kitty.nn.ReLU(), kitty.nn.Tanh()).children()]
        ['ReLU', 'Tanh']
        """
        for _, m in self.named_children():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the direct submodules (each once)."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def modules(self) -> Iterator[Module]:
        """This module and all below it, each once."""
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True):
        """``(dotted name, module)`` for this module (name ``prefix``) and all below it, depth first.

        >>> import kittygrad as kitty
        >>> [n for n, _ in kitty.nn.Sequential(kitty.nn.Linear(2, 2), kitty.nn.ReLU()).named_modules()]
        ['', '0', '1']
        """
        memo = set() if memo is None else memo
        todo = [(prefix, self)]  # an explicit stack: deep trees never hit the recursion limit
        while todo:
            name, module = todo.pop()
            if module in memo:
                continue
            if remove_duplicate:
                memo.add(module)
            yield name, module
            lead = name + "." if name else ""
            todo.extend((lead + key, child) for key, child in reversed(module._modules.items()) if child is not None)

    # ---- modes and gradients ------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch norm uses batch statistics) here and below.

        >>> import kittygrad as kitty
        >>> kitty.nn.Dropout().train(False).training
        False
        """
        if type(mode) is not bool:
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for child in self.children():
            child.train(mode)  # through each child's train(), which a subclass may override
        return self

    def eval(self) -> Module:
        """``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter (freeze or unfreeze).

        >>> import kittygrad as kitty
        >>> kitty.nn.Linear(2, 2).requires_grad_(False).weight.requires_grad
        False
        """
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the parameters' gradients: to None (default) or to zeros.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Linear(2, 1); m(kitty.ones(1, 2)).sum().backward(); m.zero_grad()
        >>> m.weight.grad is None
        True
        """
        for param in self.parameters():
            grad = param._grad
            if grad is None:
                continue
            if set_to_none:
                param._grad = None
                continue
            # a gradient built with create_graph leaves its graph before it is zeroed in place
            if grad._grad_fn is None:
                grad.requires_grad_(False)
            else:
                grad.detach_()
            grad.zero_()

    def share_memory(self) -> Module:
        """Mark every parameter, gradient and buffer shared (see Tensor.share_memory_: kittygrad's
        tensors live in one process's memory, so nothing moves) and return the module."""
        for t in [*self.parameters(), *self.buffers()]:
            t.share_memory_()
            if t.grad is not None:
                t.grad.share_memory_()
        return self

    # ---- conversion ---------------------------------------------------------------------------
    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> Module:
        """Replace every parameter's data, gradient and buffer by ``fn`` of it (children first).

        Parameters keep their identity (optimizers hold them) and take the new data in place.
        """
        if recurse:
            for child in self.children():
                child._apply(fn)
        with no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                data = fn(param)._data
                if data is not param._data:
                    param._data = data
                    param._vc[0] += 1
                if param._grad is not None:
                    grad = fn(param._grad)._data
                    if grad is not param._grad._data:
                        param._grad = Tensor._wrap(grad)
            buffers = self._buffers
            for key, buf in buffers.items():
                if buf is not None:
                    buffers[key] = fn(buf)
        return self

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and on this module.

        >>> import kittygrad as kitty
        >>> net = kitty.nn.Sequential(kitty.nn.Linear(2, 2))
        >>> _ = net.apply(lambda m: kitty.nn.init.zeros_(m.weight) if isinstance(m, kitty.nn.Linear) else None)
        >>> net[0].weight.sum().item()
        0.0
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _cast_floats(self, dtype) -> Module:
        """Cast the floating-point parameters and buffers to ``dtype``; integer ones stay."""
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def to(self, *args, **kwargs) -> Module:
        """Move and/or cast the parameters and buffers, with torch's overloads:
        ``to(device=None, dtype=None, non_blocking=False)``, ``to(dtype, non_blocking=False)``,
        ``to(tensor, non_blocking=False)`` and ``to(memory_format=...)``. Only floating-point
        parameters and buffers take the dtype; the CPU is the only device (a GPU device raises).

        >>> import kittygrad as kitty
        >>> kitty.nn.Linear(2, 2).to("cpu", kitty.float64).weight.dtype
        kittygrad.float64
        """
        if asks_for_meta(args, kwargs):  # parameters without data: a skeleton for func.functional_call
            return self._apply(lambda t: t.to(*args, **kwargs))
        _, dtype, _, _, fmt = parse_to(args, kwargs, Tensor)  # a device other than the CPU raises here
        if fmt is not None:  # torch relays only the 4-d and 5-d tensors (convolution weights)
            self._apply(lambda t: t.to(memory_format=fmt) if t.dim() in (4, 5) else t)
        if dtype is None:
            return self
        if D.to_dtype(dtype).is_floating_point:  # (to_dtype refuses the complex dtypes kittygrad lacks)
            return self._cast_floats(dtype)
        raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}")

    def to_empty(self, *, device, recurse: bool = True) -> Module:
        """Replace every parameter's and buffer's data by an uninitialised tensor of the same shape
        and dtype on ``device`` (the CPU); ``recurse=False`` leaves the submodules alone.

        >>> import kittygrad as kitty
        >>> kitty.nn.Linear(2, 3).to_empty(device="cpu").weight.shape
        kittygrad.Size([3, 2])
        """
        check_device(device, "to_empty")
        return self._apply(lambda t: C.empty_like(t), recurse=recurse)

    def n_parameters(self, trainable_only: bool = False) -> int:
        """The number of parameter elements (each shared parameter counted once); with
        ``trainable_only``, only those of parameters that require grad (the seed's helper).

        >>> import kittygrad as kitty
        >>> kitty.nn.Linear(3, 2).n_parameters()
        8
        """
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    # ---- state dict ---------------------------------------------------------------------------
    def _own_state(self) -> Iterator[tuple[str, Tensor]]:
        """(name, tensor) of this module's set parameters, then its set persistent buffers."""
        for name, param in self._parameters.items():
            if param is not None:
                yield name, param
        skipped = self._non_persistent_buffers_set
        for name, buf in self._buffers.items():
            if buf is not None and name not in skipped:
                yield name, buf

    def _has_extra_state(self) -> bool:
        return type(self).get_extra_state is not Module.get_extra_state

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """Put this module's own entries (not its children's) in ``destination``; torch's override
        point, which subclasses may extend."""
        for name, value in self._own_state():
            destination[prefix + name] = value if keep_vars else value.detach()
        if self._has_extra_state():
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False) -> dict:
        """An ordered dict of every parameter and persistent buffer, by dotted name (detached,
        sharing memory with the module).

        >>> import kittygrad as kitty
        >>> list(kitty.nn.Linear(2, 3).state_dict())
        ['weight', 'bias']
        """
        if args:  # torch's deprecated positional form: state_dict(destination, prefix, keep_vars)
            warnings.warn("Positional args are being deprecated, use kwargs instead: "
                          "state_dict(destination=..., prefix=..., keep_vars=...)", FutureWarning, stacklevel=2)
            destination, prefix, keep_vars = (args + (destination, prefix, keep_vars)[len(args):])[:3]
        if destination is None:
            out = OrderedDict()
            # each module's version, by prefix, as torch records it (checkpoints carry it)
            out._metadata = versions = OrderedDict()
        else:
            out, versions = destination, getattr(destination, "_metadata", None)
        local_metadata = {"version": self._version}
        if versions is not None:
            versions[prefix[:-1]] = local_metadata
        for hook in self.__dict__.get("_state_dict_pre_hooks", {}).values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(out, prefix, keep_vars)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination=out, prefix=f"{prefix}{name}.", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            replaced = hook(self, out, prefix, local_metadata)
            if replaced is not None:
                out = replaced
        return out

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs) -> None:
        """Load this module's own entries from ``state_dict`` (torch's override point).

        Missing and unexpected keys and per-entry problems are appended to the given lists;
        ``local_metadata["assign_to_params_buffers"]`` asks to assign instead of copying.
        """
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        assign = local_metadata.get("assign_to_params_buffers", False)
        own = dict(self._own_state())
        for name, current in own.items():
            key = prefix + name
            if key in state_dict:
                problem = self._load_entry(name, key, current, state_dict[key], assign)
                if problem:
                    error_msgs.append(problem)
            elif strict:
                missing_keys.append(key)
        extra_key = prefix + _EXTRA_STATE
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if not strict:
            return
        for key in state_dict:
            if key == extra_key or not key.startswith(prefix):
                continue
            head, dot, _ = key[len(prefix):].partition(".")
            if head not in (self._modules if dot else own):
                unexpected_keys.append(key)

    def _load_entry(self, name: str, key: str, current: Tensor, value: Any, assign: bool) -> str | None:
        """Copy (or assign) one checkpoint value into this module; what went wrong, or None."""
        tensor_like = isinstance(value, Tensor)
        if not tensor_like:
            return (
                f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like object from '
                f"checkpoint but received {type(value)}"
            )
        if current.dim() == 0 and value.dim() == 1:
            # old checkpoints (PyTorch before 0.4) stored scalars, e.g. a BatchNorm's
            # num_batches_tracked, as 1-element vectors; torch loads their first element
            value = value[0]
        if value.shape != current.shape:
            return (
                f"size mismatch for {key}: copying a param with shape {value.shape} from checkpoint, the shape "
                f"in current model is {current.shape}."
            )
        if current.is_meta and not value.is_meta and not assign:  # a skeleton has nowhere to copy to
            warnings.warn(f"for {key}: copying from a non-meta parameter in the checkpoint to a meta parameter in the "
                          "current model, which is a no-op. (Did you mean to pass `assign=True` to assign items in the "
                          "state dictionary to their corresponding key in the module instead of copying them in place?)")
            return None
        try:
            with no_grad():
                if not assign:
                    current.copy_(value)
                    return None
                if isinstance(current, Parameter):  # a parameter stays one, with its requires_grad
                    value = value if isinstance(value, Parameter) else Parameter(value)
                    value.requires_grad_(current.requires_grad)
                setattr(self, name, value)
        except Exception as ex:  # noqa: BLE001 - reported with the key, as torch does
            return (
                f'While copying the parameter named "{key}", whose dimensions in the model are {current.shape} '
                f"and whose dimensions in the checkpoint are {value.shape}, an exception occurred : {ex.args}."
            )
        return None

    def _load_subtree(self, entries: dict, prefix: str, metadata, assign: bool, report: _IncompatibleKeys, errors: list) -> None:
        """Load ``entries`` (the keys under ``prefix``) into this module, then into each child the keys
        under its own prefix; each module's load post-hooks run once its subtree is loaded."""
        local_metadata = dict(metadata.get(prefix[:-1], {})) if metadata is not None else {}
        if assign:
            local_metadata["assign_to_params_buffers"] = True
        self._load_from_state_dict(entries, prefix, local_metadata, True, report.missing_keys, report.unexpected_keys, errors)
        # one pass sorts the keys by the child they belong to
        by_child: dict = {name: {} for name, child in self._modules.items() if child is not None}
        start = len(prefix)
        for key, value in entries.items():
            head, dot, _ = key[start:].partition(".")
            if dot and head in by_child:
                by_child[head][key] = value
        for name, sub_entries in by_child.items():
            self._modules[name]._load_subtree(sub_entries, f"{prefix}{name}.", metadata, assign, report, errors)
        for hook in self._load_state_dict_post_hooks.values():
            if hook(self, report) is not None:
                raise AssertionError("load_state_dict post hooks should return None")

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from ``state_dict`` into this module (values are copied in
        place; shapes must match). With ``strict``, every missing and unexpected key is reported,
        together with every shape mismatch, in one RuntimeError.

        >>> import kittygrad as kitty
        >>> a, b = kitty.nn.Linear(2, 2), kitty.nn.Linear(2, 2)
        >>> b.load_state_dict(a.state_dict())
        <All keys matched successfully>
        """
        entries = OrderedDict(state_dict) if isinstance(state_dict, Mapping) else None
        if entries is None:
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        report = _IncompatibleKeys([], [])
        errors: list = []
        self._load_subtree(entries, "", getattr(state_dict, "_metadata", None), assign, report, errors)
        if strict:  # the key lists come first, missing before unexpected
            kinds = (("Missing", report.missing_keys), ("Unexpected", report.unexpected_keys))
            errors = [_key_list_line(kind, keys) for kind, keys in kinds if keys] + errors
        if errors:
            raise KittyRuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        return report

    def register_state_dict_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after ``state_dict()``; a
        non-None result replaces the state dict.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Linear(1, 1)
        >>> h = m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd.pop("bias") and None)
        >>> list(m.state_dict())
        ['weight']
        """
        return self._add_hook("_state_dict_hooks", hook)

    _register_state_dict_hook = register_state_dict_post_hook  # torch's private name, which libraries use

    def register_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before ``state_dict()`` collects this module's entries."""
        return self._add_hook("_state_dict_pre_hooks", hook)

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False) -> RemovableHandle:
        """Call ``hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` (``module`` first with ``with_module``) before this module loads its entries; it may
        edit ``state_dict`` in place (rename legacy keys): torch's private form, which libraries use."""
        return self._add_hook("_load_state_dict_pre_hooks", (lambda *args: hook(self, *args)) if with_module else hook)

    def register_load_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before the module loads its entries; it may edit
        ``state_dict`` in place.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Linear(1, 1)
        >>> def rename(mod, sd, prefix, *rest):
        ...     sd[prefix + "weight"] = sd.pop(prefix + "w")
        >>> h = m.register_load_state_dict_pre_hook(rename)
        >>> m.load_state_dict({"w": kitty.ones(1, 1), "bias": kitty.zeros(1)})
        <All keys matched successfully>
        """
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` once the module and its children are loaded; the
        hook may edit ``incompatible_keys`` in place (e.g. clear expected missing keys).

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Linear(1, 1)
        >>> h = m.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
        >>> m.load_state_dict({"weight": kitty.zeros(1, 1)})
        <All keys matched successfully>
        """
        return self._add_hook("_load_state_dict_post_hooks", hook)

    # ---- hooks and calling --------------------------------------------------------------------
    def compile(self, *args, **kwargs) -> None:
        """Compile the module's calls in place (torch's ``Module.compile``): kittygrad runs eagerly, so
        this only checks the arguments, as :func:`kittygrad.compile` does, and returns None.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Linear(2, 1)
        >>> m.compile(mode="reduce-overhead")
        >>> m(kitty.ones(1, 2)).shape
        kittygrad.Size([1, 1])
        """
        compile_model(self, *args, **kwargs)

    def _add_hook(self, table: str, hook: Callable, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False) -> RemovableHandle:
        """File ``hook`` in one of the hook tables; the handle removes it again."""
        hooks = self.__dict__[table]
        # (a plain RemovableHandle, as torch returns; it also forgets the hook's options)
        handle = RemovableHandle(hooks, extra_dict=self._hook_options)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        if with_kwargs or always_call:
            self._hook_options[handle.id] = (with_kwargs, always_call)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before ``forward``; a non-None result replaces the args
        (with ``with_kwargs``: ``hook(module, args, kwargs)`` returning ``(args, kwargs)``).

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Identity()
        >>> h = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        >>> m(kitty.ones(1))
        tensor([2.])
        """
        return self._add_hook("_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; a non-None result replaces the output.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Identity()
        >>> h = m.register_forward_hook(lambda mod, args, out: out + 1)
        >>> m(kitty.zeros(1))
        tensor([1.])
        """
        return self._add_hook("_forward_hooks", hook, prepend, with_kwargs, always_call)

    def register_backward_hook(self, hook) -> RemovableHandle:
        """Deprecated (use :meth:`register_full_backward_hook`): ``hook(module, grad_input,
        grad_output)`` with the gradients of the node that produced the output, as torch's.

        >>> import kittygrad as kitty
        >>> h = kitty.nn.ReLU().register_backward_hook(lambda mod, gin, gout: None); h.remove()
        """
        self._one_kind_of_backward_hook(legacy=True)
        return self._add_hook("_forward_hooks", LegacyBackwardHook(hook))

    def _one_kind_of_backward_hook(self, legacy: bool) -> None:
        legacy_held = any(isinstance(h, LegacyBackwardHook) for h in self._forward_hooks.values())
        if (self._backward_hooks and legacy) or (legacy_held and not legacy):
            raise KittyRuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a single Module. Please use only "
                "one of them."
            )

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` once the gradients with respect to the
        module's positional tensor inputs are computed; a non-None result (a tuple, one entry per
        positional argument) replaces ``grad_input``. Entries for arguments that are not tensors,
        or do not require grad, are None.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Linear(2, 1)
        >>> h = m.register_full_backward_hook(lambda mod, gin, gout: (kitty.zeros_like(gin[0]),))
        >>> x = kitty.ones(1, 2, requires_grad=True); m(x).sum().backward(); x.grad
        tensor([[0., 0.]])
        """
        self._one_kind_of_backward_hook(legacy=False)
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients with respect to the module's
        outputs arrive; a non-None result replaces ``grad_output`` (before the module's own
        backward and its full backward hooks see it).

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Identity()
        >>> h = m.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 3,))
        >>> x = kitty.ones(2, requires_grad=True); m(x).sum().backward(); x.grad
        tensor([3., 3.])
        """
        return self._add_hook("_backward_pre_hooks", hook, prepend)

    def __call__(self, *args, **kwargs):
        # The hot path: a module without hooks costs six dict truth tests over ``forward``.
        if (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks
                or global_forward_pre_hooks or global_forward_hooks):
            return self._call_hooked(args, kwargs)
        return self.forward(*args, **kwargs)

    _call_impl = __call__

    def _run_forward_hook(self, hook_id: int, hook: Callable, args: tuple, kwargs: dict, result, options: dict):
        if options.get(hook_id, _PLAIN_HOOK)[0]:
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    def _call_hooked(self, args: tuple, kwargs: dict):
        # the global hooks (register_module_forward_*_hook) run before the module's own
        options = {**global_hook_options, **self._hook_options} if global_hook_options else self._hook_options
        ran = set()  # the forward hooks that have run: on an error, the always_call ones that have not, run
        result = None
        try:
            for hook_id, hook in [*global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()]:
                if options.get(hook_id, _PLAIN_HOOK)[0]:
                    new = hook(self, args, kwargs)
                    if new is None:
                        continue
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError(
                            f"forward pre-hook must return None or a tuple of (new_args, new_kwargs), but got {new}."
                        )
                    args, kwargs = new
                else:
                    new = hook(self, args)
                    if new is not None:
                        args = new if isinstance(new, tuple) else (new,)
            relay = GradRelay(self) if self._backward_hooks or self._backward_pre_hooks else None
            if relay is not None:
                args = relay.route_inputs(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in [*global_forward_hooks.items(), *self._forward_hooks.items()]:
                ran.add(hook_id)
                new = self._run_forward_hook(hook_id, hook, args, kwargs, result, options)
                if new is not None:
                    result = new
            return result if relay is None else relay.route_outputs(result)
        except Exception:
            for hook_id, hook in [*global_forward_hooks.items(), *self._forward_hooks.items()]:
                if hook_id in ran or not options.get(hook_id, _PLAIN_HOOK)[1]:
                    continue
                try:
                    self._run_forward_hook(hook_id, hook, args, kwargs, result, options)
                except Exception as hook_error:  # noqa: BLE001 - the forward's error is what the caller needs
                    warnings.warn(
                        "module forward hook with ``always_call=True`` raised an exception that was silenced as "
                        f"another error was raised in forward: {hook_error}",
                        stacklevel=2,
                    )
            raise

    # ---- printing -----------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The module's own settings for its printed form (one line, or several)."""
        return ""

    def __repr__(self) -> str:
        own = self.extra_repr()
        if not self._modules and "\n" not in own:
            return f"{self._get_name()}({own})"
        lines = own.split("\n") if own else []
        lines += [f"({key}): {_indent_tail(repr(child), 2)}" for key, child in self._modules.items()]
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


#: the registries with the kind of value each files, in torch's order of precedence (see __setattr__)
_KINDS = (("_parameters", Parameter), ("_modules", Module), ("_buffers", Buffer))
