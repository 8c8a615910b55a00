"""The op table covers the package: every Op class is exercised by some row, and every public op
function has a row (rows live by family in ``tests/ops/test_<family>.py``)."""
from __future__ import annotations

import inspect

import numpy as np
from _row_checks import draw_arrays, run
from op_table import ROWS

import kittygrad as kitty
from kittygrad.autograd import function as kfunction
from kittygrad.autograd.function import CopySlices, Op


def _all_op_classes():
    seen, stack = set(), [Op]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    # private classes (``_Selecting``, ...) are shared bases, not ops of their own; nor are the
    # subclasses saved-tensor hooks make of an op (autograd/graph.py), or bfloat16 inputs make of it
    # (the widened backward, autograd/function.py), whatever ran before here
    return {
        c for c in seen
        if c.__module__.startswith("kittygrad.") and not c.__name__.startswith("_")
        and ("backward" in c.__dict__ or "forward" in c.__dict__) and not c.__dict__.get("_hooked", False)
        and "_float32_backward" not in c.__dict__
    }


def _exercised_classes():
    found = set()

    def observer(kind, name, node, inputs, outputs):
        if node is None:
            return
        cls = type(node.fn) if isinstance(node, CopySlices) else type(node)
        found.update(cls.__mro__)  # a specialised subclass (e.g. _saving_all's) exercises its base

    kfunction.observers.append(observer)
    try:
        for row in ROWS:
            shapes = row.shapes(np.random.default_rng(0)) if row.shapes else [(2, 3)] * row.nargs
            if not row.shapes and row.broadcast:
                shapes = [(2, 3)] + [(3,)] * (row.nargs - 1)
            if row.min_dims >= 3:
                shapes = [(2, 3, 4)] * row.nargs
            run(kitty, row, draw_arrays(row, shapes, 0), "float64")
    finally:
        kfunction.observers.remove(observer)
    return found


def test_every_op_class_has_a_row():
    """A primitive nobody tests is a primitive nobody trusts: each Op subclass must be exercised."""
    missing = sorted(c.__name__ for c in _all_op_classes() - _exercised_classes())
    assert not missing, f"these ops have no row in tests/ops/: {missing}"


# names that are public but not ops of their own (aliases are covered through `also`)
# (check_distribution: multinomial's weight check, shared with WeightedRandomSampler; name_outputs: the
# names torch prints for a fused recurrent node's outputs, shared with the packed-sequence path;
# nan_to_num_params: nan_to_num's defaults for a dtype, shared with the in-place Tensor method;
# expanded_shape: expand's size check, shared with index assignment's value check)
NOT_OPS = {"broadcast_shapes", "check_distribution", "expanded_shape", "name_outputs", "nan_to_num_params"}


def _public_op_names():
    import kittygrad.ops as ops_pkg
    import pkgutil
    import importlib

    names = set()
    for mod_info in pkgutil.walk_packages(ops_pkg.__path__, "kittygrad.ops."):
        if mod_info.name.rsplit(".", 1)[-1].startswith("_") or mod_info.ispkg:
            continue
        mod = importlib.import_module(mod_info.name)
        for name, obj in vars(mod).items():
            if name.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != mod.__name__:
                continue
            names.add(name)
    return names - NOT_OPS


def test_every_public_op_has_a_row():
    covered = set()
    for r in ROWS:
        covered.update(r.names)
    missing = sorted(n for n in _public_op_names() if n not in covered)
    assert not missing, f"public ops without a row in tests/ops/: {missing}"
