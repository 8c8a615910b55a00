"""``DistributedSampler``: each of ``num_replicas`` processes reads its own share of a dataset."""
from __future__ import annotations

import math
from collections.abc import Iterator, Sized

from ...backend_random import Generator
from ...creation import randperm
from ...distributed import process_group
from ...errors import KittyRuntimeError, KittyValueError
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler[int]):
    """Indices for one replica of ``num_replicas``, as ``torch.utils.data.distributed.DistributedSampler``.

    Every replica draws the same permutation (seeded by ``seed + epoch``; call :meth:`set_epoch`
    each epoch to reshuffle), pads it by repeating its start so it divides evenly (or drops the
    tail with ``drop_last``), and takes every ``num_replicas``-th index from ``rank``.

    >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
    [1, 3, 0]
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if (num_replicas is None or rank is None) and not process_group.is_available():
            # without MPI there is no process group to ask for the world size or the rank; where
            # there is one but it was never started, asking it raises its own ValueError, as torch
            raise KittyRuntimeError("Requires distributed package to be available")
        num_replicas = process_group.get_world_size() if num_replicas is None else num_replicas
        rank = process_group.get_rank() if rank is None else rank
        if not 0 <= rank < num_replicas:
            raise KittyValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            generator = Generator()
            generator.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=generator).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:  # pad by repeating the start, so that every replica gets num_samples
            missing = self.total_size - len(indices)
            indices += (indices * math.ceil(missing / max(len(indices), 1)))[:missing]
        # stopping at total_size is what drops the tail with drop_last
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch the next pass shuffles with (every replica must use the same one)."""
        self.epoch = epoch
