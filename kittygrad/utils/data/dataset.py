"""Datasets: map-style and iterable, wrappers over tensors, concatenation, subsets, splits."""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, TypeVar

from ...creation import randperm
from ...errors import KittyValueError
from ...tensor import Tensor

T_co = TypeVar("T_co", covariant=True)

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "ConcatDataset",
    "ChainDataset",
    "StackDataset",
    "Subset",
    "random_split",
]


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses define ``__getitem__`` (and usually ``__len__``).

    >>> from kittygrad.utils.data import Dataset
    >>> class Squares(Dataset):
    ...     def __len__(self): return 4
    ...     def __getitem__(self, i): return i * i
    >>> Squares()[3]
    9
    """

    def __getitem__(self, index) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset | ChainDataset:
        joined = ChainDataset if isinstance(self, IterableDataset) else ConcatDataset
        return joined([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A dataset that is a stream: subclasses define ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own copy; split the work with
    :func:`get_worker_info` to avoid duplicates.

    >>> from kittygrad.utils.data import IterableDataset
    >>> class Count(IterableDataset):
    ...     def __iter__(self): return iter(range(3))
    >>> list(Count())
    [0, 1, 2]
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are the rows of tensors that share their first dimension.

    >>> import kittygrad as kitty
    >>> from kittygrad.utils.data import TensorDataset
    >>> ds = TensorDataset(kitty.arange(6).reshape(3, 2), kitty.tensor([0, 1, 0]))
    >>> len(ds), ds[1]
    (3, (tensor([2, 3]), tensor(1)))
    """

    def __init__(self, *tensors: Tensor) -> None:
        rows = tensors[0].size(0)
        if any(t.size(0) != rows for t in tensors[1:]):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        if any(t._requires_grad for t in self.tensors):
            return tuple(t[index] for t in self.tensors)
        return tuple(Tensor._wrap(t._data[index]) for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class ConcatDataset(Dataset[T_co]):
    """The datasets one after another (``ds1 + ds2``).

    >>> import kittygrad as kitty
    >>> from kittygrad.utils.data import ConcatDataset, TensorDataset
    >>> ds = ConcatDataset([TensorDataset(kitty.arange(2)), TensorDataset(kitty.arange(3))])
    >>> len(ds), ds[3]
    (5, (tensor(1),))
    """

    @staticmethod
    def cumsum(sequence: Sequence) -> list[int]:
        """Running totals of the lengths: ``[len(a), len(a) + len(b), ...]``."""
        return list(itertools.accumulate(len(part) for part in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        parts = [*datasets]
        if not parts:
            raise AssertionError("datasets should not be an empty iterable")
        if any(isinstance(part, IterableDataset) for part in parts):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.datasets = parts
        self.cumulative_sizes = self.cumsum(parts)

    def __len__(self) -> int:
        *_, total = self.cumulative_sizes
        return total

    def __getitem__(self, idx):
        n = len(self)
        if idx < -n:
            raise KittyValueError("absolute value of index should not exceed dataset length")
        if idx < 0:
            idx += n
        part = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets chained one after another (``it1 + it2``).

    >>> from kittygrad.utils.data import ChainDataset, IterableDataset
    >>> class R(IterableDataset):
    ...     def __init__(self, n): self.n = n
    ...     def __iter__(self): return iter(range(self.n))
    >>> list(ChainDataset([R(2), R(3)]))
    [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def _parts(self) -> Iterator[IterableDataset]:
        for part in self.datasets:
            if not isinstance(part, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield part

    def __iter__(self):
        for part in self._parts():
            yield from part

    def __len__(self) -> int:
        return sum(len(part) for part in self._parts())  # type: ignore[arg-type]


class StackDataset(Dataset):
    """Items of several same-length datasets side by side: a tuple (positional datasets) or a
    dict (keyword datasets), as ``torch.utils.data.StackDataset``.

    >>> ds = StackDataset([1, 2], ["a", "b"]); ds[1], len(ds)
    ((2, 'b'), 2)
    >>> StackDataset(x=[1, 2], y=[3, 4])[0]
    {'x': 1, 'y': 3}
    """

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise KittyValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like input/output, "
                "but both types are given."
            )
        parts = args or tuple(kwargs.values())
        if not parts:
            raise KittyValueError("At least one dataset should be passed")
        lengths = {len(d) for d in parts}
        if len(lengths) > 1:
            raise KittyValueError("Size mismatch between datasets")
        self._length = lengths.pop()
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, tuple):  # given positionally: a tuple of samples
            return tuple(d[index] for d in self.datasets)
        return {name: d[index] for name, d in self.datasets.items()}

    def __getitems__(self, indices: list):
        """The samples at ``indices`` in one call, each part read with its own ``__getitems__``
        where it has one (the DataLoader fetches a batch this way)."""
        parts = self.datasets if isinstance(self.datasets, dict) else dict(enumerate(self.datasets))
        columns = {}
        for key, d in parts.items():
            getitems = getattr(d, "__getitems__", None)
            column = getitems(indices) if callable(getitems) else [d[i] for i in indices]
            if len(column) != len(indices):
                raise KittyValueError(f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(column)}")
            columns[key] = column
        if isinstance(self.datasets, tuple):
            return [tuple(columns[k][i] for k in columns) for i in range(len(indices))]
        return [{k: columns[k][i] for k in columns} for i in range(len(indices))]

    def __len__(self) -> int:
        return self._length


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order.

    >>> import kittygrad as kitty
    >>> from kittygrad.utils.data import Subset, TensorDataset
    >>> Subset(TensorDataset(kitty.arange(5)), [4, 0])[0]
    (tensor(4),)
    """

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        picked = [self.indices[i] for i in idx] if isinstance(idx, list) else self.indices[idx]
        return self.dataset[picked]

    def __getitems__(self, indices: list[int]) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split ``dataset`` at random into subsets of the given lengths (or fractions summing to 1).

    Fractions are floored and the remaining samples go round-robin to the first splits, as in
    torch. The permutation comes from ``generator`` (default: the global one, so
    ``kitty.manual_seed`` makes it repeat).

    >>> import kittygrad as kitty
    >>> from kittygrad.utils.data import TensorDataset, random_split
    >>> train, val = random_split(TensorDataset(kitty.arange(10)), [0.8, 0.2], generator=kitty.Generator().manual_seed(0))
    >>> len(train), len(val)
    (8, 2)
    """
    lengths = list(lengths)
    n = len(dataset)  # type: ignore[arg-type]
    given = sum(lengths)
    if math.isclose(given, 1) and given <= 1:
        lengths = _fractions_to_sizes(lengths, n)
    elif given != n:
        raise KittyValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = randperm(n, generator=generator).tolist()  # type: ignore[arg-type]
    ends = list(itertools.accumulate(lengths))
    return [Subset(dataset, order[end - size : end]) for end, size in zip(ends, lengths)]


def _fractions_to_sizes(fractions: list, n: int) -> list[int]:
    """Floor ``n * f`` for each fraction, then hand the leftover samples out one each, from the
    first split on (warning about any split left empty)."""
    for i, frac in enumerate(fractions):
        if not 0 <= frac <= 1:
            raise KittyValueError(f"Fraction at index {i} is not between 0 and 1")
    sizes = [math.floor(n * frac) for frac in fractions]
    extra, k = divmod(n - sum(sizes), len(sizes))
    sizes = [size + extra + (i < k) for i, size in enumerate(sizes)]
    for i in (i for i, size in enumerate(sizes) if size == 0):
        warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
    return sizes


