"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict.

All five sit on one small ordered registry, :class:`_Container`: entries under string names, in
order. The module containers keep that order in ``_modules`` itself; the parameter containers keep
their own list of names and store each entry as an attribute, so a Parameter lands in
``_parameters`` (and in ``state_dict``) and any other object in the instance dict, as torch.
On top, :class:`_Positional` gives list behaviour (entries named "0", "1", ...) and
:class:`_Keyed` dict behaviour.
"""
from __future__ import annotations

import operator
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, islice
from typing import Any

from ...tensor import Tensor
from ..parameter import Parameter
from .module import Module, _indent_tail

__all__ = ["Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _position(idx, size: int) -> int:
    """``idx`` as a position in ``range(size)``; negative positions count from the end."""
    pos = operator.index(idx)
    if pos < -size or pos >= size:
        raise IndexError(f"index {idx} is out of range")
    return pos + size if pos < 0 else pos


def _checked_pairs(owner: str, entries: Iterable) -> Iterator[tuple[Any, Any]]:
    """The ``(key, value)`` pairs of an ``update`` argument that is an iterable of pairs."""
    for j, pair in enumerate(entries):
        if not isinstance(pair, Iterable):
            raise TypeError(f"{owner} update sequence element #{j} should be Iterable; is" + type(pair).__name__)
        if len(pair) != 2:
            raise ValueError(f"{owner} update sequence element #{j} has length {len(pair)}; 2 is required")
        yield pair[0], pair[1]


class _Container(Module):
    """The ordered registry every container sits on (by default: the children in ``_modules``)."""

    def _names(self) -> dict:
        """The entry names, in order (the values of this dict are not used by the parameter containers)."""
        return self._modules

    def _get(self, name: str) -> Any:
        return self._modules[name]

    def _set(self, name: str, value: Any) -> None:
        self.add_module(name, value)

    def _delete(self, name: str) -> None:
        delattr(self, name)

    def __len__(self) -> int:
        return len(self._names())

    def _pop(self, key) -> Any:
        value = self[key]
        del self[key]
        return value


class _Positional(_Container):
    """List behaviour: entries are named "0", "1", ... by position."""

    def _key_at(self, idx) -> str:
        return str(_position(idx, len(self)))

    def _from_slice(self, idx: slice) -> _Positional:
        names = list(self._names())[idx]
        return type(self)([self._get(name) for name in names])

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._from_slice(idx)
        return self._get(self._key_at(idx))

    def __setitem__(self, idx: int, value: Any) -> None:
        self._set(self._key_at(idx), value)

    def __iter__(self) -> Iterator[Any]:
        # over a snapshot of the names: the container may change while it is iterated
        return map(self._get, list(self._names()))

    def append(self, value: Any) -> _Positional:
        """Add ``value`` at the end."""
        self._set(str(len(self)), value)
        return self

    def extend(self, values: Iterable[Any]) -> _Positional:
        """Add each of ``values`` at the end."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(f"{type(self).__name__}.extend should be called with an iterable, but got " + type(values).__name__)
        for value in list(values):  # a copy: extending a container with itself stays finite
            self.append(value)
        return self

    def __iadd__(self, values: Iterable[Any]) -> _Positional:
        return self.extend(values)


class _ModuleSequence(_Positional):
    """What Sequential and ModuleList share beyond list behaviour: deletion and insertion, after
    which the children are renumbered "0", "1", ... (as torch)."""

    def _renumber(self, children: list) -> None:
        self._modules.clear()
        self._modules.update((str(i), child) for i, child in enumerate(children))

    def __setitem__(self, idx: int, module: Module) -> None:
        # an existing child is reassigned as an attribute (torch's checks and messages)
        setattr(self, self._key_at(idx), module)

    def __delitem__(self, idx) -> None:
        doomed = list(self._modules)[idx] if isinstance(idx, slice) else [self._key_at(idx)]
        for name in doomed:
            delattr(self, name)
        self._renumber(list(self._modules.values()))

    def _insert(self, index: int, module: Module) -> None:
        children = list(self._modules.values())
        children.insert(index, module)
        self._renumber(children)

    def pop(self, key: int | slice) -> Module:
        """Remove the child at position ``key`` and return it."""
        return self._pop(key)


