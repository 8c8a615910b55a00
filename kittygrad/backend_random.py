"""torch's CPU random-number generator on NumPy's MT19937: :class:`Generator`, draw for draw.

Part of the backend: NumPy comes from ``backend`` (imported there only), as do the exact
fused multiply-add helpers the samplers round with and ``backend.cpu_device``.
"""
from __future__ import annotations

import math
import struct

from . import backend as _backend
from .backend import _fma32, fma, memory_order
from .backend import xp as np


# Random numbers: torch's CPU generator, draw for draw
#
# torch's CPU generator is a 32-bit Mersenne Twister (mt19937) seeded with the low 32 bits of the
# seed, and NumPy's MT19937 with its legacy seeding yields the same raw 32-bit stream. Generator's
# samplers turn raw draws into values the way torch does (worked out by experiment against torch
# and checked by tests/test_torch_rng.py), so after the same seed both libraries draw the same
# numbers:
#
# - a uniform in [0, 1): for float32 (and float16, then rounded) the low 24 bits of one draw times
#   2**-24; for float64 the low 53 bits of a 64-bit draw (the first draw is the high half) times
#   2**-53. ``uniform_(a, b)`` is fma(u, b - a, a), rounded once, in the dtype.
# - integers in [low, low + span): a draw modulo span, a 32-bit draw when span < 2**28, else a
#   64-bit one. ``random_()`` without bounds: a 64-bit draw modulo 2**63 (int64) or 2**53 + 1
#   (float64), else a 32-bit draw modulo max + 1 (integers) or 2**digits + 1 (floats).
# - normals of a contiguous tensor of 16 or more elements: all the uniforms first, then Box-Muller
#   on each block of 16, element i paired with i + 8 (radius from 1 - u[i], angle from u[i + 8]; the
#   cosine goes to i, the sine to i + 8); when 16 does not divide the size, 16 fresh uniforms
#   replace the last 16 elements as one more block. float32 computes in float32 (torch's AVX2
#   kernel). Then fma(z, std, mean). Fewer elements, or a strided tensor: one element at a time in
#   float64, a pair of uniforms (u1 the angle, u2 the radius through log1p(-u2)) giving r cos, while
#   r sin waits in the generator for the next element (``manual_seed`` drops it).
# - randperm: forward Fisher-Yates, position i swapped with i + (a 32-bit draw modulo n - i).
# - bernoulli_(p) and dropout: a float64 uniform < p (dropout keeps u < 1 - p and divides by 1 - p
#   in the dtype); bernoulli(probabilities): a uniform of the probabilities' dtype < p.
# - exponential_: -1/lambda * log1p(-u) in float64; multinomial without replacement (or of one
#   sample) takes the largest weight / exponential, with replacement it looks a float64 uniform up
#   in the cumulative distribution; geometric and Cauchy from float64 uniforms.
#
# Normals drawn one at a time (up to 8192 of them, the rejection samplers' draws among them) take
# C's log1p/cos/sin, as torch; the vectorised paths NumPy's, whose SIMD loops (AVX-512) round the
# last bit differently now and then: float64 normals and exponentials may differ by an ulp, float32
# Box-Muller blocks by a few (torch uses SLEEF there). Gamma, binomial and Poisson samples are
# torch's for up to 4096 elements
# (drawn one at a time from float64 uniforms and normals by ops._scalar_samplers and
# ops.random_ops); larger ones come from a NumPy generator seeded by one 64-bit draw
# (``Generator._rng``).

_DEFAULT_SEED = 67280421310721
_U64 = (1 << 64) - 1
_MT_WORDS = 624
_STATE_BYTES = 5056  # the size of torch's CPU generator state
_WIDE_SPAN = 1 << 28  # integer ranges from this size on take 64-bit draws
_MASK53 = np.uint64((1 << 53) - 1)
_MASK24 = np.uint64((1 << 24) - 1)
_TWO_PI = 2.0 * np.pi
#: per-element normals drawn with C's functions up to this many pairs (torch's values on every CPU)
_C_LIBM_PAIRS = 4096
#: What creation.py plugs in when it loads (backend imports nothing of kittygrad): the wrapper of
#: the state bytes ``get_state`` returns (Tensor._wrap, so states are uint8 tensors as torch's) and
#: the typed errors the generator raises.
rng_plugins: dict = {"wrap_state": None, "RuntimeError": RuntimeError, "TypeError": TypeError, "ValueError": ValueError}


