"""Padding modes (constant, reflect, replicate, circular) and the slicing helpers they share."""
from __future__ import annotations

from ... import backend as B
from ...autograd.function import Op
from ...device import keep_channels_last
from ...errors import KittyNotImplementedError, KittyRuntimeError
from .._fused import xp
from .._prep import as_tensor_arg


def _tpad(t, pairs, value=0.0):
    """``t`` padded (negative: cropped) by ``(lo, hi)`` per dim, as a differentiable op."""
    pairs = tuple(pairs) + ((0, 0),) * (t._data.ndim - len(pairs))
    if not any(lo or hi for lo, hi in pairs):
        return t
    return Pad.apply(t, pads=pairs, mode="constant", value=value)


def _tslice(t, axis, start, count, step=1):
    """``t[..., start : start + count * step : step, ...]`` along ``axis`` (differentiable), built
    from padding and reshapes only, so it also differentiates twice."""
    shape = t._data.shape
    n = shape[axis]
    pairs = [(0, 0)] * len(shape)
    pairs[axis] = (-start, start + count * step - n)
    t = _tpad(t, pairs)
    if step == 1:
        return t
    t = t.reshape(shape[:axis] + (count, step) + shape[axis + 1:])
    pairs = [(0, 0)] * (len(shape) + 1)
    pairs[axis + 1] = (0, 1 - step)
    return _tpad(t, pairs).reshape(shape[:axis] + (count,) + shape[axis + 1:])


def _pad_index(n, lo, hi, mode):
    i = xp.arange(-lo, n + hi)
    if mode == "reflect":
        period = 2 * (n - 1)
        if period == 0:
            return xp.zeros_like(i)
        i = xp.abs(i) % period
        return xp.where(i >= n, period - i, i)
    if mode == "replicate":
        return xp.clip(i, 0, n - 1)
    return i % n  # circular


class Pad(Op):
    """Constant, reflect, replicate or circular padding (negative pads crop)."""

    saved_fields = ("crop", "grow", "index", "mode", "pads", "shape")
    _name = "ConstantPadNdBackward"

    @property
    def graph_formal_inputs(self):
        # torch: reflection_pad / replication_pad backward(grad, self); constant and circular
        # padding's gradients are slices of grad alone
        return (0,) if self.mode in ("reflect", "replicate") else ()

    def forward(self, x, pads=(), mode="constant", value=0.0, dims=0):
        self.shape, self.pads, self.mode = x.shape, pads, mode
        if mode in ("reflect", "replicate"):  # torch's node names the padded rank: ReflectionPad2DBackward0
            self._name = f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{dims}DBackward"
        if mode == "constant":
            crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pads, x.shape))
            grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
            self.crop, self.grow = crop, grow
            return xp.pad(x[crop], grow, constant_values=value)
        self.index = []
        out = x
        for ax, ((lo, hi), n) in enumerate(zip(pads, x.shape)):
            if lo or hi:
                idx = _pad_index(n, lo, hi, mode)
                self.index.append((ax, idx))
                out = xp.take(out, idx, axis=ax)
        return x.copy() if out is x else out  # (torch's result never shares the input's memory)

    def backward(self, g):
        if self.mode == "constant":
            core = g[tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.grow))]
            if core.shape == self.shape:
                # a copy, as torch's (a crop that pads negatively): the view of g would be strided, and a
                # gradient from autograd.grad (WGAN-GP's through a padded conv) must take .view(n, -1)
                return (core.copy(),)
            gx = xp.zeros_like(g, shape=self.shape)  # (zeros_like: a graph-building g stays one)
            gx[self.crop] = core
            return (gx,)
        for ax, idx in reversed(self.index):
            g = _gather_back(g, ax, idx, self.shape[ax], self.pads[ax], self.mode)
        return (g,)


def _gather_back(g, ax, idx, n, pads, mode):
    """The gradient of ``take(x, idx, axis=ax)`` for a padding index: ``g`` summed back onto the
    ``n`` positions its elements came from.

    With non-negative pads (within one period) the index is the identity in the middle and one
    run on each side: a reversed run (reflect), one repeated edge (replicate) or a plain run
    (circular). Each run is then one slice added into a copy of the middle, where NumPy's
    ``add.at`` over every element took 9x as long (reflect at (1, 28, 56, 70)). Other pads (a
    crop, circular padding wider than the input) keep ``add.at``.
    """
    lo, hi = pads
    fits = {"reflect": lo < n and hi < n, "replicate": True, "circular": lo <= n and hi <= n}[mode]
    if type(g) is not B.ndarray or lo < 0 or hi < 0 or not fits:
        shape = list(g.shape)
        shape[ax] = n
        acc = xp.zeros_like(g, shape=shape)
        xp.add.at(acc, (slice(None),) * ax + (idx,), g)
        return acc

    def along(part):  # the index tuple that takes ``part`` along the axis
        return (slice(None),) * ax + (part,)

    acc = g[along(slice(lo, lo + n))].copy()
    left, right = g[along(slice(0, lo))], g[along(slice(lo + n, lo + n + hi))]
    if mode == "reflect":  # x[lo], ..., x[1] | x | x[n - 2], ..., x[n - 1 - hi]
        if lo:
            acc[along(slice(lo, 0, -1))] += left
        if hi:
            acc[along(slice(n - 2, n - 2 - hi if n - 2 - hi >= 0 else None, -1))] += right
    elif mode == "replicate":  # x[0] repeated | x | x[n - 1] repeated
        if lo:
            acc[along(slice(0, 1))] += left.sum(axis=ax, keepdims=True)
        if hi:
            acc[along(slice(n - 1, n))] += right.sum(axis=ax, keepdims=True)
    else:  # circular: x[n - lo:] | x | x[:hi]
        if lo:
            acc[along(slice(n - lo, n))] += left
        if hi:
            acc[along(slice(0, hi))] += right
    return acc


