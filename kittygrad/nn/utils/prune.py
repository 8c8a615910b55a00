"""Pruning (``torch.nn.utils.prune``): zero out parts of a parameter through a mask.

Pruning ``module.<name>`` moves the parameter to ``<name>_orig``, stores the 0/1 mask as the
buffer ``<name>_mask`` and registers a forward pre-hook (the pruning method itself) that
recomputes the plain attribute ``<name> = <name>_orig * <name>_mask`` before every forward, so
gradients reach only the kept entries of ``<name>_orig``. Pruning the same parameter again
combines the masks through a :class:`PruningContainer`; :func:`remove` bakes the pruned values
into a parameter named ``<name>`` again.

Layout: every method installs itself through :meth:`BasePruningMethod._install`; the methods
that take an ``amount`` share :class:`_AmountPruning`, the channel-wise ones also
:class:`_ChannelPruning`; the functional forms are one-liners over :func:`_prune_module`.

Which entries the magnitude-based methods choose matches torch exactly, ties included: torch's
CPU ``topk`` breaks ties by the order its selection algorithm (libstdc++'s ``partial_sort`` or
``nth_element``) leaves them in, which :func:`_torch_topk_indices` replays.
"""
from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ... import backend as B
from ... import creation as C
from ...autograd.grad_mode import no_grad
from ...dtypes import int64
from ...errors import KittyIndexError, KittyTypeError, KittyValueError
from ...ops.norms import norm as _norm
from ...ops.sorting import kthvalue, topk
from ...tensor import Tensor
from ..modules.module import Module
from .convert_parameters import parameters_to_vector

__all__ = [
    "BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
    "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
    "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
    "remove", "is_pruned",
]


def _slots(name: str) -> tuple[str, str]:
    """The attribute names of the re-parametrisation of ``name``: the trainable original and the
    mask buffer. They are state_dict keys, so they must be torch's."""
    return f"{name}_orig", f"{name}_mask"


def _prunes(hook: Any, name: str) -> bool:
    """Whether the forward pre-hook ``hook`` is a pruning method acting on the tensor ``name``."""
    return isinstance(hook, BasePruningMethod) and hook._tensor_name == name


def _pruning_hook_keys(module: Module, name: str) -> list[Any]:
    """The keys, in ``module._forward_pre_hooks``, of the hooks pruning ``module.<name>``."""
    return [key for key, hook in module._forward_pre_hooks.items() if _prunes(hook, name)]


def _checked_scores(t: Tensor, scores: Tensor | None, what: str) -> Tensor:
    """``scores`` (which must be shaped as ``t``), or ``t`` itself when there are none."""
    if scores is None:
        return t
    if tuple(scores.shape) != tuple(t.shape):
        raise AssertionError(f"importance_scores should have the same shape as {what}, "
                             f"got {scores.shape} vs {t.shape}")
    return scores


