"""``functional_call`` and ``stack_module_state``: a module run with tensors given from outside."""

from __future__ import annotations

from typing import Any

from ..errors import KittyRuntimeError, KittyValueError
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from ..ops.joining import stack


def _merged(parameter_and_buffer_dicts: Any) -> dict:
    if isinstance(parameter_and_buffer_dicts, dict):
        return dict(parameter_and_buffer_dicts)
    if isinstance(parameter_and_buffer_dicts, (list, tuple)) and all(
        isinstance(d, dict) for d in parameter_and_buffer_dicts
    ):
        merged: dict = {}
        repeated = []
        for d in parameter_and_buffer_dicts:
            for k, v in d.items():
                if k in merged and k not in repeated:
                    repeated.append(k)
                merged[k] = v
        if repeated:
            raise KittyValueError(
                f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous"
            )
        return merged
    raise KittyValueError(
        "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
        f"{type(parameter_and_buffer_dicts)}"
    )


def _owner(module: Module, name: str) -> tuple[Module, str]:
    *path, attr = name.split(".")
    for part in path:
        module = getattr(module, part)
    return module, attr


def _all_tensors(module: Module) -> list:
    """Every (dotted name, tensor) of the module's parameters then buffers, shared ones repeated."""
    found: list = []
    for walk in (module.named_parameters, module.named_buffers):
        found.extend(walk("", True, False))
    return found


def _tied_groups(module: Module) -> list[list[str]]:
    """Names (with duplicates) that hold one and the same tensor, for every tensor held twice."""
    by_id: dict = {}
    for name, t in _all_tensors(module):
        by_id.setdefault(id(t), []).append(name)
    return [names for names in by_id.values() if len(names) > 1]


def functional_call(
    module: Module,
    parameter_and_buffer_dicts: dict | tuple | list,
    args: Any = None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """Call ``module`` with the given tensors in place of its parameters and buffers (by dotted
    name); the module's own tensors are back when the call returns.

    >>> import kittygrad as kitty
    >>> lin = kitty.nn.Linear(2, 1)
    >>> params = {"weight": kitty.ones(1, 2), "bias": kitty.zeros(1)}
    >>> kitty.func.functional_call(lin, params, (kitty.tensor([1., 2.]),))
    tensor([3.])
    """
    given = _merged(parameter_and_buffer_dicts)
    if tie_weights:
        for names in _tied_groups(module):
            present = [n for n in names if n in given]
            if len(present) > 1 and any(given[n] is not given[present[0]] for n in present[1:]):
                raise KittyValueError(
                    f"functional_call got multiple values for keys {present}, which are tied. Consider using "
                    "tie_weights=False"
                )
            if present:
                for n in names:
                    given.setdefault(n, given[present[0]])
    known = [n for n, _ in _all_tensors(module)]
    if strict:
        missing = [n for n in known if n not in given]
        unexpected = [n for n in given if n not in known]
        problems = []
        if unexpected:
            problems.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
        if missing:
            problems.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
        if problems:
            raise KittyRuntimeError(
                f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(problems)
            )
    restore = []  # (table or None for a plain attribute, owner, attr, old value)
    try:
        for name, value in given.items():
            owner, attr = _owner(module, name)
            for registry in ("_parameters", "_buffers"):
                table = owner.__dict__[registry]
                if attr in table:
                    restore.append((table, owner, attr, table[attr]))
                    table[attr] = value
                    break
            else:  # not a parameter or buffer: a plain attribute for the call (as torch)
                restore.append((None, owner, attr, owner.__dict__.get(attr, _MISSING)))
                object.__setattr__(owner, attr, value)
        positional = args if isinstance(args, tuple) else (() if args is None else (args,))
        return module(*positional, **(kwargs or {}))
    finally:
        for table, owner, attr, old in reversed(restore):
            if table is not None:
                table[attr] = old
            elif old is _MISSING:
                owner.__dict__.pop(attr, None)
            else:
                object.__setattr__(owner, attr, old)


_MISSING = object()


def stack_module_state(models: list | tuple) -> tuple[dict, dict]:
    """The parameters and buffers of same-shaped ``models`` stacked along a new dim 0: new leaves
    (parameters keep ``requires_grad``), ready for ``vmap(functional_call)`` ensembles.

    >>> import kittygrad as kitty
    >>> params, buffers = kitty.func.stack_module_state([kitty.nn.Linear(3, 2) for _ in range(4)])
    >>> params["weight"].shape
    kittygrad.Size([4, 2, 3])
    """
    models = list(models)
    if not models:
        raise KittyRuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise KittyRuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    first = type(models[0])
    if any(type(m) is not first for m in models):
        raise KittyRuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(named: list, keep_grad: bool) -> dict:
        out = {}
        for name, t in named:
            values = [t] + [
                dict(getattr(m, "named_parameters" if keep_grad else "named_buffers")())[name] for m in models[1:]
            ]
            s = stack([v.detach() for v in values])
            out[name] = s.requires_grad_(t.requires_grad) if keep_grad else s
        return out

    params = stacked(list(models[0].named_parameters()), True)
    buffers = stacked(list(models[0].named_buffers()), False)
    return params, buffers


def replace_all_batch_norm_modules_(root: Module) -> Module:
    """Make every BatchNorm in ``root`` use batch statistics only (no running buffers), in place, as
    ``vmap`` over a model in training needs; returns ``root``.

    >>> import kittygrad as kitty
    >>> net = kitty.func.replace_all_batch_norm_modules_(kitty.nn.Sequential(kitty.nn.BatchNorm1d(3)))
    >>> net[0].running_mean is None, net[0].track_running_stats
    (True, False)
    """
    for module in root.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean = module.running_var = module.num_batches_tracked = None
            module.track_running_stats = False
    return root


__all__ = ["functional_call", "replace_all_batch_norm_modules_", "stack_module_state"]