def _error(kind: str, message: str) -> Exception:
    return rng_plugins[kind](message)


def _box_muller_f64(u):
    """torch's Box-Muller over rows of 16 float64 uniforms: element i of a row pairs with i + 8
    (radius from ``1 - u[i]``, angle from ``u[i + 8]``; the cosine goes to i, the sine to i + 8)."""
    radius = np.sqrt(-2.0 * np.log(1.0 - u[:, :8]))
    theta = _TWO_PI * u[:, 8:]
    return np.concatenate((radius * np.cos(theta), radius * np.sin(theta)), axis=1)


#: values drawn and finished at a time by the samplers of large tensors: their float64 scratch (a
#: few arrays of 256-512 KiB) stays in the cache, where whole arrays of millions of values went to
#: memory and back for each pass, and were faulted in fresh (randn of 5M elements: 144 -> 32 ms with
#: the float32 transform below; nn.Linear(4096, 4096)'s uniform init: 1.9 -> 0.1 s in a fresh
#: process, its float64 arrays 128 MiB each)
_BLOCK = 1 << 16


def _box_muller_f32(u, out) -> None:
    """Box-Muller in the steps of torch's float32 vector kernel, over rows of 16 float32 uniforms
    ``u``, written into ``out`` (same shape): the radius from ``1 - u[:, :8]`` (its log taken in
    float64 and rounded), the angle ``2 pi * u[:, 8:]`` in float32, and that angle's cosine and sine
    rounded from float64 values (:func:`_cos_sin_f32`), each multiplied by the radius in float32.
    (torch's vectorised log, cos and sin may differ from those roundings by a few float32 ulps.)"""
    one_minus = 1.0 - u[:, :8]  # exact: u has 24 bits
    log = np.log(one_minus.astype(np.float64)).astype(np.float32)
    log *= np.float32(-2.0)
    radius = np.sqrt(log, out=log)
    cos, sin = _cos_sin_f32(np.float32(_TWO_PI) * u[:, 8:])
    np.multiply(radius, cos, out=out[:, :8])
    np.multiply(radius, sin, out=out[:, 8:])


#: cos and sin (float64) at k / 256 for every k that a float32 angle in [0, 2 pi] reaches
_ANGLE_STEPS = 256
_ANGLES = np.arange(int(_TWO_PI * _ANGLE_STEPS) + 2, dtype=np.float64) / _ANGLE_STEPS
_COS_AT, _SIN_AT = np.cos(_ANGLES), np.sin(_ANGLES)


#: up to this many angles, cos and sin are NumPy's float64 functions rounded (the values the table
#: gives), in 4 calls instead of the table's 20 (128 angles: 3.6 against 9.0 us; even at 512, 10.5
#: against 11.9; 1024: 19.5 against 13.4): randn(4, 8) 21.5 -> 15.0 us
_SMALL_ANGLES = 512


def _cos_sin_f32(theta):
    """cos and sin of the float32 angles ``theta`` (in [0, 2 pi]) rounded to float32, for the
    normals of a float32 tensor: the same values as rounding NumPy's float64 ``cos`` and ``sin``
    (none differed over every angle a float32 uniform gives), at a sixth of their time (those take
    13 ns an element here, not vectorised for float64).

    Each angle splits exactly into ``k / 256`` and a remainder ``r`` below 1/256 (float32 holds
    both); cos and sin of ``k / 256`` come from a table computed once by NumPy's own functions, and
    those of ``r`` from their Taylor series, whose next terms are below 1e-17 at that size; the
    two are combined by the angle-addition formulas in float64.

    >>> c, s = _cos_sin_f32(np.array([0.0, 1.5707964], np.float32))
    >>> c.tolist(), s.tolist()
    ([1.0, -4.371138828673793e-08], [0.0, 1.0])
    """
    if theta.size <= _SMALL_ANGLES:  # (a few angles: NumPy's float64 functions themselves, in fewer calls)
        wide = theta.astype(np.float64)
        return np.cos(wide).astype(np.float32), np.sin(wide).astype(np.float32)
    scaled = theta * np.float32(_ANGLE_STEPS)  # exact: a power of two
    k = scaled.astype(np.intp)  # (angles are >= 0: truncation is the floor)
    r = scaled - k  # float64, exact
    r *= 1.0 / _ANGLE_STEPS
    r2 = r * r
    sin_r = r2 * (1.0 / 120.0)
    sin_r -= 1.0 / 6.0
    sin_r *= r2
    sin_r += 1.0
    sin_r *= r  # r - r^3/6 + r^5/120
    cos_r = r2 * (1.0 / 24.0)
    cos_r -= 0.5
    cos_r *= r2
    cos_r += 1.0  # 1 - r^2/2 + r^4/24
    cos_k, sin_k = _COS_AT.take(k), _SIN_AT.take(k)
    cos = cos_k * cos_r
    cos -= sin_k * sin_r
    sin = sin_k * cos_r
    sin += cos_k * sin_r
    return cos.astype(np.float32), sin.astype(np.float32)