# ----------------------------------------------------------------------------------------------
# the methods
# ----------------------------------------------------------------------------------------------
class BasePruningMethod(ABC):
    """The base of every pruning method: a subclass says which entries to keep in
    :meth:`compute_mask`; :meth:`apply` installs it on a module as a forward pre-hook.

    >>> import kittygrad as kitty
    >>> class KeepFirst(BasePruningMethod):
    ...     PRUNING_TYPE = "unstructured"
    ...     def compute_mask(self, t, default_mask):
    ...         mask = default_mask.clone(); mask.view(-1)[1:] = 0; return mask
    >>> KeepFirst().prune(kitty.tensor([3., 4., 5.]))
    tensor([3., 0., 0.])
    """

    #: "unstructured" (single entries), "structured" (whole slices along ``dim``) or "global"
    PRUNING_TYPE: str
    #: the parameter this method prunes, set when installed (torch's name: its pruning tutorial
    #: reads ``hook._tensor_name`` to find the hook of a parameter)
    _tensor_name: str | None = None

    def __call__(self, module: Module, inputs: Any) -> None:
        # the forward pre-hook: the pruned tensor is rebuilt from the (trainable) original on every
        # call, so a step taken on ``<name>_orig`` shows in the next forward
        pruned = self.apply_mask(module)
        setattr(module, self._tensor_name, pruned)

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask (same shape as ``t``) this method wants, on top of ``default_mask`` (the mask
        of earlier prunings: entries it zeroes stay zero)."""

    def _installed_name(self, module: Module, when: str = "") -> str:
        if self._tensor_name is None:  # only an installed method knows its tensor
            raise AssertionError(f"Module {module} has to be pruned{when}")
        return self._tensor_name

    def apply_mask(self, module: Module) -> Tensor:
        """``<name>_orig * <name>_mask`` of ``module``: the pruned tensor.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Linear(1, 2)
        >>> hook = CustomFromMask.apply(m, "bias", mask=kitty.tensor([0, 1]))
        >>> bool((hook.apply_mask(m) == m.bias_orig * kitty.tensor([0., 1.])).all())
        True
        """
        orig_key, mask_key = _slots(self._installed_name(module))
        original = getattr(module, orig_key)
        return original * getattr(module, mask_key).to(dtype=original.dtype)

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any, importance_scores: Tensor | None = None,
              **kwargs: Any) -> BasePruningMethod:
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, re-parametrising it on first use
        and combining with an earlier pruning otherwise; returns the hook installed.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Linear(3, 2)
        >>> type(L1Unstructured.apply(m, "weight", amount=2)).__name__
        'L1Unstructured'
        """
        return cls._install(module, name, importance_scores, *args, **kwargs)

    @classmethod
    def _install(cls, module: Module, name: str, importance_scores: Tensor | None, *args: Any,
                 **kwargs: Any) -> BasePruningMethod:
        """What :meth:`apply` does; the subclasses' narrower ``apply`` signatures all land here."""
        hook = _hook_for(cls, module, name, *args, **kwargs)
        current = getattr(module, name)
        scores = _checked_scores(current, importance_scores, f"parameter {name} of {module}")
        orig_key, mask_key = _slots(name)
        # a container means the re-parametrisation is already in place from an earlier pruning
        first_time = not isinstance(hook, PruningContainer)
        if first_time:
            earlier_mask = C.ones_like(current)
            module.register_parameter(orig_key, current)  # the same Parameter, under a new name
            del module._parameters[name]
        else:
            earlier_mask = getattr(module, mask_key).detach().clone()
        try:
            module.register_buffer(mask_key, hook.compute_mask(scores, default_mask=earlier_mask))
            hook(module, ())  # the plain attribute, as every forward will set it
            module.register_forward_pre_hook(hook)
        except Exception:
            if first_time:  # undo the re-parametrisation so the module is as it was
                module.register_parameter(name, module._parameters.pop(orig_key))
            raise
        return hook

    def prune(self, t: Tensor, default_mask: Tensor | None = None, importance_scores: Tensor | None = None) -> Tensor:
        """``t`` with this method's mask applied (no module involved).

        >>> import kittygrad as kitty
        >>> L1Unstructured(amount=1).prune(kitty.tensor([1., -3., 2.]))
        tensor([ 0., -3.,  2.])
        """
        scores = _checked_scores(t, importance_scores, "tensor t")
        keep = self.compute_mask(scores, default_mask=C.ones_like(t) if default_mask is None else default_mask)
        return t * keep

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: ``<name>`` becomes a parameter holding the pruned values, and
        ``<name>_orig`` and ``<name>_mask`` go (the hook itself is dropped by :func:`remove`).

        >>> import kittygrad as kitty
        >>> m = kitty.nn.Linear(2, 1)
        >>> L1Unstructured.apply(m, "weight", amount=1).remove(m)
        >>> sorted(m.state_dict())
        ['bias', 'weight']
        """
        name = self._installed_name(module, " before pruning can be removed")
        orig_key, mask_key = _slots(name)
        baked = self.apply_mask(module).data
        module.__dict__.pop(name, None)  # the plain attribute the hook kept up to date
        param = module._parameters.pop(orig_key)
        module._buffers.pop(mask_key)
        param.data = baked  # the same Parameter object, so optimizers holding it keep working
        setattr(module, name, param)


def _hook_for(cls: type, module: Module, name: str, *args: Any, **kwargs: Any) -> BasePruningMethod:
    """The hook to install: a new ``cls`` instance, or the earlier pruning of ``name`` (taken off the
    module's hooks) combined with it in a container."""
    keys = _pruning_hook_keys(module, name)
    if len(keys) > 1:
        raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}. "
                             "Use a PruningContainer.")
    earlier = module._forward_pre_hooks.pop(keys[0]) if keys else None
    fresh = cls(*args, **kwargs)
    fresh._tensor_name = name
    if earlier is None:
        return fresh
    chain = earlier if isinstance(earlier, PruningContainer) else PruningContainer(earlier)
    chain.add_pruning_method(fresh)
    return chain