_NON_CONSTANT_SIZES = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)


def _check_non_constant(shape, pairs, k: int, mode: str) -> None:
    """torch's checks of reflect, replicate and circular padding of the last ``k`` dims, in its
    order. Negative pads crop, as in constant mode (reflect and replicate read the padded index
    range, so (-1, 2) on [1..5] gives [2, 3, 4, 5, 4, 3])."""
    nd = len(shape)
    if not 1 <= k <= 3 or nd not in (k + 1, k + 2):  # the padded dims, with a channel dim or a batch too
        raise KittyNotImplementedError(f"Padding size {2 * k} is not supported for {nd}D input tensor.\n"
                                       + _NON_CONSTANT_SIZES)
    if mode == "circular":
        if any(lo > n or hi > n for (lo, hi), n in zip(pairs, shape)):
            raise KittyRuntimeError("Padding value causes wrapping around more than once.")
        return
    if 0 in shape[nd - k - 1 if nd == k + 1 else 1:]:  # only a batch dim may be empty
        raise KittyRuntimeError(
            f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other non-zero "
            f"dimensions for input, but got: {list(shape)}"
        )
    # torch checks the padded dims from the last one (pad's own order) and names the first bad
    # one by its dim and by the argument number of its pair in the padding list
    for i in range(k):
        dim = nd - 1 - i
        (lo, hi), n = pairs[dim], shape[dim]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise KittyRuntimeError(
                f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input dimension, "
                f"but got: padding ({lo}, {hi}) at dimension {dim} of input {list(shape)}"
            )
    sizes = shape[nd - k:]
    out = [n + lo + hi for (lo, hi), n in zip(pairs[nd - k:], sizes)]
    if all(o < 1 for o in out):  # (torch lets a crop empty some padded dims, not all of them)
        names = "DHW"[3 - k:]
        given = ", ".join(f"{c}: {n}" for c, n in zip(names, sizes))
        if k == 3:  # torch's own punctuation, which differs by rank and mode
            given = given.replace(",", "", 1)
        elif k == 2 and mode == "replicate":
            given += " "
        raise KittyRuntimeError(
            f"input ({given}) is too small. Calculated output {' '.join(f'{c}: {o}' for c, o in zip(names, out))}"
        )


def pad(input, pad, mode: str = "constant", value=None):
    """Pad the last dims: ``pad = (left_last, right_last, left_prev, right_prev, ...)``.

    ``mode``: 'constant' (with ``value``), 'reflect', 'replicate' or 'circular'.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.pad(kitty.tensor([[1., 2.]]), (1, 1))
    tensor([[0., 1., 2., 0.]])
    """
    x = as_tensor_arg(input)
    pad = tuple(int(p) for p in pad)
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise KittyNotImplementedError(f"Unrecognised padding mode {mode}")
    if len(pad) % 2:
        raise KittyRuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    nd = x._data.ndim
    if k > nd:
        raise KittyRuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but got padding "
            f"length {len(pad)} and input of dimension {nd}"
        )
    pairs = [(0, 0)] * (nd - k) + [(pad[2 * i], pad[2 * i + 1]) for i in range(k)][::-1]
    if mode != "constant":
        if value is not None and value != 0:
            raise KittyRuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
        _check_non_constant(x._data.shape, pairs, k, mode)
        if mode == "circular" and any(lo < 0 or hi < 0 for lo, hi in pairs):
            # torch crops first and wraps what is left: (-1, 2) on [1..5] gives [2, 3, 4, 5, 2, 3]
            x = _tpad(x, [(min(lo, 0), min(hi, 0)) for lo, hi in pairs])
            pairs = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
    else:
        for (lo, hi), n in zip(pairs, x._data.shape):
            if n + lo + hi < 0:
                raise KittyRuntimeError(
                    f"The input size {n}, plus negative padding {lo} and {hi} resulted in a negative output size"
                )
    val = 0 if value is None else value
    out = Pad.apply(x, pads=tuple(pairs), mode=mode, value=val, dims=k)
    # torch's constant, reflect and replicate kernels keep a channels-last input's layout
    return out if mode == "circular" else keep_channels_last(out, x)


class PadSequence(Op):
    """Sequences ``(L_i, *)`` of one dtype written into one array filled with ``fill`` (a 0-d
    array of that dtype): ``(B, max L, *)`` with ``batch_first``, else ``(max L, B, *)``; each
    sequence at the start of its row, or at the end with ``left``. One node for the batch: a
    sequence's gradient is its slice of the output's."""

    saved_fields = ("batch_first", "left", "lengths", "longest")

    def forward(self, *arrays, fill, batch_first=False, left=False):
        lengths = [a.shape[0] for a in arrays]
        longest = max(lengths)
        rest = arrays[0].shape[1:]
        batch = len(arrays)
        shape = (batch, longest) + rest if batch_first else (longest, batch) + rest
        out = xp.full(shape, fill, arrays[0].dtype)
        for i, (a, n) in enumerate(zip(arrays, lengths)):
            steps = slice(longest - n, longest) if left else slice(0, n)
            if batch_first:
                out[i, steps] = a
            else:
                out[steps, i] = a
        self.lengths, self.longest, self.batch_first, self.left = lengths, longest, batch_first, left
        return out

    def backward(self, g):
        longest, left, batch_first = self.longest, self.left, self.batch_first
        grads = []
        for i, n in enumerate(self.lengths):
            steps = slice(longest - n, longest) if left else slice(0, n)
            grads.append(g[i, steps] if batch_first else g[steps, i])
        return tuple(grads)
