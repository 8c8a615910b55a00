"""``vmap``: map a function over a dim of its inputs, as ``torch.func.vmap``.

kittygrad has no batching rules yet: ``vmap`` runs ``func`` once per index of the mapped dim (on
``select`` views of the inputs, so gradients flow back to them) and stacks the results along
``out_dims``. It says so once per function with a warning, so the loop is never silent. Anything
``func`` does per sample works, including every transform (``vmap(grad(f))`` gives per-sample
gradients). Torch's ``randomness`` modes are kept: ``"error"`` refuses a function that draws random
numbers, ``"same"`` gives every sample the same draws, ``"different"`` independent ones.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from typing import Any, Callable

from ..creation import get_rng_state, set_rng_state
from ..errors import KittyIndexError, KittyRuntimeError, KittyValueError
from ..ops.joining import stack
from ..tensor import Tensor
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

        def walk(d: Any, node: Any) -> None:
            if d is None or isinstance(d, int):
                dims.extend([d] * tree_flatten(node)[1].num_leaves)
                return
            if isinstance(d, (tuple, list)) and isinstance(node, (tuple, list)) and len(d) == len(node):
                for dc, nc in zip(d, node):
                    walk(dc, nc)
                return
            if isinstance(d, dict) and isinstance(node, dict) and set(d) == set(node):
                for k in node:
                    walk(d[k], node[k])
                return
            raise KittyValueError(
                f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
                f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}."
            )

        walk(in_dims, args)
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

    def walk(d: Any, node: Any) -> None:
        if d is None or isinstance(d, int):
            dims.extend([d] * tree_flatten(node)[1].num_leaves)
        elif isinstance(d, (tuple, list)) and isinstance(node, (tuple, list)) and len(d) == len(node):
            for dc, nc in zip(d, node):
                walk(dc, nc)
        else:
            raise KittyValueError(
                f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                f"structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs has "
                f"structure {spec}."
            )

    walk(out_dims, output)
    return dims


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
    or ``None`` (not mapped) per entry. ``chunk_size`` is accepted (torch's memory bound).

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
        key = getattr(inspect.unwrap(func), "__code__", func)
        if key not in _warned:
            _warned.add(key)
            warnings.warn(
                f"vmap fell back to a loop for {_name(func)}: kittygrad has no batching rules yet, so it runs the "
                "function once per sample",
                UserWarning,
                stacklevel=2,
            )
        state = get_rng_state() if randomness != "different" else None
        results = []
        for i in range(size):
            if randomness == "same":
                set_rng_state(state)
            sample = [leaf.select(d, i) if d is not None else leaf for leaf, d in zip(leaves, dims)]
            results.append(func(*tree_unflatten(sample, spec), **kwargs))
            if randomness == "error" and i == 0 and not _same_state(state, get_rng_state()):
                raise KittyRuntimeError(
                    "vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                    "'different' randomness flags on vmap or perform the randomness operation out of vmap"
                )
        return _stacked(func, out_dims, results)

    return wrapper


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
            raise KittyValueError(
                f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type {type(first)}. Did you "
                "mean to set out_dims= to None for output?"
            )
        nd = first.dim() + 1
        if not -nd <= d < nd:
            raise KittyIndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {d})")
        merged.append(stack(column, dim=d))
    return tree_unflatten(merged, result_spec)