def _region_to_repick(method: BasePruningMethod, t: Tensor, mask: Tensor) -> Any:
    """The index of ``t`` that ``method`` chooses within, given the earlier ``mask``: the surviving
    entries (unstructured), the channels with anything left (structured) or everything (global)."""
    kind = getattr(method, "PRUNING_TYPE", None)
    if kind == "unstructured":
        return mask == 1  # a boolean index: the candidates come out flattened
    if kind == "global":
        return (slice(None),) * t.dim()
    if kind != "structured":
        raise KittyValueError(f"Unrecognized PRUNING_TYPE {kind}")
    try:
        axis = method.dim  # type: ignore[attr-defined]
    except AttributeError:
        raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                             "`dim` defined.") from None
    ndim = t.dim()
    axis = axis if axis >= 0 else axis + ndim
    if axis < 0:
        raise KittyIndexError(f"Index is out of bounds for tensor with dimensions {ndim}")
    # a channel fully pruned already is out of the game
    rest = [d for d in range(ndim) if d != axis]
    alive = (mask.sum(dim=rest) if rest else mask) != 0
    return tuple(alive if d == axis else slice(None) for d in range(ndim))


class PruningContainer(BasePruningMethod):
    """The pruning methods applied in turn to one parameter; each new one only looks at the entries
    (or channels) the previous ones kept.

    >>> c = PruningContainer(Identity())
    >>> len(c)
    1
    """

    def __init__(self, *args: BasePruningMethod) -> None:
        # the container prunes what its first method prunes
        self._tensor_name = args[0]._tensor_name if args else None
        self._chain: tuple[BasePruningMethod, ...] = tuple(method for method in args if self._joinable(method))

    def _joinable(self, method: Any) -> bool:
        """False for None (skipped: torch would store it and fail later); an error for what may not join."""
        if method is None:
            return False
        if not isinstance(method, BasePruningMethod):
            raise KittyTypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method._tensor_name != self._tensor_name:
            raise KittyValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' "
                                  f"to PruningContainer {self}. Found '{method._tensor_name}'")
        return True

    def add_pruning_method(self, method: BasePruningMethod | None) -> None:
        """Append ``method`` (which must act on the same parameter).

        >>> c = PruningContainer(); c.add_pruning_method(Identity()); len(c)
        1
        """
        if self._joinable(method):
            self._chain = (*self._chain, method)

    def __len__(self) -> int:
        return len(self._chain)

    def __iter__(self) -> Iterator[BasePruningMethod]:
        yield from self._chain

    def __getitem__(self, idx: int) -> BasePruningMethod:
        return self._chain[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the latest method's mask written over the part still unpruned.

        >>> import kittygrad as kitty
        >>> c = PruningContainer(L1Unstructured(amount=1))
        >>> c.compute_mask(kitty.tensor([1., 2., 3.]), kitty.tensor([1., 0., 1.]))
        tensor([0., 0., 1.])
        """
        latest = self._chain[-1]
        where = _region_to_repick(latest, t, default_mask)
        picked = latest.compute_mask(t[where], default_mask=default_mask[where])
        combined = default_mask.to(dtype=t.dtype)
        combined[where] = picked.to(dtype=combined.dtype)
        return combined


class Identity(BasePruningMethod):
    """Prune nothing: installs the re-parametrisation with a mask of ones.

    >>> import kittygrad as kitty
    >>> Identity().prune(kitty.tensor([1., 2.]))
    tensor([1., 2.])
    """

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str) -> BasePruningMethod:  # type: ignore[override]
        """Install the identity pruning on ``module.<name>``."""
        return cls._install(module, name, None)


class _AmountPruning(BasePruningMethod):
    """What the methods taking an ``amount`` (a count, or a fraction of the units) share."""

    def __init__(self, amount: int | float) -> None:
        _check_amount(amount)
        self.amount = amount

    def _units_to_prune(self, available: int) -> int:
        """``amount`` as a count out of ``available`` units; more than there are is refused."""
        # a fraction rounds with Python's round (half to even), as torch
        count = self.amount if isinstance(self.amount, numbers.Integral) else round(self.amount * available)
        if count > available:
            raise KittyValueError(f"amount={count} should be smaller than the number of parameters to "
                                  f"prune={available}")
        return count


class _EntryPruning(_AmountPruning):
    """Unstructured pruning by ``amount``: a subclass names the entries (of the flattened tensor) to drop."""

    PRUNING_TYPE = "unstructured"

    @abstractmethod
    def _entries_to_drop(self, t: Tensor, count: int) -> Tensor:
        """Indices into ``t.view(-1)`` of the ``count`` entries to zero (``count`` > 0)."""

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        count = self._units_to_prune(t.numel())
        mask = default_mask.clone()
        if count > 0:
            mask.view(-1)[self._entries_to_drop(t, count)] = 0
        return mask


class _ChannelPruning(_AmountPruning):
    """Structured pruning by ``amount``: a subclass names the slices along ``dim`` to keep."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, dim: int = -1) -> None:
        super().__init__(amount)
        self.dim = dim

    @abstractmethod
    def _channels_to_keep(self, t: Tensor, channels: int, count: int) -> Tensor:
        """The channels to keep (indices or a bool mask) when ``count`` of ``channels`` go."""

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        ndim = t.dim()
        if ndim < 2:  # a "channel" needs a tensor with more than one dimension
            raise KittyValueError("Structured pruning can only be applied to multidimensional tensors. "
                                  f"Found tensor of shape {t.shape} with {ndim} dims")
        if self.dim >= ndim:
            raise KittyIndexError(f"Invalid index {self.dim} for tensor of size {t.shape}")
        channels = t.shape[self.dim]
        count = self._units_to_prune(channels)
        if count == 0:
            return default_mask
        kept = _channel_mask(t, self.dim, self._channels_to_keep(t, channels, count))
        return kept * default_mask.to(dtype=kept.dtype)


class RandomUnstructured(_EntryPruning):
    """Prune ``amount`` (a count, or a fraction of the entries) entries chosen at random.

    >>> import kittygrad as kitty
    >>> int((RandomUnstructured(amount=2).prune(kitty.ones(5)) == 0).sum())
    2
    """

    def _entries_to_drop(self, t: Tensor, count: int) -> Tensor:
        # the ``count`` largest of uniform draws: a uniformly random subset
        return topk(C.rand(t.numel()), k=count).indices

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float) -> BasePruningMethod:  # type: ignore[override]
        """Install random unstructured pruning on ``module.<name>``."""
        return cls._install(module, name, None, amount=amount)


