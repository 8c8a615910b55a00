"""Saved-tensor audit: for every op-table row, change each input (and each output) in place
after the forward pass, then run backward. kittygrad must either refuse (RuntimeError, version
control) or give the gradient the unchanged values give: anything else is a silently wrong
gradient (the op reads an array it did not declare in ``saved_inputs`` / ``saves_output``)."""
from __future__ import annotations

import warnings

import numpy as np

import kittygrad as kitty
from _row_checks import grad_flags as _flags
from _row_checks import plain_shapes as _shapes
from op_table import ROWS


def _arrays(row, shapes, rng):
    out = []
    for s in shapes:
        x = rng.standard_normal(s)
        out.append(np.asarray(row.domain(x) if row.domain is not None else x, dtype=np.float64))
    return out


def _run(row, arrays, modify=None, scale=None):
    """modify: ("in", j) or ("out", i) or None; scale: (i, factor) scales output i's weight.
    Returns the leaves' gradients, "refused" (backward raised RuntimeError) or None."""
    leaves = [kitty.tensor(a, dtype=kitty.float64, requires_grad=f) for a, f in zip(arrays, _flags(row))]
    xs = [leaf * 1 if f else leaf.clone() for leaf, f in zip(leaves, _flags(row))]
    out = row.fn(kitty, *xs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    outs = [o for o in outs if isinstance(o, kitty.Tensor)]
    rng = np.random.default_rng(5)
    ws = [rng.standard_normal(tuple(o.shape)) for o in outs]
    if scale is not None:
        ws[scale[0]] = ws[scale[0]] * scale[1]
    if modify is not None:
        kind, j = modify
        target = xs[j] if kind == "in" else outs[j]
        with kitty.no_grad() if kind == "in" else _null():
            if kind == "in":
                target.add_(0.375)  # a value change the op must notice or not depend on
            elif target.is_floating_point():
                target.mul_(1.5)
            else:
                target.zero_()  # indices (max, sort, topk, ...): still valid, but different
    loss = None
    for o, w in zip(outs, ws):
        if o.requires_grad and o.is_floating_point():
            term = (o * kitty.tensor(w)).sum()
            loss = term if loss is None else loss + term
    if loss is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss.backward()
    except RuntimeError:
        return "refused"
    return [leaf.grad.numpy().copy() if leaf.grad is not None else None for leaf in leaves]


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def audit_row(row, seed=0):
    """Problems found for one row: a list of strings (empty when the row is sound)."""
    if row.random or row.inputs != "float" or row.grad is False:
        return []
    rng = np.random.default_rng(seed)
    shapes = _shapes(row, rng)
    arrays = _arrays(row, shapes, rng)
    try:
        ref = _run(row, arrays)
    except Exception:  # noqa: BLE001 - rows that need other shapes; the op table covers them
        return []
    if ref is None:
        return []
    problems = []
    for kind, n in (("in", row.nargs), ("out", None)):
        if kind == "out":
            leaves = [kitty.tensor(a, dtype=kitty.float64) for a in arrays]
            o = row.fn(kitty, *leaves)
            o = list(o) if isinstance(o, (tuple, list)) else [o]
            outs_float = [isinstance(x, kitty.Tensor) and x.is_floating_point() for x in o]
            n = len(o)
        for j in range(n):
            if kind == "in" and not _flags(row)[j]:
                continue
            try:
                got = _run(row, arrays, (kind, j))
            except Exception:  # noqa: BLE001 - an in-place change refused at once is safe
                continue
            if got in (None, "refused"):
                continue
            # the unchanged values' gradient: output j's weight times 1.5 when output j was scaled
            changed = outs_float[j] if kind == "out" else False
            expect = _run(row, arrays, scale=(j, 1.5)) if changed else ref
            for i, (g, r) in enumerate(zip(got, expect)):
                if r is None or g is None:
                    continue
                if not np.allclose(g, r, rtol=1e-6, atol=1e-9, equal_nan=True):
                    problems.append(f"{row.name}: {kind}put {j} changed in place after forward: gradient of input {i} silently wrong")
    return problems


def audit_all():
    found = []
    for row in ROWS:
        found.extend(audit_row(row))
    return found


if __name__ == "__main__":
    for p in audit_all():
        print(p)
