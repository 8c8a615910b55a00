"""``torch.quasirandom.SobolEngine``: low-discrepancy Sobol' points in the unit cube, for quasi-Monte
Carlo integration and space-filling designs.

The points are torch's, bit for bit (Joe and Kuo's direction numbers, through SciPy's generator).
Scrambled (``scramble=True``), they are scrambled by a linear matrix scramble and a digital shift
drawn as torch draws them: from a generator seeded with ``seed``, or from the default generator
when there is none (so ``manual_seed`` repeats them, and later draws follow torch's).

>>> import kittygrad as kitty
>>> kitty.quasirandom.SobolEngine(2).draw(4)
tensor([[0.0000, 0.0000],
        [0.5000, 0.5000],
        [0.7500, 0.2500],
        [0.2500, 0.7500]])
"""
from __future__ import annotations

import warnings

from . import backend as B
from . import dtypes as D
from .backend_random import Generator
from .creation import arange, randint
from .errors import KittyValueError
from .tensor import Tensor

__all__ = ["SobolEngine"]

_MAX_DIMENSION = 21201  # the dimensions Joe and Kuo's table covers


class SobolEngine:
    """A Sobol' sequence of ``dimension``-dimensional points; ``draw(n)`` gives the next ``n``."""

    MAXBIT = 30
    MAXDIM = _MAX_DIMENSION

    def __init__(self, dimension: int, scramble: bool = False, seed: int | None = None) -> None:
        if not 1 <= dimension <= _MAX_DIMENSION:
            raise KittyValueError(f"Supported range of dimensionality for SobolEngine is [1, {_MAX_DIMENSION}]")
        self.dimension, self.scramble, self.seed = dimension, scramble, seed
        self._scrambling = {}
        if scramble:
            # torch's draws, in its order: the shift's bits, then the lower-triangular matrices
            generator = None if seed is None else Generator().manual_seed(seed)
            bits = randint(2, (dimension, self.MAXBIT), generator=generator)
            shift = (bits * (2 ** arange(self.MAXBIT))).sum(1)
            ltm = randint(2, (dimension, self.MAXBIT, self.MAXBIT), generator=generator).tril()
            self._scrambling = {"shift": shift.numpy(), "ltm": ltm.numpy()}
        self.reset()

    def reset(self) -> SobolEngine:
        """Start the sequence again from its first point (with the same scrambling)."""
        self._engine = B.sobol(self.dimension, **self._scrambling)
        self.num_generated = 0
        return self

    def draw(self, n: int = 1, out: Tensor | None = None, dtype=None) -> Tensor:
        """The next ``n`` points, ``(n, dimension)``, in ``dtype`` (the default float dtype unless given),
        written into ``out`` when it is given."""
        with warnings.catch_warnings():  # SciPy warns on counts that are not powers of 2; torch does not
            warnings.simplefilter("ignore", UserWarning)
            points = self._engine.random(n)
        self.num_generated += n
        target = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
        result = Tensor._wrap(points.astype(target.np))
        if out is not None:
            if tuple(out.shape) != tuple(result.shape):
                raise KittyValueError(f"SobolEngine.draw: out has shape {tuple(out.shape)}, the points "
                                      f"{tuple(result.shape)}")
            return out.copy_(result)
        return result

    def draw_base2(self, m: int, out: Tensor | None = None, dtype=None) -> Tensor:
        """The next ``2 ** m`` points; the points drawn so far and these must make a power of 2, which
        keeps the sequence's balance."""
        total = self.num_generated + 2**m
        if total & (total - 1):
            raise KittyValueError(
                "The balance properties of Sobol' points require n to be a power of 2. "
                f"{self.num_generated} points have been previously generated, then: "
                f"n={self.num_generated}+2**{m}={total}. If you still want to do this, please use "
                "'SobolEngine.draw()' instead."
            )
        return self.draw(2**m, out=out, dtype=dtype)

    def fast_forward(self, n: int) -> SobolEngine:
        """Skip the next ``n`` points."""
        self._engine.fast_forward(n)
        self.num_generated += n
        return self

    def __repr__(self) -> str:
        parts = [f"dimension={self.dimension}"]
        if self.scramble:
            parts.append("scramble=True")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return f"SobolEngine({', '.join(parts)})"
