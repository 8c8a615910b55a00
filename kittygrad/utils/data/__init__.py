"""kittygrad.utils.data: datasets, samplers, DataLoader (as torch.utils.data).

>>> import kittygrad as kitty
>>> from kittygrad.utils.data import DataLoader, TensorDataset
>>> ds = TensorDataset(kitty.arange(6.0).reshape(3, 2), kitty.tensor([0, 1, 0]))
>>> for x, y in DataLoader(ds, batch_size=2):
...     print(x.shape, y.tolist())
kittygrad.Size([2, 2]) [0, 1]
kittygrad.Size([1, 2]) [0]
"""
from ._collate import default_collate, default_convert
from ._worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader
from . import distributed
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