class Sequential(_ModuleSequence):
    """Modules called in order, each on the previous one's output.

    >>> import kittygrad as kitty
    >>> net = kitty.nn.Sequential(kitty.nn.Linear(4, 3), kitty.nn.ReLU(), kitty.nn.Linear(3, 1))
    >>> net(kitty.zeros(2, 4)).shape
    kittygrad.Size([2, 1])
    >>> net[:2]
    Sequential(
      (0): Linear(in_features=4, out_features=3, bias=True)
      (1): ReLU()
    )
    """

    def __init__(self, *args: Module) -> None:
        super().__init__()
        only = args[0] if len(args) == 1 else None
        # one OrderedDict names the children; otherwise they are numbered
        pairs = only.items() if isinstance(only, OrderedDict) else ((str(i), m) for i, m in enumerate(args))
        for name, module in pairs:
            self.add_module(name, module)

    def _key_at(self, idx) -> str:
        # built from an OrderedDict, a Sequential's children keep their names: find the position's
        return next(islice(self._modules, _position(idx, len(self)), None))

    def _from_slice(self, idx: slice) -> Sequential:
        return type(self)(OrderedDict(list(self._modules.items())[idx]))

    @staticmethod
    def _addend(other) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return other

    def _factor(self, other) -> int:
        if isinstance(other, int) and other > 0:
            return other
        if isinstance(other, int):
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")
        raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")

    def __add__(self, other: Sequential) -> Sequential:
        return Sequential(*self, *self._addend(other))

    def __iadd__(self, other: Sequential) -> Sequential:
        return self.extend(self._addend(other))

    def __mul__(self, other: int) -> Sequential:
        return Sequential(*(list(self) * self._factor(other)))

    __rmul__ = __mul__

    def __imul__(self, other: int) -> Sequential:
        return self.extend(list(self) * (self._factor(other) - 1))

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        if not -len(self) <= index <= len(self):
            raise IndexError(f"Index out of range: {index}")
        self._insert(index, module)
        return self

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_ModuleSequence):
    """A list of submodules, registered so their parameters are found.

    >>> import kittygrad as kitty
    >>> layers = kitty.nn.ModuleList([kitty.nn.Linear(2, 2) for _ in range(3)])
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList(chain(self, other))

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index`` (as ``list.insert``)."""
        self._insert(index, module)

    def __repr__(self) -> str:
        # runs of identical children print once, as "(0-2): 3 x Linear(...)" (torch's format)
        runs: list = []  # [first, last, text]
        for i, child in enumerate(self):
            text = repr(child)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        if not runs:
            return f"{self._get_name()}()"
        lines = []
        for first, last, text in runs:
            label = f"({first})" if first == last else f"({first}-{last}): {last - first + 1} x"
            lines.append(_indent_tail(f"{label}: {text}" if first == last else f"{label} {text}", 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class _Keyed(_Container):
    """Dict behaviour: entries under their keys, in insertion order."""

    #: torch's ParameterDict sorts the items of a plain (not ordered) mapping given to update()
    _sorts_plain_mappings = False
    #: the name update()'s type error uses (torch's ParameterDict says "ParametersDict")
    _update_owner = "ModuleDict"

    def __getitem__(self, key: str) -> Any:
        return self._get(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self._set(key, value)

    def __delitem__(self, key: str) -> None:
        self._delete(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, key: object) -> bool:
        return key in self._names()

    def keys(self):
        """The keys, in order."""
        return self._names().keys()

    def clear(self) -> None:
        """Remove every entry."""
        for key in list(self._names()):
            del self[key]

    def pop(self, key: str) -> Any:
        """Remove the entry under ``key`` and return it."""
        return self._pop(key)

    def update(self, entries: Any) -> None:
        """Add the pairs of a mapping or of an iterable of ``(key, value)`` (existing keys are overwritten)."""
        if not isinstance(entries, Iterable):
            raise TypeError(
                f"{self._update_owner}.update should be called with an iterable of key/value pairs, but got "
                + type(entries).__name__
            )
        if isinstance(entries, (OrderedDict, _Keyed)):
            pairs = entries.items()
        elif isinstance(entries, Mapping):
            pairs = sorted(entries.items()) if self._sorts_plain_mappings else entries.items()
        else:
            pairs = _checked_pairs(type(self).__name__, entries)
        for key, value in pairs:
            self[key] = value


class ModuleDict(_Keyed):
    """A dict of submodules, registered so their parameters are found.

    >>> import kittygrad as kitty
    >>> heads = kitty.nn.ModuleDict({"a": kitty.nn.Linear(2, 1), "b": kitty.nn.Linear(2, 3)})
    >>> list(heads.keys())
    ['a', 'b']
    """

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def items(self):
        """``(key, module)`` pairs (a view, as a dict's)."""
        return self._modules.items()

    def values(self):
        """The modules (a view, as a dict's)."""
        return self._modules.values()


class _ParameterStore(_Container):
    """Storage of the parameter containers: names in order in ``_entry_names``, each entry an
    attribute (a Tensor is made a Parameter first)."""

    def __init__(self) -> None:
        super().__init__()
        self._entry_names: dict = {}

    def _names(self) -> dict:
        return self._entry_names

    @staticmethod
    def _attr(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(
                "Index given to ParameterDict cannot be used as a key as it is not a string "
                f"(type is '{type(key).__name__}'). Open an issue on github if you need non-string keys."
            )
        return key

    def _get(self, name: str) -> Any:
        return getattr(self, self._attr(name))

    def _set(self, name: str, value: Any) -> None:
        name = self._attr(name)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        self._entry_names[name] = None
        setattr(self, name, value)

    def _delete(self, name: str) -> None:
        name = self._attr(name)
        del self._entry_names[name]
        delattr(self, name)

    def _entry_line(self, key, value, dtype_as_type: bool) -> str:
        """One line of the printed form: what the entry is, its dtype and size."""
        if isinstance(value, Tensor):
            kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
            dtype = value.type() if dtype_as_type else value.dtype
            return f"  ({key}): {kind} containing: [{dtype} of size {'x'.join(map(str, value.shape))}]"
        return f"  ({key}): Object of type: {type(value).__name__}"

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__} should not be called.")


class ParameterList(_ParameterStore, _Positional):
    """A list of parameters (tensors are wrapped as Parameters), registered on the module.

    >>> import kittygrad as kitty
    >>> ps = kitty.nn.ParameterList([kitty.zeros(2), kitty.zeros(3)])
    >>> [tuple(p.shape) for p in ps.parameters()]
    [(2,), (3,)]
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def extra_repr(self) -> str:
        return "\n".join(self._entry_line(i, value, False) for i, value in enumerate(self))


class ParameterDict(_ParameterStore, _Keyed):
    """A dict of parameters (tensors are wrapped as Parameters), registered on the module.

    >>> import kittygrad as kitty
    >>> pd = kitty.nn.ParameterDict({"scale": kitty.ones(1)})
    >>> [n for n, _ in pd.named_parameters()]
    ['scale']
    """

    _sorts_plain_mappings = True
    _update_owner = "ParametersDict"

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._entry_names))

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(key, value)`` pairs, in order."""
        return ((key, self[key]) for key in self._entry_names)

    def values(self) -> Iterator[Any]:
        """The values, in order."""
        return (self[key] for key in self._entry_names)

    def get(self, key: str, default: Any | None = None) -> Any:
        """The value under ``key``, or ``default``."""
        return self[key] if key in self else default

    def setdefault(self, key: str, default: Any | None = None) -> Any:
        """The value under ``key``, stored as ``default`` first when absent."""
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self) -> tuple[str, Any]:
        """Remove the last entry and return ``(key, value)``."""
        key = next(reversed(self))
        return key, self.pop(key)

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same values."""
        return ParameterDict(OrderedDict(self.items()))

    def fromkeys(self, keys: Iterable[str], default: Any | None = None) -> ParameterDict:
        """A new ParameterDict with ``default`` under each of ``keys``."""
        return ParameterDict(OrderedDict.fromkeys(keys, default))

    def __or__(self, other: ParameterDict) -> ParameterDict:
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self

    def extra_repr(self) -> str:
        return "\n".join(self._entry_line(key, value, True) for key, value in self.items())


class Container(Module):
    """torch's deprecated forerunner of Module: keyword arguments become child modules; warns
    (FutureWarning) when made. Subclass Module instead.

    >>> import warnings, kittygrad as kitty
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore"); c = kitty.nn.Container(act=kitty.nn.ReLU())
    >>> list(dict(c.named_children()))
    ['act']
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        warnings.warn(
            "`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. "
            "Subclass that instead.", FutureWarning, stacklevel=2,
        )
        for key, value in kwargs.items():
            self.add_module(key, value)