class L1Unstructured(_EntryPruning):
    """Prune the ``amount`` entries of smallest magnitude (ties broken as torch breaks them).

    >>> import kittygrad as kitty
    >>> L1Unstructured(amount=0.5).prune(kitty.tensor([0.1, -2., 0.3, 4.]))
    tensor([ 0., -2.,  0.,  4.])
    """

    def _entries_to_drop(self, t: Tensor, count: int) -> Tensor:
        magnitudes = B.xp.abs(t.detach()._data).reshape(-1)
        return C.tensor(_torch_topk_indices(magnitudes, count, largest=False), dtype=int64)

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float,  # type: ignore[override]
              importance_scores: Tensor | None = None) -> BasePruningMethod:
        """Install L1 unstructured pruning on ``module.<name>``."""
        return cls._install(module, name, importance_scores, amount=amount)


class RandomStructured(_ChannelPruning):
    """Prune ``amount`` whole channels (slices along ``dim``) chosen at random.

    >>> import kittygrad as kitty
    >>> m = RandomStructured(amount=1, dim=0).compute_mask(kitty.ones(3, 2), kitty.ones(3, 2))
    >>> m.sum(1).tolist().count(0.0)
    1
    """

    def _channels_to_keep(self, t: Tensor, channels: int, count: int) -> Tensor:
        draws = C.rand(channels)
        return draws > kthvalue(draws, count).values  # all but the ``count`` lowest draws

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float, dim: int = -1) -> BasePruningMethod:  # type: ignore[override]
        """Install random structured pruning on ``module.<name>``."""
        return cls._install(module, name, None, amount=amount, dim=dim)


