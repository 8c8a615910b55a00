"""``vmap``: map a function over a dim of its inputs, as ``torch.func.vmap``.

``func`` runs once, on BatchedTensors (``_batched``): each op it calls meets its batching rule
(``_batching_rules``) and runs once on all samples, so ``vmap(grad(f))`` gives per-sample gradients
from one forward and one backward pass. What has no batching rule still works, per sample, and
says so with a warning, once: an op without a rule runs once per sample inside the batched run
(``vmap fell back to a loop for <op>``); a function that reads a batched tensor's values outside
ops, or draws random numbers that must differ per sample (``randomness="different"``), is run
once per sample as a whole (``vmap fell back to a loop for <function>: <why>``). Forward-mode AD
inside vmap (``vmap(jvp)``, ``vmap(jacfwd)``) runs batched too: its dual level sits under the
vmap levels (``autograd.forward_ad``). Torch's ``randomness`` modes are kept: ``"error"`` refuses
a function that draws random numbers, ``"same"`` gives every sample the same draws,
``"different"`` independent ones.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from typing import Any, Callable

from .. import backend as B
from ..backend_random import default_generator
from ..autograd import forward_ad
from ..autograd import function as _function
from ..autograd import gradients as _gradients
from .._runtime import first_warning
from ..creation import get_rng_state, set_rng_state
from ..errors import KittyIndexError, KittyRuntimeError, KittyValueError
from ..ops.joining import cat, stack
from ..tensor import Tensor
from . import _batched as B_
from . import _batching_rules as _rules
from ._pytree import TreeSpec, tree_flatten, tree_unflatten

_RANDOMNESS = ("error", "different", "same")
_warned: set = set()


def _name(func: Callable) -> str:
    return getattr(func, "__name__", type(func).__name__)


def _in_dims_per_leaf(func: Callable, in_dims: Any, args: tuple) -> tuple[list, TreeSpec]:
    """One in_dim (int or None) per leaf of ``args``, checked as torch checks them."""
    where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not (isinstance(in_dims, int) and not isinstance(in_dims, bool)) and not isinstance(in_dims, tuple):
        raise KittyValueError(
            f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching the structure of "
            f"inputs, got: {type(in_dims)}."
        )
    leaves, spec = tree_flatten(args)
    if isinstance(in_dims, int):
        dims = [in_dims] * len(leaves)
    else:
        dims = []
        if not _dims_into(in_dims, args, dims, dicts=True):
            raise KittyValueError(
                f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
                f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}."
            )
    for leaf, d in zip(leaves, dims):
        if d is None:
            continue
        if not isinstance(leaf, Tensor):
            raise KittyValueError(
                f"{where}: Got in_dim={d} for an input but the input is of type {type(leaf)}. We cannot vmap over "
                "non-Tensor arguments, please use None as the respective in_dim"
            )
        nd = leaf.dim()
        if not -nd <= d < nd:
            raise KittyValueError(
                f"{where}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality {nd} so "
                f"expected in_dim to satisfy -{nd} <= in_dim < {nd}."
            )
    return dims, leaves


def _batch_size(leaves: list, dims: list, func: Callable, in_dims: Any) -> int:
    sizes = [leaf.shape[d] for leaf, d in zip(leaves, dims) if d is not None]
    if not sizes:
        raise KittyValueError(
            f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got all in_dims=None. At least one of the "
            "inputs must be batched"
        )
    if any(s != sizes[0] for s in sizes):
        raise KittyValueError(
            f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes {sizes} for the "
            "mapped dimension"
        )
    return sizes[0]


def _out_dims_per_leaf(func: Callable, out_dims: Any, output: Any) -> list:
    leaves, spec = tree_flatten(output)
    if isinstance(out_dims, int) or out_dims is None:
        return [out_dims] * len(leaves)
    dims: list = []
    if not _dims_into(out_dims, output, dims, dicts=False):
        raise KittyValueError(
            f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
            f"structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs has "
            f"structure {spec}."
        )
    return dims


def _dims_into(d: Any, node: Any, dims: list, dicts: bool) -> bool:
    """Append one dim per leaf of ``node`` to ``dims``, where ``d`` (an int, None, or a tuple,
    list or, for inputs, dict of those) spreads over the tree; False where the structures differ.
    (Module level: a nested function calling itself would be a reference cycle.)"""
    if d is None or isinstance(d, int):
        dims.extend([d] * tree_flatten(node)[1].num_leaves)
        return True
    if isinstance(d, (tuple, list)) and isinstance(node, (tuple, list)) and len(d) == len(node):
        return all(_dims_into(dc, nc, dims, dicts) for dc, nc in zip(d, node))
    if dicts and isinstance(d, dict) and isinstance(node, dict) and set(d) == set(node):
        return all(_dims_into(d[k], node[k], dims, dicts) for k in node)
    return False


def vmap(
    func: Callable,
    in_dims: int | tuple = 0,
    out_dims: int | tuple = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable:
    """``func`` mapped over dim ``in_dims`` of its inputs, results stacked along ``out_dims``.

    ``in_dims``/``out_dims``: an int for all, or a pytree prefix of the inputs/outputs with an int
    or ``None`` (not mapped) per entry. ``chunk_size`` runs that many samples at a time (a memory bound).

    >>> import kittygrad as kitty
    >>> kitty.func.vmap(lambda row: row.sum())(kitty.ones(3, 2))
    tensor([2., 2., 2.])
    >>> grads = kitty.func.vmap(kitty.func.grad(lambda x: (x ** 2).sum()))(kitty.ones(3, 2))
    >>> grads.shape
    kittygrad.Size([3, 2])
    """
    if randomness not in _RANDOMNESS:
        raise KittyRuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}"
        )
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise KittyValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not args:
            raise KittyValueError(
                f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
                "to vmap over a function with no inputs. The latter is unsupported."
            )
        dims, leaves = _in_dims_per_leaf(func, in_dims, args)
        size = _batch_size(leaves, dims, func, in_dims)
        spec = tree_flatten(args)[1]
        call = (func, spec, kwargs, out_dims, randomness)
        if forward_ad.is_active():  # tangents have no batching rules
            return _fell_back(call, leaves, dims, size, "a forward-mode AD level is open")
        if chunk_size is None or chunk_size >= size:
            return _batched_call(call, leaves, dims, size)
        parts = []
        for start in range(0, size, chunk_size):
            n = min(chunk_size, size - start)
            chunk = [leaf.narrow(d, start, n) if d is not None else leaf for leaf, d in zip(leaves, dims)]
            parts.append(_batched_call(call, chunk, dims, n))
        return _joined_chunks(func, out_dims, parts)

    return wrapper


class RngBefore:
    """The default generator's state as it was before a run's first draw, read only if the run
    draws: reading the state costs ~40 us, more than a small vmap's whole batched run, and most
    runs draw nothing (then ``drew()`` is False and ``restore()`` does nothing)."""

    def __init__(self) -> None:
        self.generator = default_generator
        self.stamp = self.generator.stamp()
        self.state = None
        self.generator.on_next_change(self._keep)

    def _keep(self) -> None:
        self.state = get_rng_state()

    def drew(self) -> bool:
        return self.generator.stamp() != self.stamp

    def restore(self) -> None:
        if self.drew():
            set_rng_state(self.state)
            self.stamp = self.generator.stamp()

    def close(self) -> None:
        """Stop watching (the state, if kept, stays readable)."""
        self.generator.forget(self._keep)


def _batched_call(call: tuple, leaves: list, dims: list, size: int) -> Any:
    """``func`` run once on BatchedTensors; the per-sample loop when it needs one."""
    func, spec, kwargs, out_dims, randomness = call
    before = RngBefore()
    state = get_rng_state() if randomness == "different" else None  # (what _PerSampleDraws compares with)
    moved = [leaf.movedim(d, 0) if d is not None else None for leaf, d in zip(leaves, dims)]
    level = _rules.open_level(size, randomness)
    level.inputs = [m for m in moved if m is not None]
    if randomness != "different":
        draws = _SharedDraws(level)
    else:
        draws = _PerSampleDraws(level, state) if len(B_.primal_levels()) == 1 else None
    try:
        inputs = [B_.BatchedTensor.make(m, level) if m is not None else leaf for m, leaf in zip(moved, leaves)]
        if draws is not None:
            with draws:
                output = func(*tree_unflatten(inputs, spec), **kwargs)
        else:
            output = func(*tree_unflatten(inputs, spec), **kwargs)
        flat, out_spec = tree_flatten(output)
        odims = _out_dims_per_leaf(func, out_dims, output)
        physical = []
        for o, d in zip(flat, odims):
            if d is not None and not isinstance(o, Tensor):  # (out_dim None passes any value through, as torch)
                raise _not_a_tensor(func, o)
            if d is None:
                if B_.is_batched_at(o, level):
                    raise KittyValueError(
                        f"vmap({_name(func)}, ...): `{_name(func)}` can not return a BatchedTensor when out_dim is None"
                    )
                physical.append(o)
                continue
            _check_out_dim(o, d)
            physical.append(B_.batched_at(o, level)._phys)
        # drop this frame's hold on the batched tensors, so closing the level can free them
        inputs = output = flat = o = None
    except B_.VmapFallback as e:
        _rules.close_level(level)
        B_.undo_writes(level)
        before.restore()
        return _fell_back(call, leaves, dims, size, e.reason)
    finally:
        before.close()
        if B_.levels and B_.levels[-1] is level:
            _rules.close_level(level)
    if draws is not None and draws.all_per_sample():
        pass  # every draw was made for all samples at once, each its own numbers: torch's order of draws
    elif before.drew():
        if randomness == "error":
            raise B_.random_in_error_mode()
        if randomness == "different":  # one batched run drew the same numbers for every sample
            B_.undo_writes(level)
            before.restore()
            return _fell_back(call, leaves, dims, size, "it draws random numbers that must differ per sample")
    results = [p if d is None else p.movedim(0, d) for p, d in zip(physical, odims)]
    return tree_unflatten(results, out_spec)


class _PerSampleDraws:
    """``randomness="different"`` without the per-sample loop: while the batched run is in the
    function's own code (not inside an op), each draw from the default generator of a sample's
    shape is made once for all samples, ``(batch, *shape)``, and comes back batched, so every
    sample gets its own numbers in the order torch draws them (all samples of one draw, then the
    next draw; a loop would interleave them). Draws this cannot batch (inside an op, from another
    sampler, with array-valued parameters) move the generator unseen; ``all_per_sample`` then says
    False and vmap falls back to the loop as before."""

    # the samplers whose arguments are numbers and a shape (the shape is the second-to-last or last one)
    _SHAPE_AT = {"uniform": 2, "normal": 2, "integers": 2, "dropout_mask": 1, "bernoulli_scalar": 1, "exponential": 1}

    def __init__(self, level, state) -> None:
        self.level, self.expected, self.mixed = level, state, False
        self.hook = None

    def __enter__(self):
        self.hook, self._function = _function.dual_apply, _function
        gen = default_generator
        for name, at in self._SHAPE_AT.items():
            setattr(gen, name, self._batched_sampler(getattr(gen, name), at))
        gen.bernoulli = self._batched_bernoulli(gen.bernoulli)
        return self

    def __exit__(self, *exc) -> None:
        gen = default_generator
        for name in (*self._SHAPE_AT, "bernoulli"):
            gen.__dict__.pop(name, None)

    def _at_top(self) -> bool:
        """In the function's own code at this level: no op is running, no inner level is open."""
        return B_.levels and B_.levels[-1] is self.level and self._function.dual_apply is self.hook

    def _batched_sampler(self, sample, at: int):
        def draw(*args, **kwargs):
            numbers = [a for i, a in enumerate(args) if i != at]
            if not self._at_top() or len(args) <= at or any(not isinstance(a, (int, float, B.xp.number)) for a in numbers[:at]):
                return sample(*args, **kwargs)
            if not _same_state(self.expected, get_rng_state()):
                self.mixed = True  # a draw this did not batch came first
            size = args[at]
            size = (size,) if isinstance(size, int) else tuple(size)
            values = sample(*args[:at], (self.level.size,) + size, *args[at + 1 :], **kwargs)
            self.expected = get_rng_state()
            return B_.BatchedTensor.make(Tensor._wrap(values), self.level)._data

        return draw

    def _batched_bernoulli(self, sample):
        """``bernoulli(probs)`` of a whole batch: a sample's probabilities (batched, or shared and
        broadcast along the batch) compared with uniforms drawn for all samples, in C order."""

        def draw(probs, like=None):
            level = self.level
            if not self._at_top() or like is not None:
                return sample(probs, like)
            if type(probs) is B_._Logical and probs.owner._level is not level:
                return sample(probs, like)  # (batched at another level: it refuses, and vmap loops)
            physical = B_._physical_at(probs, level)
            if not _same_state(self.expected, get_rng_state()):
                self.mixed = True
            values = sample(physical)
            self.expected = get_rng_state()
            return B_.BatchedTensor.make(Tensor._wrap(values), level)._data

        return draw

    def all_per_sample(self) -> bool:
        return not self.mixed and _same_state(self.expected, get_rng_state())


