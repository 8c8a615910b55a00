"""Parametrizations (torch.nn.utils.parametrize): make a module's parameter or buffer the output
of a function of other tensors.

``register_parametrization(module, "weight", P)`` moves ``module.weight`` into
``module.parametrizations.weight.original`` (several ``original0``, ``original1``, ... when
``P.right_inverse`` returns several tensors) and replaces the attribute by a property that
computes ``P(original)`` on every read; assigning to it runs ``right_inverse`` and stores the
result in the originals. The module's class becomes a subclass named ``Parametrized<Class>`` that
holds the properties, exactly as in torch, so state dicts use torch's keys.
"""
from __future__ import annotations

import copy
import copyreg
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized", "remove_parametrizations",
           "type_before_parametrizations", "transfer_parametrizations_and_params"]

_cache_enabled = 0
_cache: dict = {}


@contextmanager
def cached() -> Iterator[None]:
    """Within the block, each parametrized tensor is computed once, on its first read, and reused.

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils import parametrize
    >>> class Double(kitty.nn.Module):
    ...     def forward(self, x):
    ...         return 2 * x
    >>> m = parametrize.register_parametrization(kitty.nn.Linear(2, 2), "weight", Double())
    >>> with parametrize.cached():
    ...     m.weight is m.weight
    True
    """
    global _cache_enabled, _cache
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}
def _set_data(dest: Tensor, src: Tensor) -> None:
    """``dest.set_(src)``: ``dest`` keeps its identity and takes ``src``'s values, shape and dtype."""
    dest._data = src._data
    dest._vc[0] += 1


def _attach(module: Module, name: str, value: Tensor) -> None:
    """Register ``value`` on ``module`` as a parameter or a buffer, whichever it is."""
    register = module.register_parameter if isinstance(value, Parameter) else module.register_buffer
    register(name, value)


def _type_name(value) -> str:
    return type(value).__name__


def _originals_names(plist: "ParametrizationList") -> list[str]:
    """Attribute names of the tensors a ParametrizationList stores."""
    return ["original"] if plist.is_tensor else [f"original{i}" for i in range(plist.ntensors)]


def _initial_inverse(parametrizations: list[Module], value: Tensor):
    """Push ``value`` back through every ``right_inverse`` (last parametrization first); those that
    are missing or raise NotImplementedError are skipped, as registration allows."""
    for step in parametrizations[::-1]:
        inverse = getattr(step, "right_inverse", None)
        if inverse is None:
            continue
        try:
            value = inverse(value)
        except NotImplementedError:
            continue
    return value