def _forward_fisher_yates(targets):
    """The permutation of ``range(len(targets) + 1)`` left by swapping, for i = 0, 1, ..., the
    entries at i and ``targets[i] >= i`` — computed without a loop over i.

    Step i finalises position i with what position ``targets[i]`` holds then. A position k > i has
    only been written by earlier steps aiming at k, so it holds what the last of them brought (that
    step's own content), or k when none did; position k's content when step k reaches it follows
    the same rule, a chain resolved by pointer doubling.

    >>> _forward_fisher_yates(np.array([2, 1]))  # [0,1,2] -> swap(0,2) -> [2,1,0] -> swap(1,1)
    array([2, 1, 0])
    """
    m = len(targets)
    n = m + 1
    steps = np.arange(m)
    j = np.asarray(targets, dtype=np.int64)
    order = np.argsort(j, kind="stable")  # by target, then by step
    js = j[order]
    same = js[1:] == js[:-1]
    prev_same = np.full(m, -1, dtype=np.int64)  # the last earlier step with the same target
    prev_same[order[1:][same]] = order[:-1][same]
    last = np.ones(m, dtype=bool)
    last[:-1] = ~same
    prev_into = np.full(n, -1, dtype=np.int64)  # the last step before k aiming at k
    prev_into[js[last]] = order[last]
    own = prev_into[:m] == steps  # step k aiming at itself is not "before k"
    prev_into[:m][own] = prev_same[own]
    root = np.where(prev_into >= 0, prev_into, np.arange(n))
    while True:
        up = root[root]
        if np.array_equal(up, root):
            break
        root = up
    out = np.empty(n, dtype=np.int64)
    brought = np.where(prev_same >= 0, root[np.maximum(prev_same, 0)], j)
    out[:m] = np.where(j == steps, root[:m], brought)
    out[m] = root[m]
    return out


def _count(size) -> int:
    """The number of elements of a shape (a tuple, or one int as NumPy's ``size=`` takes)."""
    if isinstance(size, (int, np.integer)):
        return int(size)
    n = 1
    for s in size:
        n *= int(s)
    return n