class _SharedDraws:
    """randomness "error" and "same": bernoulli with batched probabilities would give each sample
    its own numbers, which torch refuses in both modes; this refuses it as torch does, before the
    sampler reads the stand-in for the probabilities (which would make vmap loop instead)."""

    def __init__(self, level) -> None:
        self.level, self.prev = level, None

    def __enter__(self):
        gen = default_generator
        self.prev = gen.__dict__.get("bernoulli")
        sample = gen.bernoulli

        def draw(probs, like=None):
            if type(probs) is B_._Logical and probs.owner._level is self.level:
                if self.level.randomness == "error":
                    raise B_.random_in_error_mode()
                raise B_.same_randomness_of_batched_input()
            return sample(probs, like)

        gen.bernoulli = draw
        return self

    def __exit__(self, *exc) -> None:
        gen = default_generator
        if self.prev is None:
            gen.__dict__.pop("bernoulli", None)
        else:
            gen.bernoulli = self.prev

    def all_per_sample(self) -> bool:
        return False


def _fell_back(call: tuple, leaves: list, dims: list, size: int, reason: str) -> Any:
    """The per-sample loop, with a warning that says why (once per function)."""
    func, spec, kwargs, out_dims, randomness = call
    key = getattr(inspect.unwrap(func), "__code__", func)
    if first_warning(_warned, key):
        warnings.warn(f"vmap fell back to a loop for {_name(func)}: {reason}", UserWarning, stacklevel=3)
    state = get_rng_state() if randomness == "same" else None
    stamp = default_generator.stamp()
    results = []
    for i in range(size):
        if randomness == "same":
            set_rng_state(state)
        sample = [leaf.select(d, i) if d is not None else leaf for leaf, d in zip(leaves, dims)]
        results.append(func(*tree_unflatten(sample, spec), **kwargs))
        if randomness == "error" and i == 0 and default_generator.stamp() != stamp:
            raise B_.random_in_error_mode()
    return _stacked(func, out_dims, results)