class LnStructured(_ChannelPruning):
    """Prune the ``amount`` channels along ``dim`` with the smallest L``n`` norm (``n`` as
    ``torch.norm``'s ``p``: a number, ``inf``, ``-inf``, ``"fro"``, ``"nuc"``).

    >>> import kittygrad as kitty
    >>> LnStructured(amount=1, n=2, dim=0).prune(kitty.tensor([[1., 1.], [3., 0.]]))
    tensor([[0., 0.],
            [3., 0.]])
    """

    def __init__(self, amount: int | float, n: int | float | str, dim: int = -1) -> None:
        super().__init__(amount, dim)
        self.n = n

    def _channels_to_keep(self, t: Tensor, channels: int, count: int) -> Tensor:
        norms = _channel_norms(t, self.n, self.dim).detach()._data.reshape(-1)
        return C.tensor(_torch_topk_indices(norms, channels - count, largest=True), dtype=int64)

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float, n: int | float | str, dim: int,  # type: ignore[override]
              importance_scores: Tensor | None = None) -> BasePruningMethod:
        """Install Ln structured pruning on ``module.<name>``."""
        return cls._install(module, name, importance_scores, amount=amount, n=n, dim=dim)


class CustomFromMask(BasePruningMethod):
    """Prune with a mask given in advance (combined with any earlier mask).

    >>> import kittygrad as kitty
    >>> CustomFromMask(kitty.tensor([1, 0])).prune(kitty.tensor([5., 6.]))
    tensor([5., 0.])
    """

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        given, earlier = tuple(self.mask.shape), tuple(default_mask.shape)
        if given != earlier:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match self.mask shape {self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module: Module, name: str, mask: Tensor) -> BasePruningMethod:  # type: ignore[override]
        """Install pruning by ``mask`` on ``module.<name>``."""
        return cls._install(module, name, None, mask=mask)


# ----------------------------------------------------------------------------------------------
# the functional interface
# ----------------------------------------------------------------------------------------------
def _prune_module(method: type[BasePruningMethod], module: Module, name: str,
                  importance_scores: Tensor | None = None, **kwargs: Any) -> Module:
    """The functional forms: install ``method(**kwargs)`` on ``module.<name>``, hand the module back."""
    method._install(module, name, importance_scores, **kwargs)
    return module


def identity(module: Module, name: str) -> Module:
    """Re-parametrise ``module.<name>`` for pruning without pruning anything (mask of ones).

    >>> import kittygrad as kitty
    >>> sorted(dict(identity(kitty.nn.Linear(2, 1), "bias").named_buffers()))
    ['bias_mask']
    """
    return _prune_module(Identity, module, name)