_SEQUENCE_EXPECTED = "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
_UNSAFE_CHANGE = ("Registering a parametrization may not change the {kind} of the tensor, unless `unsafe` flag is "
                  "enabled.\nunparametrized {kind}: {before}\nparametrized {kind}: {after}")


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, in order, and the original tensor(s) they act on
    (``original``, or ``original0``, ``original1``, ... when ``right_inverse`` returns several).
    It is what ``module.parametrizations[name]`` holds; ``register_parametrization`` makes it.

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils import parametrize
    >>> m = parametrize.register_parametrization(kitty.nn.Linear(2, 2), "bias", kitty.nn.Tanh())
    >>> type(m.parametrizations.bias).__name__, m.parametrizations.bias.original.shape
    ('ParametrizationList', kittygrad.Size([2]))
    """

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        before = {"shape": original.shape, "dtype": original.dtype}
        with no_grad():
            initial = _initial_inverse(list(self), original)
        if not isinstance(initial, (Tensor, Sequence)):
            raise ValueError(_SEQUENCE_EXPECTED + f"Got {_type_name(initial)}")
        single = isinstance(initial, Tensor)
        self.is_tensor = single
        self.ntensors = 1 if single else len(initial)
        if single:
            self._adopt_single(original, initial)
        else:
            self._adopt_several(original, initial)
        if not self.unsafe:
            self._check_unchanged(before)

    def _adopt_single(self, original: Tensor, initial: Tensor) -> None:
        # The original tensor object is kept (so optimizers holding it stay valid); only its data changes.
        if initial.dtype != original.dtype:
            raise ValueError(
                "When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                f"original.dtype: {original.dtype}\nright_inverse(original).dtype: {initial.dtype}"
            )
        with no_grad():
            _set_data(original, initial)
        _attach(self, "original", original)

    def _adopt_several(self, original: Tensor, pieces: Sequence) -> None:
        wants_grad = original.requires_grad
        as_parameter = isinstance(original, Parameter)
        for i, piece in enumerate(pieces):
            if not isinstance(piece, Tensor):
                raise ValueError(
                    _SEQUENCE_EXPECTED + f"Got element {i} of the sequence with type {_type_name(piece)}."
                )
            stored = Parameter(piece, wants_grad) if as_parameter else piece
            stored.requires_grad_(wants_grad)
            _attach(self, f"original{i}", stored)

    def _check_unchanged(self, before: dict) -> None:
        result = self()
        if not isinstance(result, Tensor):
            raise ValueError(f"A parametrization must return a tensor. Got {_type_name(result)}.")
        for kind in ("dtype", "shape"):
            after = getattr(result, kind)
            if after != before[kind]:
                raise ValueError(_UNSAFE_CHANGE.format(kind=kind, before=before[kind], after=after))

    def right_inverse(self, value: Tensor) -> None:
        """Run the parametrizations' ``right_inverse`` in reverse order and store the result in the
        original tensor(s), in place."""
        with no_grad():
            for step in list(self)[::-1]:
                inverse = getattr(step, "right_inverse", None)
                if inverse is None:
                    raise RuntimeError(f"parametrization {_type_name(step)} does not implement right_inverse.")
                value = inverse(value)
            if self.is_tensor:
                self._store_single(value)
            else:
                self._store_several(value)

    def _store_single(self, inverted) -> None:
        if not isinstance(inverted, Tensor):
            raise ValueError(f"`right_inverse` should return a tensor. Got {_type_name(inverted)}")
        target = self.original
        if target.dtype != inverted.dtype:
            raise ValueError(
                f"The tensor returned by `right_inverse` has dtype {inverted.dtype} while `original` has dtype "
                f"{target.dtype}"
            )
        _set_data(target, inverted)

    def _store_several(self, values) -> None:
        if not isinstance(values, Sequence):
            raise ValueError(f"'right_inverse' must return a sequence of tensors. Got {_type_name(values)}.")
        count = self.ntensors
        if len(values) != count:
            raise ValueError(
                f"'right_inverse' must return a sequence of tensors of length {count}. Got a sequence of "
                f"length {len(values)}."
            )
        for i, (name, piece) in enumerate(zip(_originals_names(self), values)):
            target = getattr(self, name)
            if not isinstance(piece, Tensor):
                raise ValueError(
                    "'right_inverse' must return a sequence of tensors or reference-type opaques. Got element "
                    f"{i} of type {_type_name(piece)}."
                )
            if piece.dtype != target.dtype:
                raise ValueError(
                    f"Tensor {i} returned by `right_inverse` has dtype {piece.dtype} while `{name}` has "
                    f"dtype {target.dtype}"
                )
            _set_data(target, piece)

    def forward(self) -> Tensor:
        first, *rest = list(self)
        value = first(*(getattr(self, name) for name in _originals_names(self)))
        for step in rest:
            value = step(value)
        return value


def _refuse_pickle(self):
    raise RuntimeError(
        "Serialization of parametrized modules is only supported through state_dict(). See:\n"
        "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
        "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training"
    )


def _deepcopy_parametrized(self, memo):
    key = id(self)
    if key in memo:
        return memo[key]
    cls = type(self)
    twin = cls.__new__(cls)
    memo[key] = twin
    twin.__dict__ = copy.deepcopy(self.__dict__, memo)
    # Slots are not in __dict__; copy those that are set.
    for slot in copyreg._slotnames(cls):
        if hasattr(self, slot):
            setattr(twin, slot, copy.deepcopy(getattr(self, slot), memo))
    return twin


def _inject_new_class(module: Module) -> None:
    """Give ``module`` its own subclass ``Parametrized<Class>``, where the properties will live."""
    base = type(module)
    namespace = {"__getstate__": _refuse_pickle}
    if getattr(base, "__deepcopy__", None) is None:
        namespace["__deepcopy__"] = _deepcopy_parametrized
    module.__class__ = type("Parametrized" + base.__name__, (base,), namespace)


def _parametrized_property(tensor_name: str) -> property:
    """The class property that makes ``module.<tensor_name>`` the parametrized value (cached inside
    ``cached()``); assigning to it runs ``right_inverse``."""

    def compute(owner) -> Tensor:
        plist = owner.parametrizations[tensor_name]
        if not _cache_enabled:
            return plist()
        key = (id(owner), tensor_name)
        if _cache.get(key) is None:
            _cache[key] = plist()
        return _cache[key]

    def assign(owner, value: Tensor) -> None:
        owner.parametrizations[tensor_name].right_inverse(value)

    return property(compute, assign)


def _check_like(what: str, tensor_name: str, reference: Tensor, got: Tensor, returned: str, kind: str) -> None:
    if getattr(got, kind) != getattr(reference, kind):
        raise ValueError(
            f"{what}, unless the `unsafe` flag is enabled.\nmodule.{tensor_name}.{kind}: {getattr(reference, kind)}\n"
            f"{returned}: {getattr(got, kind)}"
        )


def _check_stacked(module: Module, tensor_name: str, parametrization: Module) -> None:
    """Safety checks for adding ``parametrization`` on top of an already parametrized tensor: its
    output, and its ``right_inverse`` when it has one, keep the current shape and dtype."""
    current = getattr(module, tensor_name)
    proposed = parametrization(current)
    if not isinstance(proposed, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {_type_name(proposed)}.")
    change = "Registering a parametrization may not change the {} of the tensor"
    returned = f"parametrization(module.{tensor_name})"
    for kind in ("dtype", "shape"):
        _check_like(change.format(kind), tensor_name, current, proposed, f"{returned}.{kind}", kind)
    inverse = getattr(parametrization, "right_inverse", None)
    if inverse is None:
        return
    try:
        back = inverse(proposed)
    except NotImplementedError:
        return
    if back is None:
        return
    if not isinstance(back, Tensor):
        raise ValueError(f"parametrization.right_inverse must return a tensor. Got: {_type_name(back)}")
    same = f"The tensor returned by parametrization.right_inverse must have the same {{}} as module.{tensor_name}"
    for kind in ("dtype", "shape"):
        _check_like(same.format(kind), tensor_name, current, back, f"returned {kind}", kind)


def _owns_tensor(module: Module, name: str) -> bool:
    return name in module._parameters or name in module._buffers


def _parametrize_fresh(module: Module, tensor_name: str, parametrization: Module, unsafe: bool) -> None:
    """First parametrization on ``tensor_name``: move the tensor into a new ParametrizationList."""
    plist = ParametrizationList([parametrization], getattr(module, tensor_name), unsafe=unsafe)
    delattr(module, tensor_name)
    first_one = not is_parametrized(module)
    if first_one:
        _inject_new_class(module)
        module.parametrizations = ModuleDict({tensor_name: plist})
    else:
        module.parametrizations[tensor_name] = plist
    # with the tensor moved out, nothing else may answer to its name (the property takes it)
    name_still_taken = hasattr(module, tensor_name)
    if name_still_taken:
        raise AssertionError(f"Module already has an attribute named '{tensor_name}'")
    setattr(type(module), tensor_name, _parametrized_property(tensor_name))


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Parametrize ``module.<tensor_name>`` by ``parametrization`` (a module; several may be
    registered on one tensor, applied in order). Unless ``unsafe``, it may not change the shape
    or dtype. If it defines ``right_inverse``, the originals are initialised through it.

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils import parametrize
    >>> class Symmetric(kitty.nn.Module):
    ...     def forward(self, X):
    ...         return X.triu() + X.triu(1).transpose(-1, -2)
    >>> m = parametrize.register_parametrization(kitty.nn.Linear(3, 3), "weight", Symmetric())
    >>> bool((m.weight == m.weight.T).all()), list(m.state_dict())
    (True, ['bias', 'parametrizations.weight.original'])
    """
    parametrization.train(mode=module.training)
    stack = _stack_on(module, tensor_name)
    if stack is not None:
        if not unsafe:
            _check_stacked(module, tensor_name, parametrization)
        stack.append(parametrization)
        stack.unsafe = stack.unsafe or unsafe
    elif _owns_tensor(module, tensor_name):
        _parametrize_fresh(module, tensor_name, parametrization, unsafe)
    else:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with name "
            f"'{tensor_name}'"
        )
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (on ``tensor_name``, if given).

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils import parametrize
    >>> parametrize.is_parametrized(kitty.nn.Linear(2, 2))
    False
    """
    registry = getattr(module, "parametrizations", None)
    if not isinstance(registry, ModuleDict):
        return False
    return bool(registry) if tensor_name is None else tensor_name in registry


def _stack_on(module: Module, tensor_name: str) -> ParametrizationList | None:
    """The ParametrizationList on ``tensor_name``; None when that tensor is not parametrized."""
    return module.parametrizations[tensor_name] if is_parametrized(module, tensor_name) else None


def _unparametrized_value(module: Module, tensor_name: str, plist: ParametrizationList,
                          leave_parametrized: bool) -> Tensor:
    """The tensor that takes ``tensor_name``'s place once its parametrization is removed."""
    if plist.is_tensor:
        kept = plist.original
        if leave_parametrized:
            # Reuse the original object, so references to the parameter (optimizers) stay valid.
            with no_grad():
                _set_data(kept, getattr(module, tensor_name))
        return kept
    if not leave_parametrized:
        raise ValueError(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized in terms of "
            "a sequence of tensors."
        )
    current = getattr(module, tensor_name)
    return Parameter(current.detach()) if current.requires_grad else current


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    """Undo ``register_parametrization`` on ``tensor_name``: the tensor becomes a plain parameter
    (or buffer) again, holding its current parametrized value (``leave_parametrized=True``) or the
    original. The module gets its class back once nothing is parametrized.

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils import parametrize
    >>> m = parametrize.register_parametrization(kitty.nn.Linear(2, 2), "weight", kitty.nn.Tanh())
    >>> type(parametrize.remove_parametrizations(m, "weight")).__name__
    'Linear'
    """
    plist = _stack_on(module, tensor_name)
    if plist is None:
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    replacement = _unparametrized_value(module, tensor_name, plist, leave_parametrized)
    parametrized_cls = type(module)
    delattr(parametrized_cls, tensor_name)
    module.parametrizations.pop(tensor_name)
    _attach(module, tensor_name, replacement)
    if len(module.parametrizations) == 0:
        # Last one gone: drop the container and restore the class that was there before.
        del module.parametrizations
        module.__class__ = parametrized_cls.__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before parametrizations were registered (its class if there are none).

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils import parametrize
    >>> m = parametrize.register_parametrization(kitty.nn.Linear(2, 2), "weight", kitty.nn.Tanh())
    >>> parametrize.type_before_parametrizations(m).__name__
    'Linear'
    """
    cls = type(module)
    return cls.__bases__[0] if is_parametrized(module) else cls


def transfer_parametrizations_and_params(from_module: Module, to_module: Module,
                                         tensor_name: str | None = None) -> Module:
    """Copy the parametrizations of ``from_module`` (all, or those of ``tensor_name``) to
    ``to_module``, together with their original tensors.

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils import parametrize
    >>> a = parametrize.register_parametrization(kitty.nn.Linear(2, 2), "weight", kitty.nn.Tanh())
    >>> b = parametrize.transfer_parametrizations_and_params(a, kitty.nn.Linear(2, 2))
    >>> bool((a.weight == b.weight).all())
    True
    """
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            first_original = getattr(source, _originals_names(source)[0])
            snapshot = getattr(from_module, name).detach().clone()
            setattr(to_module, name, Parameter(snapshot) if isinstance(first_original, Parameter) else snapshot)
        if not is_parametrized(to_module, name):
            for parametrization in source:
                register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        with no_grad():
            for key in _originals_names(source):
                setattr(target, key, copy.deepcopy(getattr(source, key)))
    return to_module