def _seed_value(seed) -> int:
    if isinstance(seed, (float, np.floating)) or not hasattr(seed, "__index__"):
        raise _error("RuntimeError", f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -(1 << 63) <= seed <= _U64:
        raise _error("ValueError", f"manual_seed: the seed must fit in 64 bits (-2**63 to 2**64 - 1), got {seed}")
    return seed & _U64


class Generator:
    """Random-number state with torch's numbers: ``manual_seed(s)`` then the same draws as
    ``torch.Generator().manual_seed(s)`` (torch's 32-bit Mersenne Twister and its transforms).

    The samplers return NumPy arrays; kittygrad's factories and ``Tensor.*_`` fills call them.

    >>> g = Generator().manual_seed(0)
    >>> g.uniform(0.0, 1.0, (2,), np.float32)  # torch.rand(2) after torch.manual_seed(0)
    array([0.4962566, 0.7682218], dtype=float32)
    """

    def __init__(self, device: str = "cpu") -> None:
        if str(device).split(":")[0] != "cpu":  # as torch without CUDA: no generator for another device
            raise _error("RuntimeError", f"Generator: kittygrad has only the CPU generator, got device '{device}'")
        self._bits = np.random.MT19937(0)
        self._stamp, self._watchers = 0, []  # (see stamp and on_next_change)
        self.manual_seed(_DEFAULT_SEED)

    # -- seeding and state ---------------------------------------------------------------------

    def manual_seed(self, seed: int) -> Generator:
        """Reseed (torch keeps the low 32 bits for the Twister and reports the full seed).

        >>> Generator().manual_seed(-1).initial_seed()
        18446744073709551615
        """
        seed = _seed_value(seed)
        self._changing()
        self._seed = seed
        low = self._seed & 0xFFFF_FFFF
        if hasattr(self._bits, "_legacy_seeding"):
            self._bits._legacy_seeding(low)
        else:  # the same init_genrand, through NumPy's public legacy generator
            _, key, pos, *_ = np.random.RandomState(low).get_state()
            self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._normal = None  # the second normal of the last per-element Box-Muller pair
        self._fresh = True  # nothing drawn since seeding (torch's state says so)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int(np.random.SeedSequence().entropy) & _U64
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def stamp(self) -> int:
        """Changes whenever the stream does (a draw, a reseed, a restored state): whether anything
        drew since an earlier stamp, without reading the state (~40 us).

        >>> g = Generator(); s = g.stamp(); _ = g.random((1,)); s == g.stamp()
        False
        """
        return self._stamp

    def on_next_change(self, callback) -> None:
        """Call ``callback()`` once, just before the stream next changes (unless ``forget`` first)."""
        self._watchers.append(callback)

    def forget(self, callback) -> None:
        self._watchers = [w for w in self._watchers if w is not callback]

    def _changing(self) -> None:
        """About to change the stream: the watchers see the old state, then a new stamp."""
        watchers, self._watchers = self._watchers, []
        for callback in watchers:
            callback()
        self._stamp += 1

    def get_state(self):
        """The state as torch's 5056 bytes (seed, Twister words and position, cached normal).

        >>> g = Generator().manual_seed(1); s = g.get_state(); a = g.random((3,))
        >>> bool((g.set_state(s).random((3,)) == a).all())
        True
        """
        st = self._bits.state["state"]
        pos = int(st["pos"])
        left, nxt = (1, 0 if self._fresh else _MT_WORDS) if pos >= _MT_WORDS else (_MT_WORDS + 1 - pos, pos)
        buf = bytearray(_STATE_BYTES)
        struct.pack_into("<QiiQ", buf, 0, self._seed, left, 1, nxt)
        buf[24 : 24 + 8 * _MT_WORDS] = np.asarray(st["key"], dtype="<u8").tobytes()
        if self._normal is not None:
            struct.pack_into("<d", buf, 24 + 8 * _MT_WORDS + 8, self._normal)
            struct.pack_into("<i", buf, 24 + 8 * _MT_WORDS + 24, 1)
        arr = np.frombuffer(bytes(buf), dtype=np.uint8).copy()
        wrap = rng_plugins["wrap_state"]
        return wrap(arr) if wrap is not None else arr

    def set_state(self, state) -> Generator:
        """Restore a state from :meth:`get_state` (torch's CPU states load too)."""
        arr = getattr(state, "_data", state)
        if isinstance(arr, (bytes, bytearray)):
            arr = np.frombuffer(arr, dtype=np.uint8)
        if not isinstance(arr, np.ndarray):
            raise _error("TypeError", f"expected a uint8 tensor (torch.ByteTensor), but got {type(state).__name__}")
        if arr.dtype != np.uint8:
            raise _error("TypeError", "RNG state must be a uint8 tensor (torch.ByteTensor)")
        if arr.size != _STATE_BYTES:
            raise _error(
                "RuntimeError",
                f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input RNG state size to be {arr.size}",
            )
        raw = arr.tobytes()
        seed, left, seeded, nxt = struct.unpack_from("<QiiQ", raw, 0)
        if not 1 <= left <= _MT_WORDS or seeded == 0 or nxt > _MT_WORDS:
            raise _error("RuntimeError", "Invalid mt19937 state")
        self._changing()
        key = np.frombuffer(raw, dtype="<u8", count=_MT_WORDS, offset=24).astype(np.uint32)
        pos = _MT_WORDS if left == 1 else nxt
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        normal_at = 24 + 8 * _MT_WORDS
        (cached,) = struct.unpack_from("<d", raw, normal_at + 8)
        (valid,) = struct.unpack_from("<i", raw, normal_at + 24)
        self._seed, self._normal, self._fresh = seed, (cached if valid else None), left == 1 and nxt == 0
        return self

    @property
    def device(self):
        """``device(type='cpu')``: kittygrad.device puts its cpu device in ``backend.cpu_device``."""
        return _backend.cpu_device

    @property
    def _rng(self):
        """A NumPy generator seeded by one 64-bit draw of this stream, for the distributions drawn
        NumPy's way (gamma, binomial, Poisson of more than 4096 elements): repeatable under a seed, not
        torch's values."""
        return np.random.Generator(np.random.PCG64(int(self._draw64(1)[0])))

    # -- raw draws -------------------------------------------------------------------------------

    def _draw32(self, n: int):
        """``n`` raw 32-bit outputs (in a uint64 array)."""
        if n:
            self._changing()
        self._fresh = False
        return self._bits.random_raw(n)

    def _draw64(self, n: int):
        """``n`` 64-bit draws, each two 32-bit outputs (the first one high)."""
        r = self._draw32(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]

    def _units(self, n: int, dtype):
        """``n`` uniforms in [0, 1) as torch draws them for ``dtype`` (float64 values, exact)."""
        if np.dtype(dtype) == np.float64:
            return (self._draw64(n) & _MASK53).astype(np.float64) * 2.0**-53
        return (self._draw32(n) & _MASK24).astype(np.float64) * 2.0**-24

    def _units32(self, n: int):
        """``n`` float32 uniforms in [0, 1), the values :meth:`_units` gives for float32 (exact in
        float32: 24 bits times a power of two), without a float64 array between."""
        units = (self._draw32(n) & _MASK24).astype(np.float32)
        units *= np.float32(2.0**-24)
        return units

    # -- samplers (arrays of ``size`` in ``dtype``) -------------------------------------------------

    def random(self, size):
        """float64 uniforms in [0, 1) (torch.rand(size, dtype=torch.float64))."""
        return self._units(_count(size), np.float64).reshape(size)

    def uniform(self, low, high, size, dtype):
        """U(low, high) as torch's ``uniform_``: fma(u, high - low, low) in ``dtype``, and ``low``
        where that rounds up to ``high`` (so values stay below ``high``). Drawn and finished
        :data:`_BLOCK` values at a time (the same stream as one draw of all of them)."""
        dt = np.dtype(dtype)
        n = _count(size)
        work = np.float64 if dt == np.float64 else np.float32  # (float16 computed in float32, then rounded)
        out = np.empty(n, work)
        for start in range(0, n, _BLOCK):
            out[start : start + _BLOCK] = self._uniform_values(min(_BLOCK, n - start), low, high, work)
        if dt == np.float32 and np.float32(low) == 0 and np.float32(high) == 1:
            return out.reshape(size)  # (torch.rand: every u is below 1 already)
        out = out.reshape(size).astype(dt, copy=False)
        return np.where(out == dt.type(high), dt.type(low), out) if n else out

    def _uniform_values(self, m: int, low, high, work):
        """``m`` values of :meth:`uniform` in the ``work`` dtype, before the check against ``high``."""
        if work == np.float64:
            return fma(self._units(m, np.float64), float(high) - float(low), float(low))
        lo = np.float32(low)
        span = np.float32(np.float32(high) - lo)
        if lo != 0:
            return _fma32(self._units(m, np.float32), float(span), float(lo))
        # fma(u, span, +-0): float32's own product (two float32 values rounded once), and adding the
        # zero gives the fused sum's sign (u >= +0: with a span of 1 neither step changes a bit)
        units = self._units32(m)
        if span != 1:
            units *= span
            units += lo
        return units

    def normal(self, mean, std, size, dtype, contiguous: bool = True):
        """N(mean, std**2) as torch's ``normal_`` on a tensor of ``size`` (``contiguous=False``: a
        strided one, which torch fills one element at a time; give values in memory order). Blocks
        of 16 are drawn and transformed :data:`_BLOCK` values at a time (the same stream as one
        draw of all of them)."""
        dt = np.dtype(dtype)
        n = _count(size)
        if n < 16 or not contiguous:
            out = fma(self._normal_pairs(n), float(std), float(mean))
            return out.reshape(size).astype(dt, copy=False)
        whole = n - n % 16
        wide = dt == np.float64
        z = np.empty(n, dtype=np.float64 if wide else np.float32)
        rows = z[:whole].reshape(-1, 16)
        for start in range(0, len(rows), _BLOCK // 16):
            block = rows[start : start + _BLOCK // 16]
            if wide:
                block[...] = _box_muller_f64(self._units(block.size, np.float64).reshape(-1, 16))
            else:
                _box_muller_f32(self._units32(block.size).reshape(-1, 16), block)
        if whole < n:
            # torch fills every element with a uniform first: the last n % 16 go unused, and 16
            # fresh ones make the last block, over the last 16 elements
            self._draw32((n - whole) * (2 if wide else 1))
            if wide:
                z[n - 16 :] = _box_muller_f64(self._units(16, np.float64).reshape(1, 16)).reshape(-1)
            else:
                _box_muller_f32(self._units32(16).reshape(1, 16), z[n - 16 :].reshape(1, 16))
        if wide:
            for start in range(0, n, _BLOCK):
                z[start : start + _BLOCK] = fma(z[start : start + _BLOCK], float(std), float(mean))
            return z.reshape(size)
        mean32, std32 = np.float32(mean), np.float32(std)
        if mean32 == 0:
            # fma(z, std, +-0): the product of two float32 values rounded once is float32's own
            # product, and adding the zero gives the fused sum's sign (+0 turns a -0 into +0)
            if std32 != 1:
                z *= std32
            z += mean32
        else:
            for start in range(0, n, _BLOCK):
                z[start : start + _BLOCK] = _fma32(z[start : start + _BLOCK], float(std32), float(mean32))
        return z.reshape(size).astype(dt, copy=False)

    def _normal_pairs(self, n: int):
        """``n`` standard normals drawn one at a time (float64), using and refilling the cache."""
        out = np.empty(n, dtype=np.float64)
        k = 0
        if n and self._normal is not None:
            self._changing()  # (the cached normal is used up: the state changes without a draw)
            out[0], self._normal, k = self._normal, None, 1
        pairs = (n - k + 1) // 2
        if pairs:
            u = self._units(2 * pairs, np.float64).reshape(pairs, 2)
            if pairs <= _C_LIBM_PAIRS:
                # C's log1p, cos and sin, as torch calls them: NumPy's SIMD log1p differed from C's
                # in 7% of draws on a Zen 5, and a rejection sampler (gamma, binomial) given another
                # normal goes another way
                polar = [(math.sqrt(-2.0 * math.log1p(-b)), _TWO_PI * a) for a, b in u.tolist()]
                z = np.array([(r * math.cos(t), r * math.sin(t)) for r, t in polar]).reshape(-1)
            else:  # (NumPy's loops: a strided tensor of millions filled in milliseconds, not a second)
                radius, theta = np.sqrt(-2.0 * np.log1p(-u[:, 1])), _TWO_PI * u[:, 0]
                z = np.stack((radius * np.cos(theta), radius * np.sin(theta)), axis=1).reshape(-1)
            out[k:] = z[: n - k]
            if 2 * pairs > n - k:
                self._normal = float(z[-1])
        return out

    def integers(self, low, high, size, dtype):
        """Integers in [low, high) as torch's ``random_(low, high)`` / ``randint``."""
        low, high = int(low), int(high)
        span = high - low
        n = _count(size)
        raw = self._draw64(n) if span >= _WIDE_SPAN else self._draw32(n)
        if span <= _U64:
            raw = raw % np.uint64(span)
        vals = (raw + np.uint64(low & _U64)).view(np.int64)  # wraps around as torch's int64 does
        return vals.reshape(size).astype(dtype, copy=False)

    def random_full(self, size, dtype):
        """torch's ``random_()`` without bounds: integers over the dtype's exactly held range."""
        dt = np.dtype(dtype)
        n = _count(size)
        if dt == np.int64 or dt == np.float64:
            top = 1 << 63 if dt == np.int64 else (1 << 53) + 1
            vals = self._draw64(n) % np.uint64(top)
        else:
            if dt.kind == "f":
                top = (1 << {2: 11, 4: 24}[dt.itemsize]) + 1
            elif dt.kind == "b":
                top = 2
            else:
                top = int(np.iinfo(dt).max) + 1
            vals = self._draw32(n) % np.uint64(top)
        return vals.reshape(size).astype(dt)

    def permutation(self, n: int):
        """torch's ``randperm(n)`` (int64): forward Fisher-Yates on 32-bit draws."""
        n = int(n)
        if n < 2:
            return np.arange(n, dtype=np.int64)
        steps = np.arange(n - 1, dtype=np.int64)
        offsets = (self._draw32(n - 1) % (n - steps).astype(np.uint64)).astype(np.int64)
        return _forward_fisher_yates(steps + offsets)

    def _below(self, n: int, bound: float, work) -> np.ndarray:
        """``n`` booleans (1-D), a uniform of ``work`` below ``bound``, drawn :data:`_BLOCK` at a
        time: the float64 uniforms and their raw 64-bit draws never exist all at once (a dropout
        mask of 3M elements made 72 MB of them)."""
        out = np.empty(n, bool)
        for start in range(0, n, _BLOCK):
            stop = min(start + _BLOCK, n)
            np.less(self._units(stop - start, work), bound, out=out[start:stop])
        return out

    def bernoulli_scalar(self, p: float, size):
        """Booleans, true with probability ``p`` (torch's ``bernoulli_(p)``: float64 uniforms)."""
        return self._below(_count(size), p, np.float64).reshape(size)

    def bernoulli(self, probs, like=None):
        """Booleans, true with the probabilities ``probs`` (torch's ``bernoulli(p)``: uniforms of
        ``probs``' dtype, drawn in C order, or along the memory of the tensor ``like`` filled)."""
        probs = np.asarray(probs)
        work = np.float64 if probs.dtype == np.float64 else np.float32
        return memory_order(self._units(probs.size, work).reshape(probs.shape), like) < probs

    def dropout_mask(self, p: float, size, dtype, like=None):
        """torch's dropout noise: 1 / (1 - p) where a float64 uniform is below 1 - p, else 0; the
        uniforms laid along the memory of ``like`` where given (torch draws its noise into
        ``empty_like(input)``, which keeps a transposed input's layout)."""
        dt = np.dtype(dtype)
        keep = memory_order(self._below(_count(size), 1.0 - p, np.float64).reshape(size), like)
        return keep.astype(dt) / dt.type(1.0 - p)

    def exponential(self, lambd: float, size):
        """Exponential(lambd) samples in float64: -1/lambd * log1p(-u), as torch's exponential_."""
        return (-1.0 / lambd) * np.log1p(-self._units(_count(size), np.float64)).reshape(size)

    def multinomial(self, weights, num_samples: int, replacement: bool):
        """Category indices (int64, rows x num_samples) for the rows of the 2-D ``weights``.

        Without replacement, or for one sample, torch keeps the largest ``weight / Exp(1)`` (the
        exponentials drawn for every weight, row after row); with replacement, each sample is a
        float64 uniform looked up in the row's normalised cumulative sum.
        """
        w = np.asarray(weights)
        rows = w.shape[0]
        if not replacement or num_samples == 1:
            q = self.exponential(1.0, w.shape).astype(w.dtype)
            with np.errstate(divide="ignore", invalid="ignore"):
                keys = w / q
            if num_samples == 1:
                return np.argmax(keys, axis=1)[:, None].astype(np.int64)
            return np.argsort(-keys, axis=1, kind="stable")[:, :num_samples].astype(np.int64)
        u = self._units(rows * num_samples, np.float64).reshape(rows, num_samples)
        cdf = np.cumsum(w, axis=1, dtype=np.float64)
        cdf /= cdf[:, -1:]
        return np.stack([np.searchsorted(cdf[r], u[r], side="left") for r in range(rows)]).astype(np.int64)

    def choice(self, n: int, size: int, replace: bool, p):
        """``size`` indices below ``n`` drawn with the weights ``p`` (torch.multinomial on float64 ``p``)."""
        return self.multinomial(np.asarray(p, dtype=np.float64).reshape(1, n), size, replace)[0]


#: what ``Generator.device`` returns: kittygrad.device (a layer above) replaces the string with
default_generator = Generator()


def poisson(generator, lam):
    """Poisson samples with rates ``lam`` (an array) from a :class:`Generator`'s NumPy stream."""
    return generator._rng.poisson(lam)


def standard_gamma(generator, alpha):
    """Gamma(alpha, 1) samples, one per element of the array ``alpha``, from a :class:`Generator`."""
    return generator._rng.standard_gamma(alpha)


def binomial(generator, n, p):
    """Binomial(n, p) samples (arrays broadcast elementwise) from a :class:`Generator`."""
    return generator._rng.binomial(n, p)