def random_unstructured(module: Module, name: str, amount: int | float) -> Module:
    """Prune ``amount`` random entries of ``module.<name>`` (an int count or a fraction).

    >>> import kittygrad as kitty
    >>> m = random_unstructured(kitty.nn.Linear(4, 1), "weight", amount=0.5)
    >>> int(m.weight_mask.sum())
    2
    """
    return _prune_module(RandomUnstructured, module, name, amount=amount)


def l1_unstructured(module: Module, name: str, amount: int | float, importance_scores: Tensor | None = None) -> Module:
    """Prune the ``amount`` entries of ``module.<name>`` with the smallest absolute value (or the
    smallest ``importance_scores``).

    >>> import kittygrad as kitty
    >>> m = kitty.nn.Linear(3, 1)
    >>> with kitty.no_grad(): _ = m.weight.copy_(kitty.tensor([[0.5, -0.1, 0.2]]))
    >>> l1_unstructured(m, "weight", amount=1).weight_mask
    tensor([[1., 0., 1.]])
    """
    return _prune_module(L1Unstructured, module, name, importance_scores, amount=amount)


def random_structured(module: Module, name: str, amount: int | float, dim: int) -> Module:
    """Prune ``amount`` random channels of ``module.<name>`` along ``dim``.

    >>> import kittygrad as kitty
    >>> m = random_structured(kitty.nn.Linear(2, 4), "weight", amount=1, dim=0)
    >>> m.weight_mask.sum(1).tolist().count(0.0)
    1
    """
    return _prune_module(RandomStructured, module, name, amount=amount, dim=dim)


def ln_structured(module: Module, name: str, amount: int | float, n: int | float | str, dim: int,
                  importance_scores: Tensor | None = None) -> Module:
    """Prune the ``amount`` channels of ``module.<name>`` along ``dim`` with the smallest L``n`` norm.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.Linear(2, 2)
    >>> with kitty.no_grad(): _ = m.weight.copy_(kitty.tensor([[1., 2.], [0.1, 0.1]]))
    >>> ln_structured(m, "weight", amount=1, n=2, dim=0).weight
    tensor([[1., 2.],
            [0., 0.]], grad_fn=<MulBackward>)
    """
    return _prune_module(LnStructured, module, name, importance_scores, amount=amount, n=n, dim=dim)


def global_unstructured(parameters: Iterable[tuple[Module, str]], pruning_method: type,
                        importance_scores: dict | None = None, **kwargs: Any) -> None:
    """Prune several parameters at once, as one pool: ``pruning_method(**kwargs)`` (unstructured)
    picks entries across all of them, so a layer with small weights may lose more than another.

    >>> import kittygrad as kitty
    >>> a, b = kitty.nn.Linear(2, 1, bias=False), kitty.nn.Linear(2, 1, bias=False)
    >>> with kitty.no_grad(): _ = a.weight.copy_(kitty.tensor([[1., 2.]])); _ = b.weight.copy_(kitty.tensor([[3., 4.]]))
    >>> global_unstructured([(a, "weight"), (b, "weight")], L1Unstructured, amount=2)
    >>> a.weight_mask, b.weight_mask
    (tensor([[0., 0.]]), tensor([[1., 1.]]))
    """
    scores_of = {} if importance_scores is None else importance_scores
    for fine, complaint in ((isinstance(parameters, Iterable), "parameters is not an Iterable"),
                            (isinstance(scores_of, dict), "importance_scores must be of type dict")):
        if not fine:
            raise KittyTypeError(f"global_unstructured(): {complaint}")
    targets = [(module, name) for module, name in parameters]  # a generator would be spent after one walk
    tensors = [getattr(module, name) for module, name in targets]
    earlier = []
    for (module, name), t in zip(targets, tensors):
        mask_key = _slots(name)[1]
        earlier.append(getattr(module, mask_key) if hasattr(module, mask_key) else C.ones_like(t))
    chooser = pruning_method(**kwargs)
    kind = getattr(chooser, "PRUNING_TYPE", None)
    if kind != "unstructured":
        raise KittyTypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                             f"Found method {pruning_method} of type {kind}")
    # the pool goes through a one-method container so that entries pruned earlier are not counted
    # again; the name is a placeholder both must share
    pool = PruningContainer()
    pool._tensor_name = chooser._tensor_name = "pool"
    pool.add_pruning_method(chooser)
    pooled_scores = parameters_to_vector([scores_of.get(key, t) for key, t in zip(targets, tensors)])
    with no_grad():
        pooled_mask = pool.compute_mask(pooled_scores, parameters_to_vector(earlier))
    pieces = pooled_mask.split([t.numel() for t in tensors])
    for (module, name), t, piece in zip(targets, tensors, pieces):
        custom_from_mask(module, name, mask=piece.view_as(t))


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    """Prune ``module.<name>`` with the given 0/1 ``mask`` (combined with any earlier one).

    >>> import kittygrad as kitty
    >>> custom_from_mask(kitty.nn.Linear(2, 3), "bias", mask=kitty.tensor([0, 1, 0])).bias_mask
    tensor([0., 1., 0.])
    """
    return _prune_module(CustomFromMask, module, name, mask=mask)


