"""Samplers: which indices a DataLoader reads, in what order, in what batches.

The three random samplers share :class:`_Drawing`: each pass takes the sampler's generator,
or (as torch does) a fresh one seeded from the global generator, and yields ``_draw(rng)``.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

from ... import backend as B
from ...backend_random import default_generator, Generator
from ...creation import as_tensor
from ...errors import KittyRuntimeError, KittyTypeError, KittyValueError
from ...ops.random_ops import check_distribution
from ...tensor import Tensor

T_co = TypeVar("T_co", covariant=True)

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]


def _draw_seed(generator=None) -> int:
    """A 63-bit seed drawn from ``generator`` (default: the global generator)."""
    gen = default_generator if generator is None else generator
    return int(gen.integers(0, 2**63, (), B.NP_DTYPES["int64"]))


def _need_bool(name: str, value: Any, error: type[Exception]) -> None:
    if type(value) is not bool:
        raise error(f"{name} should be a boolean value, but got {name}={value}")


def _need_positive_int(name: str, value: Any, *, bool_ok: bool = False) -> None:
    ok = isinstance(value, int) and (bool_ok or type(value) is not bool) and value > 0
    if not ok:
        raise KittyValueError(f"{name} should be a positive integer value, but got {name}={value}")


class Sampler(Generic[T_co]):
    """Base class: an iterable over dataset indices (or lists of indices).

    >>> from kittygrad.utils.data import Sampler
    >>> class Evens(Sampler[int]):
    ...     def __iter__(self): return iter([0, 2, 4])
    >>> list(Evens())
    [0, 2, 4]
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1.

    >>> from kittygrad.utils.data import SequentialSampler
    >>> list(SequentialSampler(range(3)))
    [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        yield from range(len(self))

    def __len__(self) -> int:
        return len(self.data_source)


class _Drawing(Sampler[int]):
    """Base of the random samplers (see the module docstring)."""

    generator: Any = None
    #: without a generator, draw a seed from the global one for a generator of the pass's own
    #: (RandomSampler, as torch) rather than draw from the global generator itself
    _own_stream = True

    def _draw(self, rng) -> Iterable[int]:
        raise NotImplementedError

    def _validate(self) -> None:
        """Checks made when a pass starts, before any random draw."""

    def __iter__(self) -> Iterator[int]:
        self._validate()
        rng = self.generator
        if rng is None:
            rng = Generator().manual_seed(_draw_seed()) if self._own_stream else default_generator
        yield from self._draw(rng)


class RandomSampler(_Drawing):
    """A random permutation of the indices (or ``num_samples`` draws with ``replacement``).

    Without a ``generator`` each pass draws a fresh seed from the global generator, so
    ``kitty.manual_seed`` makes the order repeat.

    >>> import kittygrad as kitty
    >>> from kittygrad.utils.data import RandomSampler
    >>> sorted(RandomSampler(range(4), generator=kitty.Generator().manual_seed(0)))
    [0, 1, 2, 3]
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None, generator=None) -> None:
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._requested = num_samples
        _need_bool("replacement", replacement, KittyTypeError)
        _need_positive_int("num_samples", self.num_samples, bool_ok=True)

    @property
    def num_samples(self) -> int:
        """``num_samples`` as given, else the length of the data source."""
        return len(self.data_source) if self._requested is None else self._requested

    def _draw(self, rng) -> Iterator[int]:
        n, total = len(self.data_source), self.num_samples
        if self.replacement:  # in chunks of 32, so a long stream is not drawn at once
            for start in range(0, total, 32):
                yield from rng.integers(0, n, (min(32, total - start),), B.NP_DTYPES["int64"]).tolist()
            return
        rounds, rest = divmod(total, n)
        for _ in range(rounds):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:rest].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(_Drawing):
    """The given indices, in a random order.

    >>> import kittygrad as kitty
    >>> from kittygrad.utils.data import SubsetRandomSampler
    >>> sorted(SubsetRandomSampler([5, 7, 9], generator=kitty.Generator().manual_seed(0)))
    [5, 7, 9]
    """

    _own_stream = False  # torch's randperm from the global generator

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def _draw(self, rng) -> Iterator[int]:
        return (self.indices[k] for k in rng.permutation(len(self)).tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(_Drawing):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    >>> import kittygrad as kitty
    >>> from kittygrad.utils.data import WeightedRandomSampler
    >>> list(WeightedRandomSampler([0.0, 1.0, 0.0], 3, generator=kitty.Generator().manual_seed(0)))
    [1, 1, 1]
    """

    _own_stream = False  # torch's multinomial from the global generator

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True, generator=None) -> None:
        _need_positive_int("num_samples", num_samples)
        _need_bool("replacement", replacement, KittyValueError)
        raw = B.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=B.NP_DTYPES["float64"])
        if raw.ndim != 1:
            raise KittyValueError(f"weights should be a 1d sequence but given weights have shape {tuple(raw.shape)}")

        self.weights = as_tensor(raw)
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def _validate(self) -> None:
        w = self.weights._data
        check_distribution(w.reshape(1, -1), self.num_samples, self.replacement)  # as torch.multinomial
        if not self.replacement and self.num_samples > int(B.xp.count_nonzero(w)):
            raise KittyRuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")

    def _draw(self, rng) -> list[int]:
        w = self.weights._data
        return rng.choice(len(w), self.num_samples, self.replacement, w).tolist()  # torch.multinomial(w)

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Group another sampler's indices into lists of ``batch_size``.

    >>> from kittygrad.utils.data import BatchSampler, SequentialSampler
    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        _need_positive_int("batch_size", batch_size)
        _need_bool("drop_last", drop_last, KittyValueError)
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        source, size = iter(self.sampler), self.batch_size
        while batch := list(itertools.islice(source, size)):
            if len(batch) < size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        full, rest = divmod(len(self.sampler), self.batch_size)  # type: ignore[arg-type]
        return full + (1 if rest and not self.drop_last else 0)