def _joined_chunks(func: Callable, out_dims: Any, parts: list) -> Any:
    flat0, spec = tree_flatten(parts[0])
    dims = _out_dims_per_leaf(func, out_dims, parts[0])
    columns = [tree_flatten(p)[0] for p in parts]
    merged = [first if d is None else cat([c[j] for c in columns], dim=d) for j, (first, d) in enumerate(zip(flat0, dims))]
    return tree_unflatten(merged, spec)


def _not_a_tensor(func: Callable, value: Any) -> KittyValueError:
    return KittyValueError(
        f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type {type(value)}. Did you "
        "mean to set out_dims= to None for output?"
    )


def _check_out_dim(sample: Tensor, d: int) -> None:
    nd = sample.dim() + 1
    if not -nd <= d < nd:
        raise KittyIndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {d})")


def _same_state(a: Tensor, b: Tensor) -> bool:
    return bool((a == b).all())


def _stacked(func: Callable, out_dims: Any, results: list) -> Any:
    flat0, result_spec = tree_flatten(results[0])
    dims = _out_dims_per_leaf(func, out_dims, results[0])
    columns = [tree_flatten(r)[0] for r in results]
    merged = []
    for j, (first, d) in enumerate(zip(flat0, dims)):
        column = [c[j] for c in columns]
        if d is None:
            if isinstance(first, Tensor) and any(
                not isinstance(v, Tensor) or v.shape != first.shape or not bool((v == first).all()) for v in column[1:]
            ):
                raise KittyValueError(
                    f"vmap({_name(func)}, ...): `{_name(func)}` can not return a BatchedTensor when out_dim is None"
                )
            merged.append(first)
            continue
        if not isinstance(first, Tensor):
            raise _not_a_tensor(func, first)
        _check_out_dim(first, d)
        shapes = {tuple(v.shape) for v in column if isinstance(v, Tensor)}
        if len(shapes) > 1:  # (boolean masks, nonzero, unique: a shape that depends on the values)
            raise B_.uneven_results(f"vmap({_name(func)}, ...): `{_name(func)}`", shapes)
        merged.append(stack(column, dim=d))
    return tree_unflatten(merged, result_spec)


_gradients.vmap = vmap  # (autograd's batched gradients run under it)