def remove(module: Module, name: str) -> Module:
    """Make the pruning of ``module.<name>`` permanent and drop its hook, ``<name>_orig`` and
    ``<name>_mask``.

    >>> import kittygrad as kitty
    >>> m = remove(l1_unstructured(kitty.nn.Linear(2, 1), "weight", amount=1), "weight")
    >>> [n for n, _ in m.named_parameters()], is_pruned(m)
    (['bias', 'weight'], False)
    """
    keys = _pruning_hook_keys(module, name)
    if not keys:
        raise KittyValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")
    key = keys[0]
    module._forward_pre_hooks[key].remove(module)
    del module._forward_pre_hooks[key]  # only once the re-parametrisation is gone, as torch
    return module


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or any submodule carries a pruning hook.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.Sequential(kitty.nn.Linear(2, 2))
    >>> is_pruned(m), is_pruned(identity(m[0], "weight") and m)
    (False, True)
    """
    return any(isinstance(hook, BasePruningMethod)
               for _, sub in module.named_modules() for hook in sub._forward_pre_hooks.values())


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _check_amount(amount: Any) -> None:
    """An amount is a count (an int >= 0) or a fraction (a real in [0, 1])."""
    counted = isinstance(amount, numbers.Integral)
    if not (counted or isinstance(amount, numbers.Real)):
        raise KittyTypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    # a fraction is checked as "outside [0, 1]" rather than "not inside", so NaN passes, as in torch
    outside = amount < 0 if counted else (float(amount) < 0.0 or float(amount) > 1.0)
    if outside:
        raise KittyValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _channel_norms(t: Tensor, n: Any, dim: int) -> Tensor:
    """The L``n`` norm of each slice of ``t`` along ``dim`` (over all the other dims)."""
    dim = dim % t.dim()
    return _norm(t, p=n, dim=[d for d in range(t.dim()) if d != dim])


def _channel_mask(t: Tensor, dim: int, channels: Tensor) -> Tensor:
    """Ones on the slices ``channels`` (indices or a bool mask) of ``t`` along ``dim``, zeros elsewhere."""
    mask = C.zeros_like(t)
    mask[tuple(channels if d == dim % t.dim() else slice(None) for d in range(t.dim()))] = 1
    return mask


def _torch_topk_indices(values: Any, k: int, largest: bool) -> list[int]:
    """The indices (as a set, in no promised order) that torch's CPU ``topk`` of the 1-D array
    ``values`` returns, ties included. NaN counts as the largest value, as in torch.

    >>> import kittygrad.backend as B
    >>> sorted(_torch_topk_indices(B.xp.zeros(10), 3, largest=False))
    [6, 7, 8]
    """
    n = len(values)
    if k <= 0:
        return []
    if k >= n:
        return list(range(n))
    xp = B.xp
    if not xp.isnan(values).any():
        order = xp.argsort(-values if largest else values, kind="stable")
        # without a tie across the cut, the chosen set is the same whichever algorithm picks it
        if values[order[k - 1]] != values[order[k]]:
            return order[:k].tolist()
    if largest:
        def less(x: float, y: float) -> bool:
            return (math.isnan(x) and not math.isnan(y)) or x > y
    else:
        def less(x: float, y: float) -> bool:
            return (not math.isnan(x) and math.isnan(y)) or x < y
    items = [(float(v), i) for i, v in enumerate(values.tolist())]
    _StdSelect(items, less).select(k)
    return [i for _, i in items[:k]]


class _StdSelect:
    """libstdc++'s ``partial_sort`` (heap select) and ``nth_element`` (introselect) on a list of
    ``(value, index)`` pairs, comparing values only: torch's CPU topk runs the first when
    ``64 * k <= n`` and the second otherwise, and how they move equal values decides which of
    them are returned. Only the reordering matters here, not the final sort."""

    def __init__(self, items: list[tuple[float, int]], less: Callable[[float, float], bool]) -> None:
        self.q = items
        self.less = less

    def select(self, k: int) -> None:
        n = len(self.q)
        if 64 * k <= n:
            self.heap_select(0, k, n)
        else:
            self.introselect(0, k - 1, n, 2 * (n.bit_length() - 1))

    def lt(self, i: int, j: int) -> bool:
        return self.less(self.q[i][0], self.q[j][0])

    def adjust_heap(self, first: int, hole: int, length: int, value: tuple[float, int]) -> None:
        q, top, child = self.q, hole, hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if self.lt(first + child, first + child - 1):
                child -= 1
            q[first + hole] = q[first + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            q[first + hole] = q[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and self.less(q[first + parent][0], value[0]):
            q[first + hole] = q[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        q[first + hole] = value

    def make_heap(self, first: int, last: int) -> None:
        length = last - first
        if length < 2:
            return
        for parent in range((length - 2) // 2, -1, -1):
            self.adjust_heap(first, parent, length, self.q[first + parent])

    def heap_select(self, first: int, middle: int, last: int) -> None:
        q = self.q
        self.make_heap(first, middle)
        for i in range(middle, last):
            if self.lt(i, first):
                value = q[i]
                q[i] = q[first]
                self.adjust_heap(first, 0, middle - first, value)

    def introselect(self, first: int, nth: int, last: int, depth: int) -> None:
        q = self.q
        while last - first > 3:
            if depth == 0:
                self.heap_select(first, nth + 1, last)
                q[first], q[nth] = q[nth], q[first]
                return
            depth -= 1
            cut = self.partition_pivot(first, last)
            if cut <= nth:
                first = cut
            else:
                last = cut
        self.insertion_sort(first, last)

    def partition_pivot(self, first: int, last: int) -> int:
        q = self.q
        mid = first + (last - first) // 2
        a, b, c = first + 1, mid, last - 1
        # the median of three moves to ``first`` and serves as the pivot
        if self.lt(a, b):
            pick = b if self.lt(b, c) else (c if self.lt(a, c) else a)
        else:
            pick = a if self.lt(a, c) else (c if self.lt(b, c) else b)
        q[first], q[pick] = q[pick], q[first]
        lo, hi = first + 1, last
        while True:
            while self.lt(lo, first):
                lo += 1
            hi -= 1
            while self.lt(first, hi):
                hi -= 1
            if not lo < hi:
                return lo
            q[lo], q[hi] = q[hi], q[lo]
            lo += 1

    def insertion_sort(self, first: int, last: int) -> None:
        q = self.q
        for i in range(first + 1, last):
            value = q[i]
            if self.less(value[0], q[first][0]):
                q[first + 1:i + 1] = q[first:i]
                q[first] = value
            else:
                j = i
                while self.less(value[0], q[j - 1][0]):
                    q[j] = q[j - 1]
                    j -= 1
                q[j] = value
